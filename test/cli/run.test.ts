import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config';
import { TransientError } from '../../lambdas/core/base/errors';
import { main } from '../../src/cli/main';
import { inferDataset, runLocal } from '../../src/cli/local-run';
import { goldByPartition, referenceGold, silverByPartition } from './lake-reference';

const cfg = loadConfig('config/pipeline.json', 'dev');

async function cli(args: string[]) {
  const lines: string[] = [];
  const errs: string[] = [];
  const code = await main(args, { log: (s) => lines.push(s), err: (s) => errs.push(s) });
  return { code, out: lines.join('\n'), err: errs.join('\n') };
}

const store = () => mkdtempSync(join(tmpdir(), 'pipeline-store-'));

describe('pipeline run', () => {
  it('processes a good file: exit 0, per-stage progress, report with output paths that exist', async () => {
    const root = store();
    const { code, out } = await cli(['run', 'samples/orders/orders_v1.csv', '--store', root]);
    expect(code).toBe(0);
    expect(out).toMatch(/✓ Validate[\s\S]*✓ Transform[\s\S]*✓ Publish/);
    expect(out).toMatch(/processed in .* contract v3 \(file matches v1\)/);
    expect(out).toContain('rows in 3 · out 3 · quarantined 0');
    const silver = /silver\s+(\S+)/.exec(out)![1];
    expect(existsSync(silver)).toBe(true);
    expect(existsSync(join(root, 'lake-bucket/gold/orders/orders_by_status'))).toBe(true);
  });

  it('bad rows: exit 0, the three reasons reported, quarantine rows written', async () => {
    const root = store();
    const { code, out } = await cli(['run', 'samples/sales/sales_bad_rows.csv', '--store', root]);
    expect(code).toBe(0);
    expect(out).toContain('top reasons: not_null(order_id) ×1, min(amount) ×1, accepted_values(status) ×1');
    const q = /quarantine\s+(\S+\.jsonl)/.exec(out)![1];
    expect(readFileSync(q, 'utf8').trim().split('\n')).toHaveLength(3);
  });

  it("prints the manifest's warnings (a warn rule here; gold sums past their type the same way)", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'warn-'));
    const file = join(dir, 'sales_warn.csv');
    writeFileSync(file, 'order_id,customer_id,amount,quantity,status,order_ts,region\nO1,C000001,10.00,5000,paid,2026-11-20T10:00:00Z,EU\n');
    const { code, out } = await cli(['run', file, '--dataset', 'sales', '--store', store()]);
    expect(code).toBe(0);
    expect(out).toMatch(/warnings: max\(quantity\) ×1/);
  });

  it('poison file: exit 1, quarantined with parse.framing (its semicolon delimiter named), a failed-queue message, nothing in silver', async () => {
    const root = store();
    const { code, out } = await cli(['run', 'samples/sales/sales_poison.csv', '--store', root]);
    expect(code).toBe(1);
    expect(out).toMatch(/quarantined in/);
    expect(out).toContain('parse.framing');
    expect(out).toContain("delimiter looks like ';'");
    expect(existsSync(join(root, 'lake-bucket/silver'))).toBe(false);
    const failed = join(root, 'lake-bucket/_local/failed-queue');
    expect(existsSync(failed)).toBe(true);
  });

  it('prints data-derived text (column names, messages) with control characters escaped', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'esc-'));
    const file = join(dir, 'orders_esc.csv');
    writeFileSync(file, 'order_id,total,status,\u001b[2J\u001b]0;pwned\u0007evil\r\n1,2.00,paid,x\n');
    const { out } = await cli(['run', file, '--dataset', 'orders', '--store', store()]);
    expect(out).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
    expect(out).toContain('\\u001b[2J');
  });

  it('--json prints the manifest', async () => {
    const { code, out } = await cli(['run', 'samples/orders/orders_v2.csv', '--store', store(), '--json']);
    expect(code).toBe(0);
    const m = JSON.parse(out);
    expect(m).toMatchObject({
      status: 'succeeded',
      contractVersion: 3,
      matchedVersion: 2,
      counts: { rowsIn: 3, rowsOut: 3 },
      source: { dataset: 'orders', key: 'landing/orders/orders_v2.csv' },
    });
    expect(m.source.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('rerunning a file overwrites its outputs instead of adding to them', async () => {
    const root = store();
    await cli(['run', 'samples/sales/sales_bad_rows.csv', '--store', root]);
    const first = (await cli(['run', 'samples/sales/sales_bad_rows.csv', '--store', root, '--json'])).out;
    const m = JSON.parse(first);
    expect(m.outputs.silver).toHaveLength(2);
    const { readdirSync } = await import('node:fs');
    expect(readdirSync(join(root, 'lake-bucket/silver/sales/dt=2026-11-21'))).toHaveLength(1);
  });

  it('exit 2 on bad usage and bad config', async () => {
    expect((await cli(['run'])).code).toBe(2);
    expect((await cli(['frobnicate'])).code).toBe(2);
    expect((await cli(['run', 'samples/orders/orders_v1.csv', '--dataset', 'nope', '--store', store()])).err).toContain("unknown dataset 'nope'");
    expect((await cli(['run', 'does/not/exist.csv'])).code).toBe(2);
    const r = await cli(['check-config', '--config', 'package.json']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/Invalid pipeline config .*package\.json/);
  });

  it('check-config refuses gold aggregates whose table names collide (names that differ only in case)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    const contract = JSON.parse(readFileSync('config/contracts/sales.json', 'utf8'));
    contract.gold = [
      { name: 'g', groupBy: ['region'], measures: [{ fn: 'count', as: 'n' }] },
      { name: 'G', groupBy: ['status'], measures: [{ fn: 'count', as: 'n' }] },
    ];
    delete contract.$schema;
    writeFileSync(join(dir, 'sales.json'), JSON.stringify(contract));
    writeFileSync(
      join(dir, 'pipeline.json'),
      JSON.stringify({ name: 'pp', datasets: [{ name: 'sales', contract: 'sales.json', suffixes: ['.csv'], freshnessSlaMinutes: 60 }] }),
    );
    const r = await cli(['check-config', '--config', join(dir, 'pipeline.json')]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/table name sales_g is used twice/);
  });

  it('check-config lists the datasets', async () => {
    const r = await cli(['check-config']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/orders\s+v3/);
    expect(r.out).toMatch(/sales\s+v1/);
  });
});

