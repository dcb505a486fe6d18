import type { AgentApproval } from './contract.generated.js';

export type { AgentDecision, ApprovalStatus, Classification, Notification, Problem } from './contract.generated.js';

/** `POST /v1/approvals` body (DESIGN.md, "Agent approval API"). */
export interface ApprovalRequest {
  action: {
    /** A dotted action type from the taxonomy, e.g. `payments.transfer`. */
    type: string;
    resource: string;
    /** An I-JSON object: exactly what the downstream call will carry. */
    args: Record<string, unknown>;
  };
  /** The person the agent acts for: email or Countersign person id. */
  on_behalf_of: string;
  /** The downstream service that will verify the token. */
  audience?: string;
  /** Shown to the approver, labelled as the agent's claim. */
  reason?: string;
  context?: { provenance?: string[] };
  callback_url?: string;
  /** Seconds the request may wait for a decision. */
  expires_in?: number;
}

/** `GET /v1/approvals/{id}` and friends: the agent's view, generated from the served OpenAPI document. */
export type Approval = AgentApproval;

export type ApprovalOutcome =
  { status: 'approved'; approvalToken: string; approval: Approval } | { status: 'denied' | 'expired' | 'cancelled'; approval: Approval };

export interface WaitOptions {
  /** Seconds each long-poll may be held by the server; 1–60, default 55. */
  waitSeconds?: number;
  /** Give up (with `CountersignTimeoutError`) when the approval is still pending after this long. Default: never. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface CreateApprovalOptions {
  /** Sent as `Idempotency-Key`; a random one is generated when absent so the client's own retries are safe. */
  idempotencyKey?: string;
  signal?: AbortSignal;
}

export interface RequestApprovalOptions extends WaitOptions, CreateApprovalOptions {}

export interface CountersignClientOptions {
  /** Countersign's base URL, e.g. `https://countersign.example.com`. */
  baseUrl: string;
  clientId: string;
  clientSecret: string;
  fetch?: typeof fetch;
  /** Timeout of a single HTTP request that is not a long-poll; default 30 s. */
  requestTimeoutMs?: number;
  /** Retries of network failures and 502/503/504; default 3. */
  maxRetries?: number;
  /** First retry delay, doubled each time (a server's `Retry-After` wins); default 500 ms. */
  retryDelayMs?: number;
}

export interface CountersignClient {
  /** Asks for approval, then waits (long-polling) until a person decides or the request expires. */
  requestApproval(request: ApprovalRequest, options?: RequestApprovalOptions): Promise<ApprovalOutcome>;
  /**
   * Asks for approval and returns at once, pending or not (`requestApproval` without the wait): for a caller that
   * needs the approval's id while it waits, to link the approval page or cancel it.
   */
  createApproval(request: ApprovalRequest, options?: CreateApprovalOptions): Promise<Approval>;
  /** The outcome an approval has reached, or undefined while it is pending. */
  outcomeOf(approval: Approval): ApprovalOutcome | undefined;
  /** Waits for an existing approval to leave `pending`. */
  waitForOutcome(id: string, options?: WaitOptions): Promise<ApprovalOutcome>;
  /** Reads an approval; with `wait` (seconds, ≤ 60) the server holds the answer until the status changes. */
  getApproval(id: string, options?: { wait?: number; signal?: AbortSignal }): Promise<Approval>;
  cancel(id: string, options?: { signal?: AbortSignal }): Promise<Approval>;
}
