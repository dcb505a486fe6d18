#!/usr/bin/env node
'use strict';
// Builds the publishable SDKs (libs/client, libs/enforcement) into dist/esm and dist/cjs, each with its own
// package.json `type` marker so Node reads the .js files in the right module system whatever the package says.
const { execFileSync } = require('node:child_process');
const { mkdirSync, rmSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const tsc = require.resolve('typescript/bin/tsc');
const packages = ['client', 'enforcement'];
// `node scripts/build-sdk.js client` builds one (each package's prepack does that for itself).
const wanted = process.argv.slice(2);
for (const name of wanted) if (!packages.includes(name)) throw new Error(`unknown SDK package ${name}; known: ${packages.join(', ')}`);

for (const name of wanted.length > 0 ? wanted : packages) {
  const dir = join(root, 'libs', name);
  rmSync(join(dir, 'dist'), { recursive: true, force: true }); // no stale files from renamed sources in the tarball
  for (const [kind, type] of [
    ['esm', 'module'],
    ['cjs', 'commonjs'],
  ]) {
    execFileSync(process.execPath, [tsc, '-p', join(dir, `tsconfig.${kind}.json`)], { stdio: 'inherit' });
    mkdirSync(join(dir, 'dist', kind), { recursive: true });
    writeFileSync(join(dir, 'dist', kind, 'package.json'), JSON.stringify({ type }) + '\n');
  }
}
