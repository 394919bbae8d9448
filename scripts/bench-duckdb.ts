/**
 * Child process of bench.ts: DuckDB's own CSV -> Parquet copy, one thread,
 * ZSTD like silver, as the yardstick. Then, outside the timing, it reads the stage's silver back as
 * a check that the stage wrote what it said: rows, and no key twice.
 */
import { DuckDBInstance } from '@duckdb/node-api';

async function main() {
  const [file, out, silverGlob] = process.argv.slice(2);
  const q = (s: string) => `'${s.replace(/'/g, "''")}'`;
  const db = await DuckDBInstance.create(':memory:', { threads: '1' });
  const con = await db.connect();
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  await con.run(`COPY (SELECT * FROM read_csv(${q(file)})) TO ${q(out)} (FORMAT parquet, COMPRESSION zstd)`);
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(c0);
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  let silverRows = -1;
  let silverKeys = -1;
  if (silverGlob) {
    const r = await con.runAndReadAll(`SELECT count(*)::BIGINT AS n, count(DISTINCT order_id)::BIGINT AS k FROM read_parquet(${q(silverGlob)})`);
    const [n, k] = r.getRows()[0];
    silverRows = Number(n);
    silverKeys = Number(k);
  }
  console.log(JSON.stringify({ seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, peakRssMb, silverRows, silverKeys }));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
