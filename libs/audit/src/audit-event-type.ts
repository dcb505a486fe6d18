/** Every audit event type, in one place. */
export enum AuditEventType {
  AgentTokenIssued = 'agent.token_issued',
  AgentTokenRefused = 'agent.token_refused',
  AgentCreated = 'agent.created',
  AgentSuspended = 'agent.suspended',
  AgentResumed = 'agent.resumed',
  PersonCreated = 'person.created',
  PersonUpdated = 'person.updated',
  PersonSignedIn = 'person.signed_in',
  PersonSignInRefused = 'person.sign_in_refused',
  SsoIdentityLinked = 'person.sso_identity_linked',
  EnrollmentLinkIssued = 'person.enrollment_link_issued',
  EnrollmentLinkEmailed = 'person.enrollment_link_emailed',
  EnrollmentLinkEmailFailed = 'person.enrollment_link_email_failed',
  PasskeyAdded = 'person.passkey_added',
  PasskeyRemoved = 'person.passkey_removed',
  AgentUpdated = 'agent.updated',
  AgentCircuitBreakerTripped = 'agent.circuit_breaker_tripped',
  ApprovalOpened = 'approval.opened',
  DecisionRecorded = 'decision.recorded',
  DecisionRefused = 'decision.refused',
  /** A disabled person's decision on a pending approval, deleted: it no longer counts (docs/adr/0020). */
  DecisionVoided = 'decision.voided',
  ResourceServerCreated = 'resource_server.created',
  ApprovalRequested = 'approval.requested',
  ApprovalClassified = 'approval.classified',
  ApprovalRefused = 'approval.refused',
  ApprovalStatusChanged = 'approval.status_changed',
  ApprovalTokenMinted = 'approval_token.minted',
  ApprovalTokenConsumed = 'approval_token.consumed',
  ApprovalTokenConsumeRefused = 'approval_token.consume_refused',
  CibaTokenIssued = 'ciba.token_issued',
  CibaTokenRefused = 'ciba.token_refused',
  CallbackDelivered = 'callback.delivered',
  CallbackFailed = 'callback.failed',
  TaxonomyApplied = 'taxonomy.applied',
  TaxonomyActivated = 'taxonomy.activated',
  KeysRotated = 'keys.rotated',
  NotificationSent = 'notification.sent',
  NotificationFailed = 'notification.failed',
  ApprovalReminded = 'approval.reminded',
  ApprovalEscalated = 'approval.escalated',
  SlackLinked = 'slack.linked',
  SlackUnlinked = 'slack.unlinked',
  SlackInteractionRefused = 'slack.interaction_refused',
  TeamsLinked = 'teams.linked',
  TeamsUnlinked = 'teams.unlinked',
  TeamsActivityRefused = 'teams.activity_refused',
  PushSubscribed = 'push.subscribed',
  PushUnsubscribed = 'push.unsubscribed',
  PushSubscriptionGone = 'push.subscription_gone',
  ChannelPreferencesChanged = 'channel_preferences.changed',
  ChannelPreferencesRefused = 'channel_preferences.refused',
  GroupCreated = 'group.created',
  GroupUpdated = 'group.updated',
  GroupMembersChanged = 'group.members_changed',
  GroupPermissionsChanged = 'group.permissions_changed',
  GroupDeleted = 'group.deleted',
  ScimTokenCreated = 'scim.token_created',
  ScimTokenRevoked = 'scim.token_revoked',
  ScimRequestRefused = 'scim.request_refused',
  DelegationCreated = 'delegation.created',
  DelegationRevoked = 'delegation.revoked',
  DelegationUsed = 'delegation.used',
}

/** Who did something. Services take this as their first argument. */
export type Actor =
  | { type: 'agent'; id: string; clientId: string }
  | { type: 'person'; id: string }
  | { type: 'resource_server'; id: string }
  | { type: 'system'; id?: undefined }
  /** Whoever holds COUNTERSIGN_ADMIN_TOKEN (automation); admins who sign in act as people. */
  | { type: 'admin_token'; id?: undefined }
  | { type: 'cli'; id?: undefined }
  /** The organization's directory, provisioning over SCIM with the bearer token of this id. */
  | { type: 'directory'; id: string };

export const SYSTEM: Actor = { type: 'system' };
export const CLI: Actor = { type: 'cli' };
/** The admin API used with COUNTERSIGN_ADMIN_TOKEN (automation beside admins' sessions). */
export const ADMIN_TOKEN: Actor = { type: 'admin_token' };

export interface AuditEntry {
  type: AuditEventType;
  subject?: { type: string; id: string };
  /** Must already be redacted: the log is written once and never changed. */
  data?: Record<string, unknown>;
}
