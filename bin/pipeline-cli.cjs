#!/usr/bin/env node
// The `pipeline` command. TypeScript is loaded through tsx so the CLI runs the
// same sources the Lambdas are bundled from.
require('tsx/cjs');
const { main } = require('../src/cli/main.ts');
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    console.error(err && err.stack ? err.stack : err);
    process.exit(3);
  },
);
