import { Injectable } from '@nestjs/common';
import { type AuthenticationResponseJSON } from '@simplewebauthn/server';
import { z } from 'zod';
import { type Actor, type AuditEntry, AuditEventType, AuditService, SYSTEM } from '@countersign/audit';
import { Database, type Tx } from '@countersign/database';
import {
  assertDecidable,
  assertFirstDecision,
  decidingCapacity,
  decisionLatency,
  decisionReason,
  DomainError,
  type InputProblem,
  MAX_DECISION_REASON,
  mayDecide,
  parseInput,
  settlementOf,
  type Verdict,
} from '@countersign/domain';
import { Metrics } from '@countersign/observability';
import { DelegationService, type DelegationInForce, PasskeyService, type PersonRecord } from '@countersign/people';
import { ApprovalTokenService } from '@countersign/tokens';
import { AgentControlService } from './agent-control.service';
import { ApprovalLifecycleService } from './approval-lifecycle.service';
import { type ApprovalRecord, ApprovalRepository, isUuid } from './approval.repository';
import { type ApprovalActivity, type DecisionRecord, DecisionRepository } from './decision.repository';

/** Where a decision was made: the web app, or a channel's message (its buttons are bound to the linked user). */
export type DecisionChannel = 'web' | 'slack' | 'teams';

/** A person's decision, as every channel hands it to the service. */
export interface DecisionInput {
  verdict: Verdict;
  reason: string | null;
  stepUp: AuthenticationResponseJSON | null;
}

/** SimpleWebAuthn's assertion JSON, as far as it is checked before the passkey service verifies it. */
const assertion = z.looseObject({
  id: z.string(),
  rawId: z.string(),
  type: z.literal('public-key'),
  response: z.looseObject({ clientDataJSON: z.string() }),
});

/** The web's decision body: `{verdict: "approve"|"deny", reason?, step_up?}`. */
export const decisionBody = z
  .strictObject({
    verdict: z.enum(['approve', 'deny']),
    reason: z.string().max(MAX_DECISION_REASON).nullish(),
    step_up: assertion.nullish(),
  })
  .transform((body): DecisionInput => ({
    verdict: body.verdict,
    reason: decisionReason(body.reason),
    stepUp: (body.step_up ?? null) as AuthenticationResponseJSON | null,
  }));

/** Parses a decision body at the edge; a refusal names the field. */
export function parseDecisionInput(body: unknown): DecisionInput {
  return parseInput(decisionBody, body, explainDecisionIssue);
}

function explainDecisionIssue(issue: z.core.$ZodIssue): InputProblem {
  if (issue.code === 'unrecognized_keys') return { message: `unknown member ${JSON.stringify(issue.keys[0])}`, field: issue.keys[0] };
  switch (issue.path[0]) {
    case 'verdict':
      return { message: 'verdict must be "approve" or "deny"', field: 'verdict' };
    case 'reason':
      return { message: `reason must be a string of at most ${MAX_DECISION_REASON} characters`, field: 'reason' };
    case 'step_up':
      return { message: "step_up must be a WebAuthn credential response (SimpleWebAuthn's JSON shape)", field: 'step_up' };
    default:
      return { message: 'the body must be a JSON object' };
  }
}

/**
 * Flow 3 of DESIGN.md: one decision service for the web and Slack. Under the approval's row lock, read once: the
 * refusal rules, one decision per person, the quorum (libs/domain decision.ts); on the final decision the token is
 * minted in the same transaction; then waiters wake on every instance and the callback is enqueued. Every
 * refusal is audited, except not_found, which reveals nothing about the approval.
 */
@Injectable()
export class DecisionService {
  constructor(
    private readonly database: Database,
    private readonly approvals: ApprovalRepository,
    private readonly decisions: DecisionRepository,
    private readonly lifecycle: ApprovalLifecycleService,
    private readonly tokens: ApprovalTokenService,
    private readonly passkeys: PasskeyService,
    private readonly delegations: DelegationService,
    private readonly agentControl: AgentControlService,
    private readonly audit: AuditService,
    private readonly metrics: Metrics,
  ) {}

