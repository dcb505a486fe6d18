// Jest runs TypeScript through SWC (ts-jest cannot transform Nest 12's ESM). ESM-only packages in node_modules
// are transformed to CommonJS too; see docs/adr/0001-module-system.md.
const esmPackages = [
  '@nestjs',
  'uid',
  'load-esm',
  'file-type',
  'jose',
  'canonicalize',
  '@marcbachmann',
  'zod',
  'commander',
  '@electric-sql',
  'strtok3',
  'token-types',
  'peek-readable',
  '@tokenizer',
  'content-disposition',
  'openid-client',
  'oauth4webapi',
];
const base = {
  transform: {
    '^.+\\.(t|j|mj|cj)s$': [
      '@swc/jest',
      {
        jsc: {
          parser: { syntax: 'typescript', decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: true },
          target: 'es2022',
          keepClassNames: true,
        },
        module: { type: 'commonjs' },
      },
    ],
  },
  transformIgnorePatterns: [`/node_modules/(?!(${esmPackages.join('|')})/)`],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'json'],
  moduleNameMapper: {
    '^(\\.{1,2}/.*)\\.js$': '$1',
    '^@countersign/testing$': '<rootDir>/test/support/index.ts',
    '^@countersign/(.*)$': '<rootDir>/libs/$1/src/index.ts',
  },
  testEnvironment: 'node',
};
// Suites with real services get 30 s per test and hook (test/support/service-timeout.ts); unit specs keep 5 s.
const withServices = { setupFilesAfterEnv: ['<rootDir>/test/support/service-timeout.ts'] };
module.exports = {
  projects: [
    {
      ...base,
      displayName: 'unit',
      testMatch: [
        '<rootDir>/libs/**/*.spec.ts',
        '<rootDir>/apps/**/*.spec.ts',
        '<rootDir>/test/support/**/*.spec.ts',
        '<rootDir>/test/architecture/**/*.spec.ts',
      ],
    },
    {
      ...base,
      ...withServices,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.int-spec.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
    {
      ...base,
      ...withServices,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/e2e/**/*.e2e-spec.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
    // Headless Chromium against a real API serving the built web app (built by the global setup when stale).
    {
      ...base,
      ...withServices,
      displayName: 'browser',
      testMatch: ['<rootDir>/test/browser/**/*.browser-spec.ts'],
      globalSetup: '<rootDir>/test/support/browser-global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
  ],
};
