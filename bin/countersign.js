#!/usr/bin/env node
'use strict';
const { existsSync } = require('node:fs');
const { join } = require('node:path');

// Node 20 prints an ExperimentalWarning each time CommonJS require()s an ES module (Nest 12, jose, zod are ESM);
// that is how this build works (docs/adr/0001-module-system.md), so the warning is noise for operators.
const emitWarning = process.emitWarning;
process.emitWarning = function (warning, ...rest) {
  const type = typeof rest[0] === 'string' ? rest[0] : rest[0] && rest[0].type;
  if (type === 'ExperimentalWarning' && /require\(\)|ES Module/.test(String(warning))) return;
  return emitWarning.call(process, warning, ...rest);
};

const entry = join(__dirname, '..', 'dist', 'apps', 'cli', 'src', 'main.js');
if (!existsSync(entry)) {
  process.stderr.write('Countersign is not built yet: run `npm run build` (or `npm start`) first.\n');
  process.exit(1);
}
require(entry)
  .main(process.argv)
  // A server that failed to start may hold connections open: end the process (stderr is synchronous on Linux pipes).
  .then((outcome) => outcome && outcome.endProcess && process.exit(process.exitCode || 1))
  .catch((error) => {
    process.stderr.write(`${error && error.stack ? error.stack : error}\n`);
    process.exit(1);
  });
