#!/usr/bin/env node
// The `pipeline` command. TypeScript is loaded through tsx so the CLI runs the
// same sources the Lambdas are bundled from.
// The project pins its Node (devDependency `node`, the Lambdas' nodejs24.x);
// npx and npm scripts put it first on PATH. Anything older would test the
// handlers on a runtime they never run on, so say so instead of running.
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  console.error(`pipeline: running on Node v${process.versions.node}, but the Lambdas run Node 24. Run it as \`npx pipeline ...\` after \`npm ci\` (which installs the project's Node 24 into node_modules/.bin).`);
  process.exit(2);
}
require('tsx/cjs');
const { main } = require('../src/cli/main.ts');
// Exit only once stdout and stderr are written out: piped, they are asynchronous, and an
// immediate exit cut `--json` output at 64 KiB.
const drained = (stream) => new Promise((res) => (stream.writableLength ? stream.write('', () => res()) : res()));
main(process.argv.slice(2)).then(
  (code) => Promise.all([drained(process.stdout), drained(process.stderr)]).then(() => process.exit(code)),
  (err) => {
    console.error(err && err.stack ? err.stack : err);
    process.exit(3);
  },
);
