#!/usr/bin/env node
// The `pipeline` command. TypeScript is loaded through tsx so the CLI runs the
// same sources the Lambdas are bundled from.
require('tsx/cjs');
// The AWS SDK warns on Node 20 that future releases need Node 22; the CLI
// supports Node 20 on purpose, so keep that notice out of command output.
const emitWarning = process.emitWarning;
process.emitWarning = function (warning, ...rest) {
  const name = typeof rest[0] === 'string' ? rest[0] : rest[0] && rest[0].type;
  const text = String(warning && warning.message !== undefined ? warning.message : warning);
  if (name === 'NodeVersionSupportWarning' || text.startsWith('NodeVersionSupportWarning') || text.includes('will require node >=22')) return;
  return emitWarning.call(process, warning, ...rest);
};
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
