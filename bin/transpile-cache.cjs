// Start-up for the `pipeline` CLI: the TypeScript sources (src/, lib/, lambdas/)
// and the small pure-JavaScript packages a local run needs, bundled once with
// esbuild into one CommonJS file, node_modules/.cache/landing-to-lake/cli/<entry>.js.
// A warm start reads and compiles that one file instead of resolving and
// loading some 300 modules one by one. The file starts with a stamp of
// everything it was built from (path, size and mtime of every source, the
// installed packages' lock, this file); any change rebuilds it whole.
// __dirname and __filename keep naming the source files, so paths computed
// from them do not move.
'use strict';
const { createHash } = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const DIRS = ['src', 'lib', 'lambdas'];
const CACHE = path.join(ROOT, 'node_modules', '.cache', 'landing-to-lake', 'cli');

// Left to Node's require at run time: native code (DuckDB, esbuild), and the
// large packages only some commands or a definition-cache miss load (their
// imports stay lazy inside the bundle).
const EXTERNAL = /^(aws-cdk-lib|constructs|cdk-nag|esbuild|tsx)(\/|$)|^@(duckdb|aws-sdk|smithy)\//;
// aws-local-stepfunctions requires these on load but uses them only to invoke a
// real Lambda (every task of a local run has an in-process handler) or to
// validate a definition (a definition-cache hit was validated when written):
// required on first use instead.
const LAZY = ['@aws-sdk/client-lambda', '@aws-sdk/credential-providers', 'asl-validator'];

