import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import tseslint from 'typescript-eslint';

// The architecture's boundaries (DEVELOPERS.md, "Conventions"), by folder. A folder's `no-restricted-imports`
// replaces, not extends, a broader folder's, so each list below is complete for its folder.
const FEATURE_LIBS = 'agents|approvals|audit|channels|client|config|database|directory|observability|people|queue|taxonomy|tokens';
const NO_APPS = { regex: '(^|/)apps/', message: 'Libraries never import apps.' };
const PURE_DOMAIN = [
  NO_APPS,
  {
    regex:
      '^(@nestjs/|typeorm$|typeorm/|pg$|pg-|ioredis$|bullmq$|fastify$|@fastify/|socket\\.io|@socket\\.io/|web-push$|@slack/|@electric-sql/)',
    message: 'libs/domain is pure: no Nest, ORM or driver.',
  },
  {
    regex: `^@countersign/(?!enforcement$)|(^|/)libs/|^(\\.\\./)+(${FEATURE_LIBS})(/|$)`,
    message: 'libs/domain imports no feature library.',
  },
];
const STANDALONE_SDK = [
  NO_APPS,
  // From src/ or test/ (each SDK's folders are flat), `../../` leaves the package.
  {
    regex: '^@countersign/|(^|/)(apps|libs|migrations)/|^(\\.\\./){2,}',
    message: 'The SDKs are standalone: they import nothing of the tree.',
  },
];
const CONTRACT_ALONE = [
  NO_APPS,
  {
    regex: '^@countersign/|(^|/)(apps|libs|migrations)/|^(\\.\\./)+',
    message: 'libs/contract is the wire contract alone: it imports nothing of the tree (the web app and the SDK build on it).',
  },
];
const OTHER_APPS_BY_INDEX = {
  regex: '^(\\.\\./)+(apps/)?(api|cli|mcp-gateway|web|worker)/src/(?!index$).+',
  message: 'Import another app only through its src/index.ts.',
};
const APPS_BY_INDEX = {
  regex: '(^|/)apps/(api|cli|mcp-gateway|web|worker)/src/(?!index$).+',
  message: 'Import an app only through its src/index.ts.',
};
const WEB_CONTRACT_ONLY = [
  { regex: '^@countersign/(?!contract$)', message: 'The web app imports only the contract types (libs/contract).' },
  {
    regex: '(^|/)(libs/(?!contract(/|$))|apps/)|^(\\.\\./)+(api|cli|mcp-gateway|worker)/src(/|$)',
    message: 'The web app imports only the contract types (libs/contract).',
  },
];
/** The boundary rules alone (exported for the spec that proves they bite). */
export const boundaries = [
  { files: ['libs/**/*.ts'], rules: { 'no-restricted-imports': ['error', { patterns: [NO_APPS] }] } },
  { files: ['libs/domain/**/*.ts'], rules: { 'no-restricted-imports': ['error', { patterns: PURE_DOMAIN }] } },
  {
    files: ['libs/client/**/*.ts', 'libs/enforcement/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: STANDALONE_SDK }] },
  },
  { files: ['libs/contract/**/*.ts'], rules: { 'no-restricted-imports': ['error', { patterns: CONTRACT_ALONE }] } },
  {
    files: ['apps/api/**/*.ts', 'apps/cli/**/*.ts', 'apps/mcp-gateway/**/*.ts', 'apps/worker/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [OTHER_APPS_BY_INDEX] }] },
  },
  { files: ['apps/web/**/*.ts', 'apps/web/**/*.tsx'], rules: { 'no-restricted-imports': ['error', { patterns: WEB_CONTRACT_ONLY }] } },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts', 'examples/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [APPS_BY_INDEX] }] },
  },
];

export default tseslint.config(
  { ignores: ['dist/**', 'libs/*/dist/**', 'node_modules/**', 'coverage/**', '.countersign/**', '**/*.js', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // The browser app: its own tsconfig (DOM, JSX), browser globals, the rules of hooks.
    files: ['apps/web/**/*.ts', 'apps/web/**/*.tsx'],
    languageOptions: { globals: globals.browser },
    plugins: { 'react-hooks': reactHooks },
    // The rules of hooks; the compiler-oriented rules of v7 flag every fetch-then-setState effect, so not those.
    rules: { 'react-hooks/rules-of-hooks': 'error', 'react-hooks/exhaustive-deps': 'error' },
  },
  {
    files: ['**/*.spec.ts', '**/*.int-spec.ts', '**/*.e2e-spec.ts', '**/*.browser-spec.ts', 'test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  ...boundaries,
);
