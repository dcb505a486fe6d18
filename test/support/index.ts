export { createMigratedDatabase, dropDatabase, TEST_POSTGRES_URL, TEST_REDIS_URL, withClient } from './database';
export { agentAccessToken, call, type JsonResponse, newAgent, newPerson, newResourceServer, type RunningApi, startApi, startWorker, testConfig } from './harness';
export * from './soft-authenticator';
export { PersonBrowser, signedInPerson } from './people';
