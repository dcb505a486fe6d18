import { Injectable } from '@nestjs/common';
import { type AuthenticationResponseJSON } from '@simplewebauthn/server';
import { type Actor, type AuditEntry, AuditEventType, AuditService, SYSTEM } from '@countersign/audit';
import { type AgentRecord, AgentsService } from '@countersign/agents';
import { Database, type Tx } from '@countersign/database';
import { DomainError, FAST_DECISION_MS, isEligibleApprover, isFastDecision, nextStatus, outcomeOf, type Verdict } from '@countersign/domain';
import { Metrics } from '@countersign/observability';
import { parseCredentialResponse, PasskeyService, type PersonRecord } from '@countersign/people';
import { ApprovalTokenService } from '@countersign/tokens';
import { AgentControlService } from './agent-control.service';
import { ApprovalLifecycleService } from './approval-lifecycle.service';
import { ApprovalRepository, type ApprovalRecord } from './approval.repository';
import { type ApproverView, ApproverService, eligibleEntriesOf, requirementOf } from './approver.service';
import { DecisionRepository } from './decision.repository';

export type DecisionChannel = 'web' | 'slack';

export interface DecisionInput {
  verdict: Verdict;
  reason: string | null;
  stepUp: AuthenticationResponseJSON | null;
}

const MAX_REASON = 1_000;

/** Parses a decision body: `{verdict: "approve"|"deny", reason?, step_up?}`. */
export function parseDecision(body: unknown): DecisionInput {
  const value = body as { verdict?: unknown; reason?: unknown; step_up?: unknown } | null;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new DomainError('invalid_request', 'the body must be a JSON object');
  const unknown = Object.keys(value).filter((key) => !['verdict', 'reason', 'step_up'].includes(key));
  if (unknown.length > 0) throw new DomainError('invalid_request', `unknown member ${JSON.stringify(unknown[0])}`, { field: unknown[0] });
  if (value.verdict !== 'approve' && value.verdict !== 'deny') throw new DomainError('invalid_request', 'verdict must be "approve" or "deny"', { field: 'verdict' });
  if (value.reason !== undefined && value.reason !== null && (typeof value.reason !== 'string' || value.reason.length > MAX_REASON)) {
    throw new DomainError('invalid_request', `reason must be a string of at most ${MAX_REASON} characters`, { field: 'reason' });
  }
  const reason = typeof value.reason === 'string' && value.reason.trim() !== '' ? value.reason.trim() : null;
  const stepUp = value.step_up === undefined || value.step_up === null ? null : parseCredentialResponse<AuthenticationResponseJSON>(value.step_up, 'step_up');
  return { verdict: value.verdict, reason, stepUp };
}

/**
 * Flow 3 of DESIGN.md: one decision service for the web and Slack. Under the approval's row lock: the state
 * machine, one decision per person, the quorum; on the final decision the token is minted in the same
 * transaction; then waiters wake on every instance and the callback is enqueued. Every refusal is audited.
 */
@Injectable()
export class DecisionService {
  constructor(
    private readonly database: Database,
    private readonly approvals: ApprovalRepository,
    private readonly decisions: DecisionRepository,
    private readonly approver: ApproverService,
    private readonly lifecycle: ApprovalLifecycleService,
    private readonly tokens: ApprovalTokenService,
    private readonly passkeys: PasskeyService,
    private readonly agents: AgentsService,
    private readonly agentControl: AgentControlService,
    private readonly audit: AuditService,
    private readonly metrics: Metrics,
  ) {}

  async decide(person: PersonRecord, approvalId: string, body: unknown, channel: DecisionChannel): Promise<ApproverView> {
    const actor: Actor = { type: 'person', id: person.id };
    const approval = await this.eligibleApproval(person, approvalId);
    try {
      if (approval.status === 'expired') throw new DomainError('expired', 'the approval expired before a decision');
      if (approval.status !== 'pending') throw new DomainError('already_decided', `the approval is already ${approval.status}`, { current_status: approval.status });
      const input = parseDecision(body);
      const amr = await this.authenticationMethods(person, approval, input, channel);
      const final = await this.record(person, approval, input, channel, amr);
      if (final) {
        await this.lifecycle.afterCommit(final);
        if (final.status === 'denied') await this.agentControl.afterDenial(final.agentId);
      }
    } catch (error) {
      if (error instanceof DomainError) {
        await this.audit.record(actor, [{ type: AuditEventType.DecisionRefused, subject: { type: 'approval', id: approval.id }, data: { code: error.code, reason: error.message.slice(0, 500), channel } }]);
        if (error.code === 'expired') await this.lifecycle.expire(approval.id);
      }
      throw error;
    }
    return this.approver.viewAfterDecision(person, approval.id);
  }

  /** Not eligible (or no such approval) is 404 and not audited against the approval: nothing is revealed. */
  private async eligibleApproval(person: PersonRecord, approvalId: string): Promise<ApprovalRecord> {
    const approval = await this.approvals.findById(approvalId);
    if (!approval || !isEligibleApprover(person, approval.onBehalfOfId, eligibleEntriesOf(approval))) throw new DomainError('not_found', 'no such approval');
    return approval;
  }

