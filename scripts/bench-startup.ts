/**
 * `pipeline run` start-up: wall time of `node bin/pipeline-cli.cjs run
 * samples/orders/orders_v1.csv` (a 3-row file end to end), cold (transpile and
 * definition caches emptied: first run after a checkout or a lib/ change) and
 * warm (median of the following runs). `npm run bench:startup [-- <runs>]`.
 * Prints figures; it asserts nothing (the target, < 1.5 s warm, is read here).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..');
const runs = Number(process.argv[2] ?? 5);
const store = mkdtempSync(join(tmpdir(), 'bench-startup-'));
const cli = (cache: string) => {
  const t0 = performance.now();
  execFileSync(process.execPath, [join(ROOT, 'bin', 'pipeline-cli.cjs'), 'run', join(ROOT, 'samples', 'orders', 'orders_v1.csv'), '--store', store], { cwd: ROOT, stdio: 'ignore' });
  const ms = performance.now() - t0;
  console.log(`  ${cache.padEnd(28)} ${(ms / 1000).toFixed(2)} s`);
  return ms;
};

try {
  rmSync(join(ROOT, 'node_modules', '.cache', 'landing-to-lake'), { recursive: true, force: true });
  console.log(`pipeline run samples/orders/orders_v1.csv (node ${process.version})`);
  const cold = cli('cold (no caches)');
  const warm = Array.from({ length: runs }, (_, i) => cli(`warm #${i + 1}`)).sort((a, b) => a - b);
  const median = warm[Math.floor(warm.length / 2)];
  console.log(`cold ${(cold / 1000).toFixed(2)} s; warm median ${(median / 1000).toFixed(2)} s, best ${(warm[0] / 1000).toFixed(2)} s (target < 1.5 s)`);
} finally {
  rmSync(store, { recursive: true, force: true });
}