describe('pipeline run --concurrency', () => {
  it('samples/sales and samples/orders give the same silver and gold at --concurrency 4 as at 1', { timeout: 120_000 }, async () => {
    const lakes: unknown[] = [];
    for (const n of ['1', '4']) {
      const root = store();
      const r = await cli(['run', 'samples/sales', 'samples/orders', '--concurrency', n, '--store', root, '--json']);
      expect(r.code).toBe(1); // sales_poison.csv is quarantined
      const lake = join(root, 'lake-bucket');
      const content: Record<string, unknown> = {};
      for (const d of cfg.datasets.filter((x) => x.name !== 'events')) {
        content[`${d.name} silver`] = await silverByPartition(lake, d.contract);
        content[`${d.name} gold`] = await goldByPartition(lake, d.contract);
        expect(content[`${d.name} gold`]).toEqual(await referenceGold(lake, d.contract));
      }
      lakes.push(content);
    }
    expect(Object.keys((lakes[0] as Record<string, object>)['orders silver']).length).toBeGreaterThan(0);
    expect(lakes[1]).toEqual(lakes[0]);
  });

  it('rejects a --concurrency that is not a positive whole number', async () => {
    expect((await cli(['run', 'samples/orders', '--concurrency', '0', '--store', store()])).code).toBe(2);
    expect((await cli(['run', 'samples/orders', '--concurrency', 'many', '--store', store()])).err).toContain('--concurrency');
  });
});

