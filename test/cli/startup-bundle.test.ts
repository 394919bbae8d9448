import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main';

/**
 * The `pipeline` command runs a bundle of the sources (bin/transpile-cache.cjs)
 * rather than the sources themselves: the bundle must answer exactly as the
 * sources do, pick up any change to them, and keep a local run's start-up free
 * of the packages it does not need.
 */
const ROOT = join(__dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'pipeline-cli.cjs');

function viaBin(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8' });
  return { code: r.status, out: r.stdout.replace(/\n$/, ''), err: r.stderr.replace(/\n$/, '') };
}

async function inProcess(args: string[]) {
  const lines: string[] = [];
  const errs: string[] = [];
  const code = await main(args, { log: (s) => lines.push(s), err: (s) => errs.push(s) });
  return { code, out: lines.join('\n'), err: errs.join('\n') };
}

/** Timings and the store's directory differ between two runs; nothing else may. */
const same = (r: { code: number | null; out: string; err: string }, store: string) => {
  const norm = (s: string) =>
    s
      .replaceAll(relative(ROOT, store), '<store>')
      .replaceAll(store, '<store>')
      .replace(/\d+ ms/g, 'N ms');
  return { code: r.code, out: norm(r.out), err: norm(r.err) };
};

describe('the bundled CLI', () => {
  it('answers as the sources do: run, query, check-config, help, usage errors', async () => {
    const stores = [mkdtempSync(join(tmpdir(), 'bundle-a-')), mkdtempSync(join(tmpdir(), 'bundle-b-'))];
    const commands = (store: string) => [
      ['run', 'samples/orders/orders_v1.csv', '--store', store],
      ['run', 'samples/sales/sales_bad_rows.csv', '--store', store],
      ['run', 'samples/events/events.jsonl', '--store', store],
      ['run', 'samples/does-not-exist.csv', '--store', store],
      ['query', 'select status, count(*) as n from orders group by status order by status', '--json', '--store', store],
      ['check-config'],
      ['--help'],
      ['--version'],
      ['no-such-command'],
    ];
    try {
      const [a, b] = stores;
      for (const [i, args] of commands(a).entries()) {
        const bundled = same(viaBin(args), a);
        const sources = same(await inProcess(commands(b)[i]), b);
        expect(bundled, args.join(' ')).toEqual(sources);
      }
    } finally {
      for (const s of stores) rmSync(s, { recursive: true, force: true });
    }
  });

  it('a local run loads neither the AWS SDK, the definition validator, aws-cdk-lib nor DuckDB', () => {
    const store = mkdtempSync(join(tmpdir(), 'bundle-modules-'));
    try {
      // Warm the caches first (bundle and definition), then list what the run required.
      expect(viaBin(['run', 'samples/orders/orders_v1.csv', '--store', store]).code).toBe(0);
      const probe = `process.on('exit', () => process.stderr.write('\\nMODULES ' + JSON.stringify(Object.keys(require.cache)))); process.argv = [process.argv[0], 'pipeline', 'run', 'samples/orders/orders_v1.csv', '--store', ${JSON.stringify(store)}]; require(${JSON.stringify(BIN)});`;
      const r = spawnSync(process.execPath, ['-e', probe], { cwd: ROOT, encoding: 'utf8' });
      expect(r.status).toBe(0);
      const modules = JSON.parse(/MODULES (.*)$/.exec(r.stderr)![1]) as string[];
      for (const pkg of ['@aws-sdk', '@smithy', 'asl-validator', 'aws-cdk-lib', '@duckdb', 'esbuild', 'tsx']) {
        expect(
          modules.filter((m) => m.includes(`/node_modules/${pkg}/`)),
          pkg,
        ).toEqual([]);
      }
      // The sources and the packages a run needs come from one file.
      expect(modules.filter((m) => !m.startsWith(join(ROOT, 'bin')))).toEqual([join(ROOT, 'node_modules', '.cache', 'landing-to-lake', 'cli', 'main.js')]);
    } finally {
      rmSync(store, { recursive: true, force: true });
    }
  });

  it('falls back to running the sources with tsx (PIPELINE_TSX=1), definition-cache miss included', () => {
    // A config of its own name: its definition is not cached yet, so the run synthesizes it (lib/ through import()).
    const dir = mkdtempSync(join(tmpdir(), 'bundle-tsx-'));
    const definitions = join(ROOT, 'node_modules', '.cache', 'landing-to-lake', 'asl');
    const before = new Set(existsSync(definitions) ? readdirSync(definitions) : []);
    try {
      const cfg = JSON.parse(readFileSync(join(ROOT, 'config', 'pipeline.json'), 'utf8')) as { name: string; datasets: { contract: string }[] };
      cfg.name = `tsx-${process.pid}-${Date.now()}`;
      for (const d of cfg.datasets) d.contract = join(ROOT, 'config', d.contract);
      writeFileSync(join(dir, 'pipeline.json'), JSON.stringify(cfg));
      const r = spawnSync(
        process.execPath,
        [BIN, 'run', 'samples/orders/orders_v1.csv', '--config', join(dir, 'pipeline.json'), '--store', join(dir, 'store')],
        { cwd: ROOT, encoding: 'utf8', env: { ...process.env, PIPELINE_TSX: '1' } },
      );
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout).toContain('rows in 3 · out 3 · quarantined 0');
    } finally {
      rmSync(dir, { recursive: true, force: true });
      // The entry this one-off config left behind.
      for (const f of existsSync(definitions) ? readdirSync(definitions) : []) if (!before.has(f)) rmSync(join(definitions, f), { force: true });
    }
  });

  it('is rebuilt when a source, a new source, package.json or the installed packages change', async () => {
    // A checkout in miniature: bin/transpile-cache.cjs beside src/, lib/, lambdas/ and node_modules/.
    const root = mkdtempSync(join(tmpdir(), 'bundle-root-'));
    try {
      mkdirSync(join(root, 'bin'));
      cpSync(join(ROOT, 'bin', 'transpile-cache.cjs'), join(root, 'bin', 'transpile-cache.cjs'));
      for (const d of ['src/cli', 'lib', 'lambdas/core', 'node_modules']) mkdirSync(join(root, d), { recursive: true });
      symlinkSync(join(ROOT, 'node_modules', 'esbuild'), join(root, 'node_modules', 'esbuild'));
      writeFileSync(join(root, 'node_modules', '.package-lock.json'), '{"lockfileVersion":3}');
      writeFileSync(join(root, 'package.json'), '{"version":"1.0.0"}');
      writeFileSync(join(root, 'lib', 'config.ts'), "export const value: string = 'one';\n");
      writeFileSync(join(root, 'lambdas', 'core', 'x.ts'), 'export const x = 1;\n');
      writeFileSync(
        join(root, 'src', 'cli', 'main.ts'),
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the string is TypeScript source with a template literal in it
        "import { value } from '../../lib/config';\nimport { x } from '../../lambdas/core/x';\nconst pkg = require('../../package.json') as { version: string };\nexport const read = () => `${value} ${x} ${pkg.version} ${__dirname}`;\n",
      );
      const entry = join(root, 'src', 'cli', 'main.ts');
      // Each read in a fresh process, as the CLI does: the second and later ones through the code cache
      // the first wrote (V8 itself checks a code cache against the source's length only).
      const cache = JSON.stringify(join(root, 'bin', 'transpile-cache.cjs'));
      const read = () => {
        const r = spawnSync(
          process.execPath,
          ['-e', `const c = require(${cache}); c.bundled(${JSON.stringify(entry)}).then((f) => console.log(c.requireBundle(f, 'read').read()))`],
          { encoding: 'utf8' },
        );
        expect(r.stderr).toBe('');
        return r.stdout.trim();
      };
      const codeCache = join(root, 'node_modules', '.cache', 'landing-to-lake', 'cli', 'main.js.read.v8');
      const current = () =>
        spawnSync(process.execPath, [
          '-e',
          `process.exit(require(${JSON.stringify(join(root, 'bin', 'transpile-cache.cjs'))}).current(${JSON.stringify(entry)}) ? 0 : 1)`,
        ]).status;
      expect(read()).toBe(`one 1 1.0.0 ${join(root, 'src', 'cli')}`);
      expect(current()).toBe(0);
      expect(existsSync(codeCache)).toBe(true);
      expect(read()).toBe(`one 1 1.0.0 ${join(root, 'src', 'cli')}`);

      // Same size, so a bundle and code cache of the same length: the mtime tells the bundle, the hash the cache.
      writeFileSync(join(root, 'lib', 'config.ts'), "export const value: string = 'two';\n");
      utimesSync(join(root, 'lib', 'config.ts'), new Date(), new Date(Date.now() + 5_000));
      expect(current()).toBe(1);
      expect(read()).toBe(`two 1 1.0.0 ${join(root, 'src', 'cli')}`);
      expect(read()).toBe(`two 1 1.0.0 ${join(root, 'src', 'cli')}`);

      writeFileSync(join(root, 'lambdas', 'core', 'x.ts'), 'export const x = 22;\n');
      expect(read()).toBe(`two 22 1.0.0 ${join(root, 'src', 'cli')}`);

      // A new file (moved or added) changes the stamp before anything imports it.
      mkdirSync(join(root, 'lambdas', 'core', 'room'));
      writeFileSync(join(root, 'lambdas', 'core', 'room', 'y.ts'), 'export const y = 3;\n');
      expect(current()).toBe(1);
      expect(read()).toBe(`two 22 1.0.0 ${join(root, 'src', 'cli')}`);
      expect(current()).toBe(0);

      writeFileSync(join(root, 'package.json'), '{"version":"1.0.10"}');
      expect(read()).toBe(`two 22 1.0.10 ${join(root, 'src', 'cli')}`);

      // npm rewrites node_modules/.package-lock.json on every install: the bundled packages may have changed.
      writeFileSync(join(root, 'node_modules', '.package-lock.json'), '{"lockfileVersion":3,"packages":{}}');
      expect(current()).toBe(1);
      expect(read()).toBe(`two 22 1.0.10 ${join(root, 'src', 'cli')}`);
      expect(readFileSync(join(root, 'node_modules', '.cache', 'landing-to-lake', 'cli', 'main.js'), 'utf8')).toMatch(
        /^\/\/ landing-to-lake cli bundle [0-9a-f]{64}\n/,
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
