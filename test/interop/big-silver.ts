/**
 * Interop tier: the stage's silver at a size where it cuts several row groups
 * per file (its 16 MiB buffer flushes partitions as they grow). A seeded
 * sales file with duplicates, rejected rows, null regions and four days of
 * orders; the generator knows which rows the contract keeps (the first valid
 * row of each order_id), so the aggregates every engine must compute over
 * silver are derived here, not read back from our own writer.
 */
import { createReadStream, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Contract } from '../../lambdas/core/contract/contract';
import { runStage } from '../../lambdas/core/engine/stage';
import { formatDecimal } from '../../lambdas/core/typing/decimal';

const ROWS = 600_000;
const STATUSES = ['new', 'paid', 'shipped', 'cancelled', 'refunded'];
const REGIONS = ['EU', 'US', 'APAC', '東京', 'Zoë', ''];

export interface BigSilverExpected {
  dir: string;
  files: number;
  rows: number;
  sumAmount: string;
  distinctIds: number;
  minTs: string;
  maxTs: string;
  nullRegions: number;
  sumQuantity: string;
  sumSourceLine: string;
}

export async function writeBigSilver(dir: string, contract: Contract): Promise<BigSilverExpected> {
  mkdirSync(dir, { recursive: true });
  let seed = 424242;
  const rnd = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 4294967296;
  };
  const lines = ['order_id,customer_id,amount,quantity,status,order_ts,region'];
  const kept = new Set<string>();
  let sumAmount = 0n;
  let sumQuantity = 0n;
  let sumLine = 0n;
  let nullRegions = 0;
  let minTs = Infinity;
  let maxTs = -Infinity;
  for (let n = 0; n < ROWS; n++) {
    const id = n % 97 === 96 ? `O${n - 50}` : `O${n}`; // every 97th row repeats an earlier order
    const cents = Math.floor(rnd() * 1e7);
    const amount = n % 211 === 5 ? '-1.00' : n % 401 === 7 ? 'abc' : formatDecimal(BigInt(cents), 2);
    const quantity = 1 + Math.floor(rnd() * 1500); // over 1000 only warns
    const ts = Date.UTC(2026, 10, 18) + Math.floor(rnd() * 4 * 86400) * 1000;
    const region = REGIONS[Math.floor(rnd() * REGIONS.length)];
    const customer = `C${String(Math.floor(rnd() * 1e6)).padStart(6, '0')}`;
    lines.push(`${id},${customer},${amount},${quantity},${STATUSES[n % 5]},${new Date(ts).toISOString().slice(0, 19)}Z,${region}`);
    const valid = amount !== '-1.00' && amount !== 'abc';
    if (!valid || kept.has(id)) continue;
    kept.add(id);
    sumAmount += BigInt(cents);
    sumQuantity += BigInt(quantity);
    sumLine += BigInt(n + 2); // the header is line 1
    if (region === '') nullRegions++;
    minTs = Math.min(minTs, ts);
    maxTs = Math.max(maxTs, ts);
  }
  const csv = join(dir, 'big-sales.csv');
  writeFileSync(csv, `${lines.join('\n')}\n`);
  const r = await runStage({
    contract,
    source: createReadStream(csv, { highWaterMark: 256 << 10 }),
    dataset: 'sales',
    key: 'landing/sales/big-sales.csv',
    ingestDate: '2026-11-22',
    workDir: join(dir, 'stage'),
    fileId: 'big',
    sourceVersion: 'v1',
    ingestedAt: Date.UTC(2026, 10, 22, 9, 0, 0),
  });
  if (r.counts.rowsOut !== kept.size) throw new Error(`the stage kept ${r.counts.rowsOut} rows, the generator expects ${kept.size}`);
  return {
    dir: join(dir, 'stage', 'silver'),
    files: r.silver.length,
    rows: kept.size,
    sumAmount: formatDecimal(sumAmount, 2),
    distinctIds: kept.size,
    minTs: String(minTs),
    maxTs: String(maxTs),
    nullRegions,
    sumQuantity: String(sumQuantity),
    sumSourceLine: String(sumLine),
  };
}