describe('retries in the local run', () => {
  it('a transient error thrown once by Transform is retried by the state machine, then the file succeeds', async () => {
    let calls = 0;
    const r = await runLocal('samples/orders/orders_v3.csv', 'orders', {
      config: cfg,
      storeRoot: store(),
      wrap: (state, fn) => async (input) => {
        if (state === 'Transform' && calls++ === 0) throw new TransientError('simulated S3 throttle');
        return fn(input);
      },
    });
    expect(r.status).toBe('succeeded');
    expect(calls).toBe(2);
    expect(r.retries).toEqual([{ state: 'Transform', error: 'TransientError' }]);
  });

  it('a DataError is not retried', async () => {
    let calls = 0;
    const r = await runLocal('samples/sales/sales_poison.csv', 'sales', {
      config: cfg,
      storeRoot: store(),
      wrap: (state, fn) => async (input) => {
        if (state === 'Validate') calls++;
        return fn(input);
      },
    });
    expect(r.status).toBe('quarantined');
    expect(calls).toBe(1);
    expect(r.failedMessage).toMatchObject({ status: 'quarantined', reason: 'parse.framing', dataset: 'sales' });
  });

  it('the test-only fault switch (test env, __fault_<stage>__ in the key) fails a stage once', async () => {
    const root = store();
    const dir = join(root, 'in', 'orders');
    mkdirSync(dir, { recursive: true });
    copyFileSync('samples/orders/orders_v1.csv', join(dir, 'o__fault_publish__.csv'));
    const r = await runLocal(join(dir, 'o__fault_publish__.csv'), 'orders', { config: loadConfig('config/pipeline.json', 'test'), storeRoot: root });
    expect(r.status).toBe('succeeded');
    expect(r.retries).toEqual([{ state: 'Publish', error: 'TransientError' }]);
    const off = await runLocal(join(dir, 'o__fault_publish__.csv'), 'orders', { config: cfg, storeRoot: store() });
    expect(off.retries).toEqual([]);
  });
});

describe('dataset inference', () => {
  it('infers from landing/<dataset>/, a directory name, a file prefix or a unique suffix', () => {
    expect(inferDataset('/x/landing/sales/a.csv', cfg)).toBe('sales');
    expect(inferDataset('samples/orders/whatever.csv', cfg)).toBe('orders');
    expect(inferDataset('/tmp/orders_2026.csv', cfg)).toBe('orders');
    expect(inferDataset('/tmp/clicks.jsonl', cfg)).toBe('events');
    expect(inferDataset('/tmp/thing.csv', cfg)).toBeUndefined();
    const withPattern = { ...cfg, datasets: cfg.datasets.map((d) => (d.name === 'sales' ? { ...d, filePattern: 'pos-export-*.csv' } : d)) };
    expect(inferDataset('/tmp/pos-export-2026-11-20.csv', withPattern)).toBe('sales');
    expect(inferDataset('/tmp/pos-export.csv', withPattern)).toBeUndefined();
  });
});

describe('the command runs on the pinned Node only', () => {
  const bin = join(__dirname, '..', '..', 'bin', 'pipeline-cli.cjs');
  it('prints its version and the Node it runs on', () => {
    const r = spawnSync(process.execPath, [bin, '--version'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(`landing-to-lake ${JSON.parse(readFileSync('package.json', 'utf8')).version} (node ${process.version})`);
  });
  it('refuses an older Node with the way to run it', () => {
    const pretend = `Object.defineProperty(process, 'versions', { value: { ...process.versions, node: '20.19.0' } }); process.argv = [process.argv[0], 'pipeline', '--version']; require(${JSON.stringify(bin)});`;
    const r = spawnSync(process.execPath, ['-e', pretend], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/Lambdas run Node 24.*npx pipeline/);
  });
});
