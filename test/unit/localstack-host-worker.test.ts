import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';

/**
 * The Node side of the LocalStack host Lambda executor
 * (scripts/emulator-patches/localstack/ltl_host_lambda/worker.cjs), driven over
 * its pipe protocol as executor.py drives it, on the pinned Node.
 */
const WORKER = join(__dirname, '../../scripts/emulator-patches/localstack/ltl_host_lambda/worker.cjs');
const NODE = join(__dirname, '../../node_modules/.bin/node');

interface Msg {
  type: string;
  id?: string;
  ok?: boolean;
  payload?: string;
  logs?: string;
  error?: string;
}

const workers: ChildProcess[] = [];
afterEach(() => workers.splice(0).forEach((w) => w.kill()));

function startWorker(source: string, handler = 'index.handler') {
  const root = mkdtempSync(join(tmpdir(), 'host-worker-'));
  writeFileSync(join(root, 'index.js'), source);
  const child = spawn(NODE, [WORKER], {
    cwd: root,
    env: { PATH: process.env.PATH, _HANDLER: handler, LAMBDA_TASK_ROOT: root, LTL_RESULTS_FD: '3', AWS_LAMBDA_FUNCTION_VERSION: '$LATEST' },
    stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
  });
  workers.push(child);
  const queue: Msg[] = [];
  const waiters: ((m: Msg) => void)[] = [];
  createInterface({ input: child.stdio[3] as Readable }).on('line', (l) => {
    const m = JSON.parse(l) as Msg;
    const w = waiters.shift();
    if (w) w(m);
    else queue.push(m);
  });
  const next = () => new Promise<Msg>((res) => (queue.length ? res(queue.shift()!) : waiters.push(res)));
  let n = 0;
  const invoke = async (event: unknown) => {
    const id = `req-${++n}`;
    (child.stdin as Writable).write(
      `${JSON.stringify({ id, arn: 'arn:aws:lambda:us-east-1:000000000000:function:f', payload: JSON.stringify(event), traceId: 'Root=1', deadlineMs: Date.now() + 60_000 })}\n`,
    );
    const m = await next();
    expect(m).toMatchObject({ type: 'result', id });
    return m;
  };
  return { next, invoke, child };
}

describe('host Lambda worker', () => {
  it("runs the handler, returns its JSON result and the invocation's own logs", async () => {
    const w = startWorker(
      `exports.handler = async (e, ctx) => { console.log('hello', ctx.awsRequestId); process.stderr.write('warn\\n'); return { got: e, left: ctx.getRemainingTimeInMillis() > 0 }; };`,
    );
    expect(await w.next()).toEqual({ type: 'ready' });
    const r = await w.invoke({ a: 1 });
    expect(r.ok).toBe(true);
    expect(JSON.parse(r.payload!)).toEqual({ got: { a: 1 }, left: true });
    expect(r.logs).toMatch(/^START RequestId: req-1 Version: \$LATEST\nhello req-1\nwarn\nEND RequestId: req-1\nREPORT RequestId: req-1\t/);
    const r2 = await w.invoke(null);
    expect(r2.logs).not.toContain('req-1');
  });

  it('reports a thrown error with its name as errorType (what Step Functions Retry/Catch match), and keeps serving', async () => {
    const w = startWorker(`class TransientError extends Error { name = 'TransientError'; }
      exports.handler = async (e) => { if (e.fail) throw new TransientError('try again: ' + e.fail); return 'ok'; };`);
    await w.next();
    const r = await w.invoke({ fail: 'x' });
    expect(r.ok).toBe(false);
    expect(JSON.parse(r.payload!)).toMatchObject({ errorType: 'TransientError', errorMessage: 'try again: x' });
    expect((await w.invoke({})).payload).toBe('"ok"');
  });

  it('an undefined result is null; any JSON event round-trips', async () => {
    const w = startWorker(`exports.handler = async (e) => e === 'undef' ? undefined : e;`);
    await w.next();
    expect((await w.invoke('undef')).payload).toBe('null');
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), async (v) => {
        const r = await w.invoke(v);
        expect(JSON.parse(r.payload!)).toEqual(JSON.parse(JSON.stringify(v)));
      }),
      { numRuns: 50 },
    );
  });

  it('a missing module or handler is an init error, not a hang', async () => {
    const missing = startWorker('exports.other = 1;', 'nope.handler');
    const m = await missing.next();
    expect(m.type).toBe('init-error');
    expect(JSON.parse(m.error!).errorType).toBe('Runtime.ImportModuleError');
    const notExported = startWorker('exports.other = 1;');
    expect(JSON.parse((await notExported.next()).error!).errorType).toBe('Runtime.HandlerNotFound');
  });

  it('an unhandled rejection fails the invocation and ends the environment', async () => {
    const w = startWorker(
      `exports.handler = async () => { Promise.reject(new RangeError('lost')); await new Promise((r) => setTimeout(r, 1000)); return 'late'; };`,
    );
    await w.next();
    const exited = new Promise<number | null>((res) => w.child.on('exit', res));
    const r = await w.invoke({});
    expect(r.ok).toBe(false);
    expect(JSON.parse(r.payload!)).toMatchObject({ errorType: 'Runtime.UnhandledPromiseRejection', errorMessage: 'RangeError: lost' });
    expect(await exited).not.toBe(0);
  });
});
