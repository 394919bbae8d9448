import { join } from 'node:path';
import type { Contract } from '../../lambdas/core/contract/contract';
import { runStage } from '../../lambdas/core/engine/stage';

/**
 * Interop tier: two files of one dataset under `onAddedColumns: keep`, each with its own extra column
 * (`Region Code` -> region_code, `note`): their silver files differ only in kept columns, and
 * README says how to declare one table over both. Returns the silver directory.
 */
export async function writeKeptColumns(dir: string, contract: Contract): Promise<{ dir: string; rows: number; columns: string[] }> {
  const keep = { ...contract, evolution: { ...contract.evolution, onAddedColumns: 'keep' as const } };
  const header = 'order_id,customer_id,amount,quantity,status,order_ts,region';
  const files = [
    { name: 'a.csv', extra: 'Region Code', rows: 30 },
    { name: 'b.csv', extra: 'note', rows: 20 },
  ];
  let columns: string[] = [];
  for (const [f, file] of files.entries()) {
    const lines = [`${header},${file.extra}`];
    for (let n = 0; n < file.rows; n++) lines.push(`K${f}-${n},C00000${n % 10},1.0${n % 10},1,paid,2026-11-2${n % 2}T10:00:00Z,EU,x${n}`);
    const r = await runStage({
      contract: keep,
      source: (async function* () {
        yield Buffer.from(`${lines.join('\n')}\n`);
      })(),
      dataset: 'sales',
      key: `landing/sales/${file.name}`,
      ingestDate: '2026-11-22',
      workDir: join(dir, 'stage'),
      fileId: file.name.replace('.csv', ''),
      sourceVersion: 'v1',
      ingestedAt: Date.UTC(2026, 10, 22, 9, 0, 0),
    });
    columns = [...new Set([...columns, ...r.columns.map((c) => c.name)])];
  }
  return { dir: join(dir, 'stage', 'silver'), rows: files.reduce((n, f) => n + f.rows, 0), columns };
}
