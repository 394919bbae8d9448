/** Child process of bench.ts: DuckDB's own CSV -> Parquet copy, one thread, as the yardstick. */
import { DuckDBInstance } from '@duckdb/node-api';

async function main() {
  const [file, out] = process.argv.slice(2);
  const db = await DuckDBInstance.create(':memory:', { threads: '1' });
  const con = await db.connect();
  const t0 = performance.now();
  await con.run(`COPY (SELECT * FROM read_csv('${file.replace(/'/g, "''")}')) TO '${out.replace(/'/g, "''")}' (FORMAT parquet)`);
  const seconds = (performance.now() - t0) / 1000;
  console.log(JSON.stringify({ seconds, peakRssMb: process.resourceUsage().maxRSS / 1024 }));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