function sources() {
  const out = [];
  for (const d of DIRS) {
    for (const e of fs.readdirSync(path.join(ROOT, d), { recursive: true, withFileTypes: true })) {
      if (e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(path.join(e.parentPath, e.name));
    }
  }
  // package.json is read by the sources (the CLI's --version); npm rewrites
  // node_modules/.package-lock.json on every install, so it stands for the
  // bundled packages; this file holds the build options.
  return [...out.sort(), path.join(ROOT, 'package.json'), path.join(ROOT, 'node_modules', '.package-lock.json'), __filename];
}

/** The stamp of the bundle's inputs (one readdir per source folder, one stat per file). */
function stampOf(files) {
  const stamp = createHash('sha256');
  for (const f of files) {
    let s;
    try {
      s = fs.statSync(f);
    } catch {
      s = { size: -1, mtimeMs: -1 };
    }
    stamp.update(`${f}\0${s.size}\0${s.mtimeMs}\0`);
  }
  return stamp.digest('hex');
}

const BANNER = '// landing-to-lake cli bundle ';

function stampIn(file) {
  let fd;
  try {
    fd = fs.openSync(file, 'r');
    const head = Buffer.alloc(BANNER.length + 64);
    const n = fs.readSync(fd, head, 0, head.length, 0);
    const text = head.toString('latin1', 0, n);
    return text.startsWith(BANNER) ? text.slice(BANNER.length) : undefined;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** The bundle of `entry` (a .ts file under ROOT) when it is up to date, else undefined. */
function current(entry) {
  const out = bundleOf(entry);
  return stampIn(out) === stampOf(sources()) ? out : undefined;
}

/** Builds the bundle of `entry` (whatever its state) and returns its path. */
async function build(entry) {
  const digest = stampOf(sources());
  const out = bundleOf(entry);
  const esbuild = require('esbuild');
  const result = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node24',
    write: false,
    outfile: out,
    logLevel: 'silent',
    banner: { js: `${BANNER}${digest}` },
    // import() of a source file becomes a lazy require inside the bundle.
    supported: { 'dynamic-import': false },
    tsconfigRaw: { compilerOptions: { target: 'ES2022', useDefineForClassFields: true } },
    plugins: [plugin(esbuild.transform)],
  });
  fs.mkdirSync(CACHE, { recursive: true });
  // Write then rename: a concurrent run reads the old bundle or the new one, never half of one.
  const tmp = `${out}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, result.outputFiles[0].contents);
  fs.renameSync(tmp, out);
  // The code caches of the previous bundle, and the per-file mirror earlier versions kept here.
  const stale = fs.readdirSync(CACHE).filter((f) => f.startsWith(`${path.basename(out)}.`) && f.endsWith('.v8'));
  for (const old of [...stale, 'manifest.json', 'package.json', ...DIRS]) fs.rmSync(path.join(CACHE, old), { recursive: true, force: true });
  return out;
}

/** The bundle of `entry`, built first unless up to date. */
async function bundled(entry) {
  return current(entry) ?? (await build(entry));
}

/**
 * Requires the bundle `file` with a V8 code cache beside it (`<file>.<use>.v8`,
 * one per command: each compiles different functions), so a warm start does
 * not compile it again. The cache is written after the run (at exit), so it
 * holds the functions the run compiled, not only the top level. V8 checks a cache against the source's length only, so the file
 * starts with the SHA-256 of the source it was made from and is used only for
 * that source; a missing, stale or rejected cache is written anew.
 * (Node's own compile cache keeps only the top level, and caches every module
 * loaded after it, aws-cdk-lib's hundreds included: writing those made a cold
 * run about 0.7 s slower.)
 */
function requireBundle(file, use = 'other') {
  const Module = require('node:module');
  const vm = require('node:vm');
  const source = fs.readFileSync(file, 'utf8');
  const hash = Buffer.from(createHash('sha256').update(source).digest('hex'), 'latin1');
  const cacheFile = `${file}.${/^[a-z][a-z-]{0,31}$/.test(use) ? use : 'other'}.v8`;
  let cachedData;
  try {
    const bytes = fs.readFileSync(cacheFile);
    if (bytes.subarray(0, hash.length).equals(hash)) cachedData = bytes.subarray(hash.length);
  } catch {
    // none yet
  }
  const script = new vm.Script(Module.wrap(source), { filename: file, cachedData });
  const mod = new Module(file, module);
  mod.filename = file;
  mod.paths = Module._nodeModulePaths(path.dirname(file));
  Module._cache[file] = mod;
  script.runInThisContext().call(mod.exports, mod.exports, Module.createRequire(file), mod, file, path.dirname(file));
  mod.loaded = true;
  if (cachedData === undefined || script.cachedDataRejected) {
    process.once('exit', () => {
      try {
        const tmp = `${cacheFile}.${process.pid}.tmp`;
        fs.writeFileSync(tmp, Buffer.concat([hash, script.createCachedData()]));
        fs.renameSync(tmp, cacheFile);
      } catch {
        // read-only: compile next time too
      }
    });
  }
  return mod.exports;
}

function bundleOf(entry) {
  return path.join(CACHE, `${path.basename(entry, '.ts')}.js`);
}

function plugin(transform) {
  return {
    name: 'landing-to-lake-cli',
    setup(build) {
      build.onResolve({ filter: /^[^./]/ }, (a) => {
        if (a.path.startsWith('node:')) return { path: a.path, external: true };
        if (a.namespace === 'lazy') return { path: a.path, external: true };
        if (a.path === 'aws-local-stepfunctions') {
          // Its CommonJS build: it requires the lazy packages by plain require() (no interop copying their exports).
          return { path: require.resolve('aws-local-stepfunctions', { paths: [ROOT] }) };
        }
        if (LAZY.includes(a.path) && a.importer.includes(`${path.sep}aws-local-stepfunctions${path.sep}`)) return { path: a.path, namespace: 'lazy' };
        if (EXTERNAL.test(a.path)) return { path: a.path, external: true };
        return undefined;
      });
      build.onLoad({ filter: /.*/, namespace: 'lazy' }, (a) => ({
        resolveDir: ROOT,
        loader: 'js',
        contents:
          a.path === 'asl-validator'
            ? "module.exports = function validator() { return require('asl-validator').apply(this, arguments); };"
            : `let real;\nconst load = () => (real ??= require(${JSON.stringify(a.path)}));\n` +
              'module.exports = new Proxy({}, { get: (_, k) => load()[k], has: (_, k) => k in load(), ownKeys: () => Reflect.ownKeys(load()), getOwnPropertyDescriptor: (_, k) => { const d = Object.getOwnPropertyDescriptor(load(), k); return d && { ...d, configurable: true }; } });',
      }));
      // The project's sources: __dirname and __filename are the source file's.
      build.onLoad({ filter: /\.ts$/ }, async (a) => {
        if (a.path.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
        const source = fs.readFileSync(a.path, 'utf8');
        if (!/__(dirname|filename)/.test(source)) return { contents: source, loader: 'ts' };
        const { code } = await transform(source, {
          loader: 'ts',
          target: 'node24',
          sourcefile: a.path,
          define: { __dirname: JSON.stringify(path.dirname(a.path)), __filename: JSON.stringify(a.path) },
          tsconfigRaw: { compilerOptions: { target: 'ES2022', useDefineForClassFields: true } },
        });
        return { contents: code, loader: 'js' };
      });
    },
  };
}

module.exports = { bundled, current, build, requireBundle, CACHE };
