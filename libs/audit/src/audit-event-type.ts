/** Every audit event type, in one place. */
export enum AuditEventType {
  AgentTokenIssued = 'agent.token_issued',
  AgentTokenRefused = 'agent.token_refused',
  AgentCreated = 'agent.created',
  AgentSuspended = 'agent.suspended',
  AgentResumed = 'agent.resumed',
  PersonCreated = 'person.created',
  ResourceServerCreated = 'resource_server.created',
  ApprovalRequested = 'approval.requested',
  ApprovalClassified = 'approval.classified',
  ApprovalRefused = 'approval.refused',
  ApprovalStatusChanged = 'approval.status_changed',
  ApprovalTokenMinted = 'approval_token.minted',
  ApprovalTokenConsumed = 'approval_token.consumed',
  ApprovalTokenConsumeRefused = 'approval_token.consume_refused',
  CallbackDelivered = 'callback.delivered',
  CallbackFailed = 'callback.failed',
  TaxonomyApplied = 'taxonomy.applied',
  TaxonomyActivated = 'taxonomy.activated',
  KeysRotated = 'keys.rotated',
}

/** Who did something. Services take this as their first argument. */
export type Actor =
  | { type: 'agent'; id: string; clientId: string }
  | { type: 'person'; id: string }
  | { type: 'resource_server'; id: string }
  | { type: 'system'; id?: undefined }
  /** Whoever holds COUNTERSIGN_ADMIN_TOKEN, until admins sign in as people. */
  | { type: 'admin_token'; id?: undefined }
  | { type: 'cli'; id?: undefined };

export const SYSTEM: Actor = { type: 'system' };
export const CLI: Actor = { type: 'cli' };

export interface AuditEntry {
  type: AuditEventType;
  subject?: { type: string; id: string };
  /** Must already be redacted: the log is written once and never changed. */
  data?: Record<string, unknown>;
}
