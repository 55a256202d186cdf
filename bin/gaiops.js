#!/usr/bin/env node
'use strict';
// The `gaiops` command. Uses the compiled CLI (`npm run build` → lib/) when present, else runs the
// TypeScript sources through tsx (a devDependency), so it works in a fresh checkout too.
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const compiled = join(__dirname, '..', 'lib', 'src', 'cli', 'main.js');
let cli;
if (existsSync(compiled)) {
  cli = require(compiled);
} else {
  require('tsx/cjs');
  cli = require(join(__dirname, '..', 'src', 'cli', 'main.ts'));
}

cli
  .main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd() })
  .then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`gaiops: internal error: ${err && err.stack ? err.stack : String(err)}\n`);
      process.exitCode = 70;
    },
  );
