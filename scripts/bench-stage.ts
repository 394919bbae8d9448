/** Child process of bench.ts: the full validate+transform stage on one file. */
import { createReadStream, rmSync, statSync } from 'node:fs';
import { loadConfig } from '../lib/config';
import { runStage } from '../lambdas/core/engine/stage';
import { tuneHeap } from '../lambdas/shared/heap';

async function main() {
  const [file, workDir] = process.argv.slice(2);
  // The stage Lambda's heap tuning (lambdaDeps does the same once per container).
  tuneHeap();
  rmSync(workDir, { recursive: true, force: true });
  const contract = loadConfig('config/pipeline.json', 'dev').datasets.find((d) => d.name === 'sales')!.contract;
  // 256 KB reads: S3 response streams arrive in chunks smaller still. (1 MB reads
  // measured the same speed but ~60 MB more peak RSS: each chunk is decoded to one string.)
  const open = () => createReadStream(file, { highWaterMark: 256 << 10 });
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const r = await runStage({
    contract,
    source: open(),
    sizeBytes: statSync(file).size,
    reopen: async () => open(),
    dataset: 'sales',
    key: 'landing/sales/bench.csv',
    ingestDate: '2026-11-22',
    workDir,
    fileId: 'bench',
  });
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(c0);
  if (process.env.BENCH_MEM) console.error(process.memoryUsage());
  console.log(
    JSON.stringify({
      seconds,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      peakRssMb: process.resourceUsage().maxRSS / 1024,
      rowsOut: r.counts.rowsOut,
      rowsQuarantined: r.counts.rowsQuarantined,
      rowsDeduplicated: r.counts.rowsDeduplicated,
      files: r.silver.length,
      silverMb: r.silver.reduce((n, f) => n + statSync(f.path).size, 0) / 1e6,
    }),
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
