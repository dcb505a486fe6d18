'use strict';
// Lets a plain `node` child process run the project's TypeScript sources, as jest does (SWC, legacy decorators
// with metadata, @countersign/* paths onto libs/*/src): `node -r ./test/support/processes/register.js file.ts`.
// ESM-only packages in node_modules load through Node's own require(esm), as in the built CLI.
const Module = require('node:module');
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const { transformSync } = require('@swc/core');

const root = join(__dirname, '..', '..', '..');
const aliases = { '@countersign/testing': join(root, 'test', 'support', 'index.ts') };

const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (request.startsWith('@countersign/')) {
    request = aliases[request] || join(root, 'libs', request.slice('@countersign/'.length), 'src', 'index.ts');
  }
  // The SDKs import their siblings as `./name.js` (nodenext); from the sources that is `./name.ts`, as in jest.
  if (request.startsWith('.') && request.endsWith('.js') && rest[0] && /\.ts$/.test(rest[0].filename || '')) {
    try {
      return resolve.call(this, request.slice(0, -3) + '.ts', ...rest);
    } catch {
      // Not a TypeScript sibling: resolve it as written.
    }
  }
  return resolve.call(this, request, ...rest);
};

require.extensions['.ts'] = function (module, filename) {
  const { code } = transformSync(readFileSync(filename, 'utf8'), {
    filename,
    sourceMaps: 'inline',
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
      keepClassNames: true,
    },
    module: { type: 'commonjs' },
  });
  module._compile(code, filename);
};

// Node 20 warns each time CommonJS require()s an ES module (bin/countersign.js silences the same noise).
const emitWarning = process.emitWarning;
process.emitWarning = function (warning, ...rest) {
  const type = typeof rest[0] === 'string' ? rest[0] : rest[0] && rest[0].type;
  if (type === 'ExperimentalWarning' && /require\(\)|ES Module/.test(String(warning))) return;
  return emitWarning.call(process, warning, ...rest);
};
