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

export type ApprovalStatus = 'pending' | 'approved' | 'denied' | 'expired' | 'cancelled';

/** `GET /v1/approvals/{id}` and friends. */
export interface Approval {
  id: string;
  status: ApprovalStatus;
  /** Why the approval left `pending` the way it did (a refusal reason, "cancelled by the agent", ...). */
  status_reason?: string | null;
  action?: { type: string; resource: string; args: Record<string, unknown> };
  on_behalf_of?: string;
  audience?: string;
  classification: {
    tier: string;
    reversibility: string | null;
    blast_radius: string | null;
    rule: string;
    taxonomy_version: number;
    reasons: string[];
  };
  requirement: { approvals_required: number; step_up: string; channels: string[] };
  action_digest: string;
  created_at?: string;
  expires_at: string;
  decided_at?: string | null;
  decisions: unknown[];
  /** Present only when `status` is `approved`. */
  approval_token?: string;
}

export type ApprovalOutcome =
  | { status: 'approved'; approvalToken: string; approval: Approval }
  | { status: 'denied' | 'expired' | 'cancelled'; approval: Approval };

export interface WaitOptions {
  /** Seconds each long-poll may be held by the server; 1–60, default 55. */
  waitSeconds?: number;
  /** Give up (with `CountersignTimeoutError`) when the approval is still pending after this long. Default: never. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface RequestApprovalOptions extends WaitOptions {
  /** Sent as `Idempotency-Key`; a random one is generated when absent so the client's own retries are safe. */
  idempotencyKey?: string;
}

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
  /** Waits for an existing approval to leave `pending`. */
  waitForOutcome(id: string, options?: WaitOptions): Promise<ApprovalOutcome>;
  /** Reads an approval; with `wait` (seconds, ≤ 60) the server holds the answer until the status changes. */
  getApproval(id: string, options?: { wait?: number; signal?: AbortSignal }): Promise<Approval>;
  cancel(id: string, options?: { signal?: AbortSignal }): Promise<Approval>;
}
