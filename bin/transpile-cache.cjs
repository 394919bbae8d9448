// Start-up for the `pipeline` CLI: the TypeScript sources (src/, lib/, lambdas/)
// transpiled once with esbuild into a mirror tree under
// node_modules/.cache/landing-to-lake/cli, re-transpiled when a source file
// changes (size or mtime), so a warm start loads plain JavaScript instead of
// running tsx's loader on every file. __dirname and __filename keep naming the
// source files, so paths computed from them do not move.
'use strict';
const { createHash } = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const DIRS = ['src', 'lib', 'lambdas'];
const CACHE = path.join(ROOT, 'node_modules', '.cache', 'landing-to-lake', 'cli');

function sources() {
  const out = [];
  for (const d of DIRS) {
    for (const e of fs.readdirSync(path.join(ROOT, d), { recursive: true, withFileTypes: true })) {
      if (e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(path.join(e.parentPath, e.name));
    }
  }
  // Read by the sources (the CLI's --version): mirrored as it is.
  return [...out.sort(), path.join(ROOT, 'package.json')];
}

/** The mirror of `entry` (a .ts file under ROOT), transpiling whatever changed. */
function transpiled(entry) {
  const files = sources();
  const stamp = createHash('sha256');
  const stats = files.map((f) => fs.statSync(f));
  files.forEach((f, i) => stamp.update(`${f}\0${stats[i].size}\0${stats[i].mtimeMs}\0`));
  const digest = stamp.digest('hex');
  const manifest = path.join(CACHE, 'manifest.json');
  let previous = {};
  try {
    const m = JSON.parse(fs.readFileSync(manifest, 'utf8'));
    if (m.digest === digest) return mirrorOf(entry);
    previous = m.files || {};
  } catch {
    // no cache yet
  }
  const { transformSync } = require('esbuild');
  const next = {};
  files.forEach((f, i) => {
    const key = `${stats[i].size}:${stats[i].mtimeMs}`;
    next[f] = key;
    const out = mirrorOf(f);
    if (previous[f] === key && fs.existsSync(out)) return;
    const code = f.endsWith('.json') ? fs.readFileSync(f, 'utf8') : transpile(f, transformSync);
    fs.mkdirSync(path.dirname(out), { recursive: true });
    const tmp = `${out}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, code);
    fs.renameSync(tmp, out);
  });
  const tmp = `${manifest}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify({ digest, files: next }));
  fs.renameSync(tmp, manifest);
  return mirrorOf(entry);
}

function transpile(f, transformSync) {
  const { code } = transformSync(fs.readFileSync(f, 'utf8'), {
    loader: 'ts',
    format: 'cjs',
    target: 'node24',
    sourcefile: f,
    define: { __dirname: JSON.stringify(path.dirname(f)), __filename: JSON.stringify(f) },
    tsconfigRaw: { compilerOptions: { target: 'ES2022', useDefineForClassFields: true } },
    // import() of a source file becomes require(): these are CommonJS files without extensions in their specifiers.
    supported: { 'dynamic-import': false },
  });
  return code;
}

function mirrorOf(file) {
  return path.join(CACHE, path.relative(ROOT, file)).replace(/\.ts$/, '.js');
}

module.exports = { transpiled, CACHE };
