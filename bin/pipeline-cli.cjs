#!/usr/bin/env node
// The `pipeline` command. It runs the same TypeScript sources the Lambdas are
// bundled from, transpiled (see below).
// The project pins its Node (devDependency `node`, the Lambdas' nodejs24.x);
// npx and npm scripts put it first on PATH. Anything older would test the
// handlers on a runtime they never run on, so say so instead of running.
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  console.error(
    `pipeline: running on Node v${process.versions.node}, but the Lambdas run Node 24. Run it as \`npx pipeline ...\` after \`npm ci\` (which installs the project's Node 24 into node_modules/.bin).`,
  );
  process.exit(2);
}
// The published package ships the construct, not the CLI's sources: say so instead of a stack trace.
if (!require('node:fs').existsSync(require('node:path').join(__dirname, '..', 'src', 'cli', 'main.ts'))) {
  console.error(
    'pipeline: this installation has the LandingToLake construct only; the `pipeline` CLI runs from a checkout of the landing-to-lake repository (npm ci, then npx pipeline ...).',
  );
  process.exit(2);
}
// One JavaScript file bundled from the sources (bin/transpile-cache.cjs); tsx
// only where that cannot be written (a read-only checkout) or PIPELINE_TSX=1.
async function load() {
  const entry = require('node:path').join(__dirname, '..', 'src', 'cli', 'main.ts');
  try {
    if (process.env.PIPELINE_TSX === '1') throw new Error('tsx requested');
    const cache = require('./transpile-cache.cjs');
    return cache.requireBundle(cache.current(entry) ?? (await cache.build(entry)), process.argv[2]);
  } catch (e) {
    if (process.env.PIPELINE_TSX !== '1' && !(e && (e.code === 'EACCES' || e.code === 'EROFS'))) throw e;
    // Both hooks: a definition-cache miss import()s lib/ through the ESM loader.
    require('tsx/cjs/api').register();
    require('tsx/esm/api').register();
    return require('../src/cli/main.ts');
  }
}
// Exit only once stdout and stderr are written out: piped, they are asynchronous, and an
// immediate exit cut `--json` output at 64 KiB.
const drained = (stream) => new Promise((res) => (stream.writableLength ? stream.write('', () => res()) : res()));
load()
  .then(({ main }) => main(process.argv.slice(2)))
  .then(
    (code) => Promise.all([drained(process.stdout), drained(process.stderr)]).then(() => process.exit(code)),
    (err) => {
      console.error(err?.stack ? err.stack : err);
      process.exit(3);
    },
  );
