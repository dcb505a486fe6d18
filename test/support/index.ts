export { createMigratedDatabase, dropDatabase, TEST_POSTGRES_URL, TEST_REDIS_URL, withClient } from './database';
export { agentAccessToken, call, type JsonResponse, newAgent, newPerson, newResourceServer, type RunningApi, startApi, startWorker, testConfig } from './harness';
export * from './soft-authenticator';
export { PersonBrowser, signedInPerson } from './people';
export { dmChannel, FakeSlack, type FakeSlackUser, type SlackCall } from './fakes/fake-slack';
export { FakePushService, type FakeSubscription, type ReceivedPush } from './fakes/fake-push';
