/**
 * Stage throughput and memory vs DuckDB. Not a test: prints figures.
 *
 *   npm run bench -- --mb 120        (default 120 MB, ~2M rows like the sales example)
 *   npm run bench -- --mb 1024       (memory check: peak RSS must stay flat)
 *   npm run bench -- --runs 5        (runs of each engine, alternating; default 3)
 *
 * Each engine runs in its own child process so its peak RSS is its own. The
 * engines take turns, several runs each, and the figures are medians: on a
 * shared machine one run of either can be 30% off, and a single pair of runs
 * gave ratios anywhere from 0.34 to 0.56 for the same code. Peak RSS is the
 * highest of the stage's runs. The last line is machine-readable:
 *   stage_vs_duckdb=<ratio> stage_mb_s=<n> duckdb_mb_s=<n> peak_rss_mb=<n> input_mb=<n> silver_vs_duckdb_size=<ratio>
 * Both sides write ZSTD; the size ratio is silver's bytes (all partitions) over DuckDB's one file.
 */
import { execFileSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { buildSync } from 'esbuild';
import { LAMBDA_V8_FLAGS } from '../lib/node-options';

const { values } = parseArgs({
  options: { mb: { type: 'string', default: '120' }, runs: { type: 'string', default: '3' }, keep: { type: 'boolean' }, dir: { type: 'string' } },
});
const runs = Math.max(1, Number(values.runs));
const targetMb = Number(values.mb);
const dir = values.dir ?? join(tmpdir(), 'pipeline-bench');
mkdirSync(dir, { recursive: true });
const csv = join(dir, `sales-v2-${targetMb}mb.csv`);
// The input is shared (deterministic, written under a temporary name then renamed); the bundle and
// outputs are this run's own, so benches started side by side on one host do not clobber each other.
const work = mkdtempSync(join(dir, 'run-'));

/** Deterministic generator (mulberry32) so runs are comparable. */
function rng(seed: number) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function generate(path: string, bytes: number): Promise<number> {
  const r = rng(42);
  const out = createWriteStream(path, { highWaterMark: 1 << 20 });
  const statuses = ['new', 'paid', 'shipped', 'cancelled', 'refunded'];
  const regions = ['EU', 'US', 'APAC', 'LATAM', 'MEA'];
  let written = 0;
  let rows = 0;
  const write = (s: string) => ((written += s.length), out.write(s) ? Promise.resolve() : new Promise<void>((res) => out.once('drain', () => res())));
  await write('order_id,customer_id,amount,quantity,status,order_ts,region\n');
  const base = Date.UTC(2026, 10, 1);
  while (written < bytes) {
    let chunk = '';
    for (let i = 0; i < 10000; i++, rows++) {
      const ts = `${new Date(base + Math.floor(r() * 14 * 86400000)).toISOString().slice(0, 19)}Z`;
      // About 1 row in 200 repeats an earlier order (dedupe), 1 in 400 has a negative amount and
      // 1 in 500 an unknown status (rejects), so every path of the stage does real work.
      const u = r();
      const id = u < 0.005 && rows > 1000 ? rows - 1 - Math.floor(r() * 1000) : rows;
      const amount = u >= 0.005 && u < 0.0075 ? -1 - r() * 50 : r() * 500;
      const status = u >= 0.0075 && u < 0.0095 ? 'teleported' : statuses[Math.floor(r() * 5)];
      chunk += `O${String(id).padStart(9, '0')},C${String(Math.floor(r() * 1e6)).padStart(6, '0')},${amount.toFixed(2)},${1 + Math.floor(r() * 9)},${status},${ts},${regions[Math.floor(r() * 5)]}\n`;
    }
    await write(chunk);
  }
  await new Promise<void>((res) => out.end(res));
  return rows;
}

/**
 * The stage runs as the Lambda runs it: bundled by esbuild (minified CJS, as
 * lib/stage-function.ts bundles it), not through tsx, whose keep-names helpers
 * would be measured too.
 */
function bundle(script: string): string {
  const out = join(work, script.replace(/\.ts$/, '.cjs'));
  buildSync({
    entryPoints: [join(__dirname, script)],
    outfile: out,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    minify: true,
    target: 'node24',
    logLevel: 'warning',
  });
  return out;
}

function child(script: string, args: string[], bundled: boolean): Record<string, number> {
  // The bundled stage runs with the Lambdas' V8 flags (lib/node-options.ts), as deployed.
  const entry = bundled ? [...LAMBDA_V8_FLAGS, bundle(script)] : ['--import', 'tsx', join(__dirname, script)];
  const out = execFileSync(process.execPath, [...entry, ...args], { encoding: 'utf8', maxBuffer: 1 << 24, stdio: ['ignore', 'pipe', 'inherit'] });
  const line = out.trim().split('\n').pop()!;
  return JSON.parse(line);
}

async function main() {
  if (!existsSync(csv) || Math.abs(statSync(csv).size - targetMb * 1e6) > 2e6) {
    process.stdout.write(`generating ${csv} (${targetMb} MB)... `);
    const rows = await generate(`${csv}.${process.pid}.tmp`, targetMb * 1e6);
    renameSync(`${csv}.${process.pid}.tmp`, csv);
    console.log(`${rows} rows`);
  }
  const inputMb = statSync(csv).size / 1e6;
  console.log(`input: ${inputMb.toFixed(1)} MB`);

  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  const stageSec: number[] = [];
  const duckSec: number[] = [];
  const stageCpu: number[] = [];
  const duckCpu: number[] = [];
  let peakRss = 0;
  let verified = true;
  let duckOut = 0;
  let silverOut = 0;
  for (let r = 1; r <= runs; r++) {
    const stage = child('bench-stage.ts', [csv, join(work, 'stage-out')], true);
    stageSec.push(stage.seconds);
    stageCpu.push(stage.cpuSeconds);
    peakRss = Math.max(peakRss, stage.peakRssMb);
    silverOut = stage.silverMb;
    console.log(
      `stage  #${r}: ${stage.seconds.toFixed(2)} s, ${(inputMb / stage.seconds).toFixed(1)} MB/s, peak RSS ${stage.peakRssMb.toFixed(0)} MB, rows out ${stage.rowsOut}, quarantined ${stage.rowsQuarantined}, deduplicated ${stage.rowsDeduplicated}, silver ${stage.files} files ${stage.silverMb.toFixed(1)} MB`,
    );
    const duck = child('bench-duckdb.ts', [csv, join(work, 'duckdb-out.parquet'), join(work, 'stage-out', 'silver', '*', '*.parquet')], false);
    duckSec.push(duck.seconds);
    duckCpu.push(duck.cpuSeconds);
    duckOut = statSync(join(work, 'duckdb-out.parquet')).size / 1e6;
    console.log(
      `duckdb #${r}: ${duck.seconds.toFixed(2)} s, ${(inputMb / duck.seconds).toFixed(1)} MB/s, peak RSS ${duck.peakRssMb.toFixed(0)} MB, output ${duckOut.toFixed(1)} MB (1 thread, COPY read_csv -> parquet, zstd)`,
    );
    // DuckDB read the stage's silver back: it must hold exactly the rows the stage reported, each key once.
    const ok = duck.silverRows === stage.rowsOut && duck.silverKeys === stage.rowsOut;
    if (!ok) console.log(`check : DuckDB reads ${duck.silverRows} silver rows, ${duck.silverKeys} distinct keys: MISMATCH with ${stage.rowsOut}`);
    verified &&= ok;
  }
  console.log(`check : DuckDB read back every run's silver: ${verified ? 'ok' : 'MISMATCH'}`);
  if (!verified) process.exitCode = 1;
  if (!values.keep) rmSync(work, { recursive: true, force: true });
  else console.log(`kept: ${work}`);
  const stageMbS = inputMb / median(stageSec);
  const duckMbS = inputMb / median(duckSec);
  console.log(`medians of ${runs} runs each: stage ${median(stageSec).toFixed(2)} s, DuckDB ${median(duckSec).toFixed(2)} s`);
  // CPU time is steadier than wall time on a shared host (time other guests take is not in it);
  // the stage's includes V8's GC helper threads. Shown for reference; the ratio below is wall time.
  console.log(
    `cpu   : stage ${median(stageCpu).toFixed(2)} s, DuckDB ${median(duckCpu).toFixed(2)} s, ratio ${(median(duckCpu) / median(stageCpu)).toFixed(2)}`,
  );
  console.log(
    `stage_vs_duckdb=${(stageMbS / duckMbS).toFixed(2)} stage_mb_s=${stageMbS.toFixed(1)} duckdb_mb_s=${duckMbS.toFixed(1)} peak_rss_mb=${peakRss.toFixed(0)} input_mb=${inputMb.toFixed(0)} silver_vs_duckdb_size=${(silverOut / duckOut).toFixed(2)}`,
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