  /** Returns the approval as this decision left it, with its parties, decisions and deliveries. */
  async decide(person: PersonRecord, approvalId: string, input: DecisionInput, channel: DecisionChannel): Promise<ApprovalActivity> {
    try {
      const stepUp = input.stepUp ? await this.checkStepUp(person, approvalId, input.verdict, input.stepUp) : null;
      const { settled, final } = await this.record(person, approvalId, input, channel, stepUp);
      if (final) {
        await this.lifecycle.afterCommit(final);
        if (final.status === 'denied') await this.agentControl.afterDenial(final.agentId);
      }
      return settled;
    } catch (error) {
      if (error instanceof DomainError && error.code !== 'not_found') {
        await this.audit.record({ type: 'person', id: person.id }, [
          {
            type: AuditEventType.DecisionRefused,
            subject: { type: 'approval', id: approvalId },
            data: { code: error.code, reason: error.message.slice(0, 500), channel },
          },
        ]);
        if (error.code === 'expired') await this.lifecycle.expire(approvalId);
      }
      throw error;
    }
  }

  /**
   * The step-up is checked before the row lock (signature checks are not done while holding it), against the
   * approval as read now; its challenge is consumed whatever happens next. The lock then checks the action is
   * still the one signed. The only decisions that read the approval twice.
   */
  private async checkStepUp(
    person: PersonRecord,
    approvalId: string,
    verdict: Verdict,
    response: AuthenticationResponseJSON,
  ): Promise<{ amr: string[]; actionDigest: string }> {
    const approval = await this.approvals.findById(approvalId);
    const delegations = await this.delegationsFor(undefined, person, approval);
    assertDecidable(person, approval, { verdict, stepUp: approval && { actionDigest: approval.actionDigest } }, new Date(), delegations);
    return { amr: await this.passkeys.verifyStepUp(person, approval, response), actionDigest: approval.actionDigest };
  }