  /**
   * The step-up is checked before the row lock (signature checks are not done while holding it), and its
   * challenge is consumed whatever happens next. Approving a step-up tier without one is refused.
   */
  private async authenticationMethods(person: PersonRecord, approval: ApprovalRecord, input: DecisionInput, channel: DecisionChannel): Promise<string[]> {
    const base = channel === 'slack' ? ['slack'] : ['session'];
    if (input.verdict === 'approve' && requirementOf(approval).step_up === 'passkey' && !input.stepUp) {
      throw new DomainError('step_up_required', `tier ${approval.tier} needs a passkey confirmation: POST …/step-up for options, then send the assertion as step_up`);
    }
    if (!input.stepUp) return base;
    return [...base, ...(await this.passkeys.verifyStepUp(person, { id: approval.id, actionDigest: approval.actionDigest }, input.stepUp))];
  }

  /** Returns the approval when this decision settled it, null when it still waits for other people. */
  private async record(person: PersonRecord, read: ApprovalRecord, input: DecisionInput, channel: DecisionChannel, amr: string[]): Promise<ApprovalRecord | null> {
    const actor: Actor = { type: 'person', id: person.id };
    // Read before the transaction: inside it, every query must use its connection (a second one taken from the
    // pool while waiting on the row lock can deadlock the pool under load).
    const agent = await this.agents.findById(read.agentId);
    if (!agent) throw new Error(`approval ${read.id} names a missing agent`);
    const decidedAt = new Date();
    const settled = await this.database.transaction(async (tx) => {
      const approval = (await this.approvals.lock(tx, read.id))!;
      if (approval.status === 'expired' || (approval.status === 'pending' && approval.expiresAt.getTime() <= decidedAt.getTime())) {
        throw new DomainError('expired', 'the approval expired before this decision');
      }
      if (approval.status !== 'pending') throw new DomainError('already_decided', `the approval is already ${approval.status}`, { current_status: approval.status });
      // The step-up was checked against the row as read before the lock: it must still be the same action.
      if (amr.includes('passkey') && approval.actionDigest !== read.actionDigest) throw new DomainError('step_up_invalid', 'the approval changed while the step-up was checked');
      // Approval fatigue: measured from when this channel showed the person the request, against the tier's threshold.
      const shownAt = await this.decisions.shownAt(tx, approval.id, person.id, channel);
      const thresholdSeconds = requirementOf(approval).fast_decision_seconds;
      const fast = isFastDecision(shownAt, decidedAt, thresholdSeconds === undefined ? FAST_DECISION_MS : thresholdSeconds * 1000);
      const latencyMs = shownAt ? decidedAt.getTime() - shownAt.getTime() : null;
      const inserted = await this.decisions.insert(tx, { approvalId: approval.id, personId: person.id, verdict: input.verdict, reason: input.reason, channel, amr, latencyMs, fast });
      if (!inserted) throw new DomainError('already_decided', 'you have already decided this approval');
      const decisions = await this.decisions.decisionsOf(tx, approval.id);
      const requirement = requirementOf(approval);
      const outcome = outcomeOf(decisions, requirement.approvals_required);
      const entries: AuditEntry[] = [
        {
          type: AuditEventType.DecisionRecorded,
          subject: { type: 'approval', id: approval.id },
          data: { verdict: input.verdict, reason: input.reason, channel, amr, fast, latency_ms: latencyMs, approvals: decisions.filter((d) => d.verdict === 'approve').length, approvals_required: requirement.approvals_required },
        },
      ];
      let final: ApprovalRecord | null = null;
      if (outcome !== 'pending') {
        const to = nextStatus(approval.status, outcome === 'approved' ? 'approve' : 'deny');
        const reason = outcome === 'approved' ? `approved by ${decisions.map((d) => d.email).join(', ')}` : `denied by ${person.email}${input.reason ? `: ${input.reason}` : ''}`;
        final = await this.approvals.transitionFromPending(tx, approval.id, to, reason);
        entries.push({ type: AuditEventType.ApprovalStatusChanged, subject: { type: 'approval', id: approval.id }, data: { from: 'pending', to, reason } });
        if (to === 'approved') await this.mint(tx, approval, agent, decisions.filter((d) => d.verdict === 'approve').map((d) => ({ sub: d.personId, channel: d.channel, amr: d.amr })));
      }
      await this.audit.append(tx, actor, entries);
      return { final, fast };
    });
    this.metrics.decisions.inc({ verdict: input.verdict, channel });
    if (settled.fast) this.metrics.fastDecisions.inc({ verdict: input.verdict });
    return settled.final;
  }

  private async mint(tx: Tx, approval: ApprovalRecord, agent: AgentRecord, approvers: Array<{ sub: string; channel: string; amr: string[] }>): Promise<void> {
    // A suspension racing this decision waits for the approval's lock; its token revocation runs after this
    // transaction commits, so it revokes this token too.
    await this.tokens.mint(tx, SYSTEM, {
      approvalId: approval.id,
      action: { type: approval.actionType, resource: approval.actionResource },
      actionDigest: approval.actionDigest,
      audience: approval.audience,
      agentClientId: agent.clientId,
      personId: approval.onBehalfOfId,
      risk: { tier: approval.tier, reversibility: (approval.classification.reversibility as string | null) ?? null, blast_radius: (approval.classification.blast_radius as string | null) ?? null },
      approvers,
      ttlSeconds: requirementOf(approval).token_ttl_seconds,
    });
  }
}
