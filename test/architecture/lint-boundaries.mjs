// Lints snippets as if they sat at the given paths, with the boundary rules of eslint.config.mjs. Run by
// boundaries.spec.ts in a child process (ESLint loads its config as ESM, which jest's CommonJS runtime cannot).
// Input on stdin: [{ file, code }]; output: for each, the no-restricted-imports messages.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';

const root = join(import.meta.dirname, '../..');
const { boundaries } = await import(join(root, 'eslint.config.mjs'));
const cases = JSON.parse(readFileSync(0, 'utf8'));
// The boundary rules alone, without the type-aware rules (the snippets are not files in a TypeScript project).
const eslint = new ESLint({
  cwd: root,
  overrideConfigFile: true,
  overrideConfig: [{ files: ['**/*.ts', '**/*.tsx'], languageOptions: { parser: tseslint.parser } }, ...boundaries],
});
// And the real config: every folder's rule there is the boundaries' rule.
const real = new ESLint({ cwd: root });
const output = [];
for (const { file, code } of cases) {
  const [result] = await eslint.lintText(code, { filePath: join(root, file) });
  const config = await real.calculateConfigForFile(join(root, file));
  output.push({
    file,
    messages: result.messages.map((message) => `${message.ruleId}: ${message.message}`),
    inRealConfig: JSON.stringify(config.rules['no-restricted-imports'] ?? null),
  });
}
process.stdout.write(JSON.stringify(output));