  private async record(
    person: PersonRecord,
    approvalId: string,
    input: DecisionInput,
    channel: DecisionChannel,
    stepUp: { amr: string[]; actionDigest: string } | null,
  ): Promise<{ settled: ApprovalActivity; final: ApprovalRecord | null }> {
    const actor: Actor = { type: 'person', id: person.id };
    const amr = [channel === 'web' ? 'session' : channel, ...(stepUp?.amr ?? [])];
    const decidedAt = new Date();
    // Inside the transaction every query uses its connection: a second one taken from the pool while waiting on
    // the row lock can deadlock the pool under load.
    const result = await this.database.transaction(async (tx) => {
      // The decider first, then the approval: deprovisioning's lock order. A person disabled meanwhile decides nothing.
      if (!(await this.decisions.lockDecider(tx, person.id))) throw new DomainError('forbidden', 'your account is disabled');
      const locked = isUuid(approvalId) ? await this.decisions.lockForDecision(tx, approvalId) : null;
      const approval = locked?.row.approval ?? null;
      // Read now, in this transaction: a delegation that ended or was revoked a moment ago grants nothing.
      const delegations = await this.delegationsFor(tx, person, approval);
      assertDecidable(person, approval, { verdict: input.verdict, stepUp }, decidedAt, delegations);
      const { row, agentClientId } = locked!; // assertDecidable refuses a missing approval
      const via = decidingCapacity(person, approval, delegations, decidedAt)!.via as DelegationInForce | null;
      const { decisions: earlier, notifications, shownAt } = await this.decisions.decidingActivity(tx, approvalId, person.id, channel);
      assertFirstDecision(person, earlier, via?.delegator.id ?? null);
      // Approval fatigue: measured from when this channel showed the person the request, against the tier's threshold.
      const { latencyMs, fast } = decisionLatency(shownAt, decidedAt, approval.requirement);
      const createdAt = await this.decisions.insert(tx, {
        approvalId,
        personId: person.id,
        verdict: input.verdict,
        reason: input.reason,
        channel,
        amr,
        latencyMs,
        fast,
        viaDelegationOf: via?.delegator.id ?? null,
      });
      if (!createdAt) throw new DomainError('already_decided', 'you have already decided this approval');
      const decision: DecisionRecord = {
        personId: person.id,
        email: person.email,
        displayName: person.displayName,
        viaDelegationOf: via?.delegator.id ?? null,
        via: via && { id: via.delegator.id, email: via.delegator.email, displayName: via.delegatorName },
        viaEmail: via?.delegator.email ?? null,
        verdict: input.verdict,
        reason: input.reason,
        channel,
        amr,
        fast,
        createdAt,
      };
      const decisions = [...earlier, decision];
      const approvals = decisions.filter((d) => d.verdict === 'approve');
      const entries: AuditEntry[] = [
        {
          type: AuditEventType.DecisionRecorded,
          subject: { type: 'approval', id: approvalId },
          data: {
            verdict: input.verdict,
            reason: input.reason,
            channel,
            amr,
            fast,
            latency_ms: latencyMs,
            approvals: approvals.length,
            approvals_required: approval.requirement.approvals_required,
            ...(via ? { via_delegation_of: via.delegator.id, delegation: via.id } : {}),
          },
        },
        ...(via
          ? [
              {
                type: AuditEventType.DelegationUsed,
                subject: { type: 'delegation', id: via.id },
                data: { approval_id: approvalId, delegator: via.delegator.id, delegate: person.id, verdict: input.verdict },
              },
            ]
          : []),
      ];
      const settlement = settlementOf(approval, decisions);
      let final: ApprovalRecord | null = null;
      if (settlement) {
        final = await this.approvals.transitionFromPending(tx, approvalId, settlement.to, settlement.reason);
        entries.push({
          type: AuditEventType.ApprovalStatusChanged,
          subject: { type: 'approval', id: approvalId },
          data: { from: 'pending', to: settlement.to, reason: settlement.reason },
        });
        if (settlement.to === 'approved')
          await this.mint(
            tx,
            row.approval,
            agentClientId,
            approvals.map((d) => ({ sub: d.personId, channel: d.channel, amr: d.amr })),
          );
      }
      await this.audit.append(tx, actor, entries);
      const settled: ApprovalActivity = { row: { ...row, approval: final ?? row.approval }, decisions, notifications };
      return { settled, final, fast };
    });
    this.metrics.decisions.inc({ verdict: input.verdict, channel });
    if (result.fast) this.metrics.fastDecisions.inc({ verdict: input.verdict });
    return result;
  }

  /** The delegations to the person in force now; only read when the person may not decide in their own right. */
  private async delegationsFor(tx: Tx | undefined, person: PersonRecord, approval: ApprovalRecord | null): Promise<DelegationInForce[]> {
    if (!approval || mayDecide(person, approval) || approval.onBehalfOfId === person.id) return [];
    return this.delegations.inForceTo(tx, person.id);
  }

  private async mint(
    tx: Tx,
    approval: ApprovalRecord,
    agentClientId: string,
    approvers: Array<{ sub: string; channel: string; amr: string[] }>,
  ): Promise<void> {
    // A suspension racing this decision waits for the approval's lock; its token revocation runs after this
    // transaction commits, so it revokes this token too.
    await this.tokens.mint(tx, SYSTEM, {
      approvalId: approval.id,
      action: { type: approval.actionType, resource: approval.actionResource },
      actionDigest: approval.actionDigest,
      audience: approval.audience,
      agentClientId,
      personId: approval.onBehalfOfId,
      risk: {
        tier: approval.tier,
        reversibility: approval.classification.reversibility,
        blast_radius: approval.classification.blast_radius,
      },
      approvers,
      ttlSeconds: approval.requirement.token_ttl_seconds,
    });
  }
}
