export { createMigratedDatabase, dropDatabase, TEST_POSTGRES_URL, TEST_REDIS_URL, withClient } from './database';
export {
  agentAccessToken,
  call,
  freePort,
  type JsonResponse,
  newAgent,
  newPerson,
  newResourceServer,
  onlineVerifier,
  type RunningApi,
  startApi,
  startWorker,
  testConfig,
  testEnv,
  until,
} from './harness';
export { spawnWorker, type StartedProcess, startPrivateRedis } from './processes';
export {
  CookieJar,
  type OidcAccount,
  type OidcClient,
  providerConfig,
  type RunningOidcProvider,
  signInAtProvider,
  startOidcProvider,
} from './oidc-provider';
export { FakeOidcIssuer, type IdTokenTampering } from './fakes/fake-oidc-issuer';
export * from './soft-authenticator';
export { PersonBrowser, signedInPerson } from './people';
export { dmChannel, FakeSlack, type FakeSlackUser, type SlackCall } from './fakes/fake-slack';
export { type Envelope, type EnvelopeAck, FakeSlackSocketMode } from './fakes/fake-slack-socket-mode';
export { type CardMessage, type ConnectorCall, FakeTeams, type FakeTeamsUser, type TokenTampering } from './fakes/fake-teams';
export { FakePushService, type FakeSubscription, type ReceivedPush } from './fakes/fake-push';
export { type ReceivedMail, type SmtpRefusal, type SmtpStage, TestSmtpServer } from './fakes/smtp';
export {
  addVirtualAuthenticator,
  type AxeViolation,
  axeViolations,
  type BrowserSuite,
  CHROMIUM_PATH,
  chromiumProcess,
  closeBrowserSuite,
  enrolledPerson,
  invite,
  launchBrowser,
  type SignedInPage,
  signInThroughUi,
  startWebApi,
  useBrowserSuite,
  type VirtualAuthenticator,
} from './browser';
export { defaultTaxonomyWithMediumTier, type SlackApprovalSuite, type SlackApprover, useSlackApprovalSuite } from './slack-approvals';
