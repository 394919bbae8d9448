import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config';
import { layout } from '../../lambdas/core/lake/layout';
import { readOutputs } from '../../lambdas/core/lake/outputs';
import { DirectoryObjectStore } from '../../lambdas/shared/dir-store';
import { LOCAL_BUCKETS, runLocal } from '../../src/cli/local-run';

/**
 * Step Functions fails an execution whose state passes 256 KiB, and no Catch
 * sees it. The state carries counts and references; the per-partition detail
 * lives in the lake (the key's outputs record, the manifest).
 */
const cfg = loadConfig('config/pipeline.json', 'dev');
const LIMIT = 64 * 1024;

describe('state size', () => {
  it('a file with 5,000 partitions passes through with every state under 64 KiB; the manifest lists them all', { timeout: 300_000 }, async () => {
    const root = mkdtempSync(join(tmpdir(), 'pipeline-wide-'));
    const dir = join(root, 'in', 'sales');
    mkdirSync(dir, { recursive: true });
    const day0 = Date.UTC(2010, 0, 1);
    const rows = Array.from({ length: 5000 }, (_, i) => `P-${i},C000001,${i % 100}.25,1,paid,${new Date(day0 + i * 86_400_000).toISOString()},EU`);
    const file = join(dir, 'price_history.csv');
    writeFileSync(file, `order_id,customer_id,amount,quantity,status,order_ts,region\n${rows.join('\n')}\n`);
    const sizes: { state: string; bytes: number }[] = [];
    const r = await runLocal(file, 'sales', {
      config: cfg,
      storeRoot: root,
      wrap: (state, fn) => async (input) => {
        sizes.push({ state: `${state} in`, bytes: Buffer.byteLength(JSON.stringify(input)) });
        const out = await fn(input);
        sizes.push({ state: `${state} out`, bytes: Buffer.byteLength(JSON.stringify(out)) });
        return out;
      },
    });
    expect(r.status).toBe('succeeded');
    expect(sizes.map((s) => s.state)).toEqual(['Validate in', 'Validate out', 'Transform in', 'Transform out', 'Publish in', 'Publish out']);
    for (const s of sizes) expect(s.bytes, s.state).toBeLessThan(LIMIT);
    expect(r.manifest!.outputs.silver).toHaveLength(5000);
    expect(r.manifest!.outputs.gold).toHaveLength(5000);
    const outputs = await readOutputs(new DirectoryObjectStore(root), LOCAL_BUCKETS.lake, 'sales', 'landing/sales/price_history.csv');
    expect(outputs?.partitions).toHaveLength(5000);
    expect(r.manifest!.outputs.gold[0]).toBe(layout.gold('sales', 'daily_sales_by_region', '2010-01-01'));
  });
});
