/**
 * `pipeline run` start-up: wall time of `node bin/pipeline-cli.cjs run
 * samples/orders/orders_v1.csv` (a 3-row file end to end), cold (bundle,
 * compile and definition caches emptied: first run after a checkout, an
 * `npm ci` or a lib/ change), warm (median, best and p90 of the following
 * runs), and the same warm run through `npx pipeline` (npm's own start-up
 * added). `npm run bench:startup [-- <runs> [<npx runs>]]`.
 * Prints figures and the host's load; it asserts nothing (the target, < 1.5 s
 * warm, is read here).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const ROOT = join(__dirname, '..');
const runs = Number(process.argv[2] ?? 11);
const npxRuns = Number(process.argv[3] ?? 5);
const store = mkdtempSync(join(tmpdir(), 'bench-startup-'));
const args = ['run', join(ROOT, 'samples', 'orders', 'orders_v1.csv'), '--store', store];
// The project's Node (node_modules/.bin first on PATH, as npm scripts and npx have it).
const env = { ...process.env, PATH: `${dirname(process.execPath)}:${join(ROOT, 'node_modules', '.bin')}:${process.env.PATH}` };

const time = (label: string, file: string, argv: string[]) => {
  const t0 = performance.now();
  execFileSync(file, argv, { cwd: ROOT, stdio: 'ignore', env });
  const ms = performance.now() - t0;
  console.log(`  ${label.padEnd(28)} ${(ms / 1000).toFixed(2)} s`);
  return ms;
};
const node = (label: string) => time(label, process.execPath, [join(ROOT, 'bin', 'pipeline-cli.cjs'), ...args]);
const npx = (label: string) => time(label, 'npx', ['--no-install', 'pipeline', ...args]);

const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const summary = (all: number[]) => {
  const v = [...all].sort((a, b) => a - b);
  const at = (q: number) => v[Math.min(v.length - 1, Math.ceil(q * v.length) - 1)];
  return `median ${s(at(0.5))}, best ${s(v[0])}, p90 ${s(at(0.9))} (${v.length} runs)`;
};
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

try {
  rmSync(join(ROOT, 'node_modules', '.cache', 'landing-to-lake'), { recursive: true, force: true });
  console.log(`pipeline run samples/orders/orders_v1.csv (node ${process.version}, ${cpus().length} CPUs, load average ${load()})`);
  const cold = node('cold (no caches)');
  const warm = Array.from({ length: runs }, (_, i) => node(`warm #${i + 1}`));
  const viaNpx = Array.from({ length: npxRuns }, (_, i) => npx(`npx pipeline, warm #${i + 1}`));
  console.log(`cold ${s(cold)}`);
  console.log(`warm            ${summary(warm)}  (target < 1.5 s)`);
  console.log(`warm via npx    ${summary(viaNpx)}`);
  console.log(`load average at the end ${load()}`);
} finally {
  rmSync(store, { recursive: true, force: true });
}
