'use strict';
/*
 * One Lambda execution environment on the host: the project's pinned Node runs
 * the function's handler, as the nodejs runtime would in its container.
 * Started by executor.py (LocalStack's host executor plugin of this project).
 *
 * Protocol (nothing listens on a socket):
 *   stdin  <- one JSON request per line: {id, payload, arn, deadlineMs, traceId}
 *   fd $LTL_RESULTS_FD -> one JSON message per line: {type:'ready'} | {type:'init-error', error}
 *             | {type:'result', id, ok, payload, logs}
 * Whatever the function writes to stdout/stderr during an invocation is
 * returned as that invocation's logs (the runtime sends it to CloudWatch Logs).
 */
const fs = require('node:fs');
const path = require('node:path');
const readline = require('node:readline');
const { pathToFileURL } = require('node:url');

const RESULTS_FD = Number(process.env.LTL_RESULTS_FD);
delete process.env.LTL_RESULTS_FD;
const send = (msg) => fs.writeSync(RESULTS_FD, JSON.stringify(msg) + '\n');

// Everything the function prints belongs to the current invocation's log.
let logs = [];
for (const stream of [process.stdout, process.stderr]) {
  stream.write = (chunk, encoding, cb) => {
    logs.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString(typeof encoding === 'string' ? encoding : 'utf8'));
    const done = typeof encoding === 'function' ? encoding : cb;
    if (done) process.nextTick(done);
    return true;
  };
}
const takeLogs = () => {
  const s = logs.join('');
  logs = [];
  return s;
};

/** The Node.js runtime's error shape: Step Functions matches Retry/Catch on errorType (err.name). */
function errorPayload(err, fallbackType) {
  if (err instanceof Error || (err && typeof err === 'object')) {
    const name = typeof err.name === 'string' && err.name ? err.name : fallbackType;
    return { errorType: name, errorMessage: String(err.message ?? ''), trace: typeof err.stack === 'string' ? err.stack.split('\n') : [] };
  }
  return { errorType: fallbackType, errorMessage: String(err), trace: [] };
}

async function loadHandler() {
  const spec = process.env._HANDLER ?? '';
  const dot = spec.lastIndexOf('.');
  if (dot <= 0) throw Object.assign(new Error(`Bad handler '${spec}': expected <module>.<function>`), { name: 'Runtime.MalformedHandlerName' });
  const base = path.resolve(process.env.LAMBDA_TASK_ROOT, spec.slice(0, dot));
  const file = ['.js', '.mjs', '.cjs'].map((x) => base + x).find((f) => fs.existsSync(f));
  if (!file) throw Object.assign(new Error(`Cannot find module '${spec.slice(0, dot)}' in ${process.env.LAMBDA_TASK_ROOT}`), { name: 'Runtime.ImportModuleError' });
  const mod = await import(pathToFileURL(file).href);
  const fnName = spec.slice(dot + 1);
  const fn = mod[fnName] ?? mod.default?.[fnName];
  if (typeof fn !== 'function') throw Object.assign(new Error(`${spec} is undefined or not exported`), { name: 'Runtime.HandlerNotFound' });
  return fn;
}

function contextFor(req) {
  const env = process.env;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: env.AWS_LAMBDA_FUNCTION_VERSION,
    invokedFunctionArn: req.arn,
    memoryLimitInMB: env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    awsRequestId: req.id,
    logGroupName: env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: env.AWS_LAMBDA_LOG_STREAM_NAME,
    getRemainingTimeInMillis: () => Math.max(0, req.deadlineMs - Date.now()),
  };
}

let current;
// An error nothing awaited ends the environment, as in the Node.js runtime
// (which reports a rejection as Runtime.UnhandledPromiseRejection).
const fatal = (payloadOf) => (err) => {
  const id = current?.id;
  process.stderr.write(`${err?.stack ?? err}\n`);
  if (id) send({ type: 'result', id, ok: false, payload: JSON.stringify(payloadOf(err)), logs: takeLogs() });
  process.exit(129);
};
process.on('uncaughtException', fatal((err) => errorPayload(err, 'Runtime.UncaughtException')));
process.on(
  'unhandledRejection',
  fatal((err) => ({ errorType: 'Runtime.UnhandledPromiseRejection', errorMessage: err instanceof Error ? `${err.name}: ${err.message}` : String(err), trace: errorPayload(err, 'Error').trace })),
);

async function main() {
  let handler;
  try {
    handler = await loadHandler();
  } catch (err) {
    send({ type: 'init-error', error: JSON.stringify(errorPayload(err, 'Runtime.ImportModuleError')), logs: takeLogs() });
    process.exit(1);
  }
  send({ type: 'ready' });
  const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of lines) {
    const req = JSON.parse(line);
    current = req;
    process.env._X_AMZN_TRACE_ID = req.traceId ?? '';
    const started = Date.now();
    process.stdout.write(`START RequestId: ${req.id} Version: ${process.env.AWS_LAMBDA_FUNCTION_VERSION}\n`);
    let ok = true;
    let payload;
    try {
      const result = await handler(JSON.parse(req.payload), contextFor(req));
      payload = JSON.stringify(result === undefined ? null : result);
    } catch (err) {
      ok = false;
      payload = JSON.stringify(errorPayload(err, 'Error'));
      process.stderr.write(`${new Date().toISOString()}\t${req.id}\tERROR\tInvoke Error \t${payload}\n`);
    }
    const ms = Date.now() - started;
    process.stdout.write(`END RequestId: ${req.id}\nREPORT RequestId: ${req.id}\tDuration: ${ms} ms\tMax Memory Used: ${Math.round(process.memoryUsage.rss() / 2 ** 20)} MB\n`);
    current = undefined;
    send({ type: 'result', id: req.id, ok, payload, logs: takeLogs() });
  }
  process.exit(0);
}

main();
