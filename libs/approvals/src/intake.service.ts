import { createHash, randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { type Actor, type AuditEntry, AuditEventType, AuditService, outboxEvents, SYSTEM } from '@countersign/audit';
import { type AgentRecord, AgentsService } from '@countersign/agents';
import { CONFIG, type CountersignConfig } from '@countersign/config';
import {
  type ApprovalStatus,
  canonicalJson,
  type Classification,
  computeActionDigest,
  DomainError,
  matchesAny,
  redactArgs,
} from '@countersign/domain';
import { type PersonRecord } from '@countersign/people';
import { TaxonomyService } from '@countersign/taxonomy';
import { type AgentPrincipal, ApprovalTokenService } from '@countersign/tokens';
import { AgentControlService } from './agent-control.service';
import { type ApprovalRequest } from './approval-request';
import { type CibaIntake, type CibaRequestRow } from './ciba.repository';
import { ApprovalLifecycleService } from './approval-lifecycle.service';
import { ApprovalRepository, type ApprovalRecord, type StoredClassification } from './approval.repository';
import { type ApprovalView, toApprovalView } from './approval-view';
import { validateCallbackUrl } from './callback-url';
import { IntakeWriter } from './intake-writer';
import { PartiesRepository } from './parties.repository';
import { PENDING_RETRY_AFTER_SECONDS, QuotaService, type ThrottledRefusal } from './quota.service';

type Refusal = NonNullable<StoredClassification['refusal']>;
type AgentLimits = ReturnType<AgentsService['quotas']>;
type Parties = Awaited<ReturnType<PartiesRepository['load']>>;

/** What classification decided for a request: refused (`denied`), automatic (`approved`) or waiting (`pending`). */
interface Outcome {
  version: number;
  classification: Classification;
  audience: string;
  refusal: Refusal | null;
  status: ApprovalStatus;
}

/** Flow 1 of DESIGN.md: validate, quota, classify, confused-deputy check, persist with its audit, then enqueue. */
@Injectable()
export class IntakeService {
  private readonly logger = new Logger(IntakeService.name);

  constructor(
    @Inject(CONFIG) private readonly config: CountersignConfig,
    private readonly approvals: ApprovalRepository,
    private readonly agents: AgentsService,
    private readonly parties: PartiesRepository,
    private readonly writer: IntakeWriter,
    private readonly taxonomy: TaxonomyService,
    private readonly quotas: QuotaService,
    private readonly tokens: ApprovalTokenService,
    private readonly lifecycle: ApprovalLifecycleService,
    private readonly audit: AuditService,
    private readonly agentControl: AgentControlService,
  ) {}

  /**
   * `created` is false when an idempotency key replayed an earlier, identical request. The request and the key come
   * parsed by the transport (`parseIntake`, which refuses through `refuse`). The steps, in order: admit the agent
   * (status, quotas), replay an idempotent retry, find the person, classify and decide the outcome, check the
   * pending limits, then store the approval with its audit (and token) and start what follows.
   */
  async request(
    principal: AgentPrincipal,
    request: ApprovalRequest,
    idempotencyKey: string | undefined,
    ciba?: CibaIntake,
  ): Promise<{ created: boolean; approval: ApprovalView; cibaExpiresAt?: Date }> {
    const actor = agentActor(principal);
    // The agent (still active?) and the person it names, in one round trip.
    const parties = await this.parties.load(principal.agentId, request.on_behalf_of);
    const { agent, limits } = await this.admit(actor, parties.agent);

    const requestHash = 'sha256:' + createHash('sha256').update(canonicalJson(request)).digest('base64url');
    if (idempotencyKey !== undefined) {
      const existing = await this.approvals.findByIdempotencyKey(agent.id, idempotencyKey);
      if (existing) return this.replay(existing, requestHash);
    }

    const person = await this.enabledPerson(actor, parties.person, request);
    const callbackUrl = await this.auditingRefusal(actor, () =>
      request.callback_url === undefined
        ? null
        : validateCallbackUrl(request.callback_url, this.config.allowPrivateCallbackUrls).toString(),
    );
    const outcome = await this.classify(actor, agent, person, parties.groupPermissions, request);
    if (outcome.status === 'pending') await this.checkPendingLimits(actor, agent, person, limits, parties);

    const stored = await this.store(actor, agent, person, request, outcome, { idempotencyKey, requestHash, callbackUrl }, ciba);
    if (!stored) {
      // Lost an idempotency race to a concurrent identical request: answer as its replay.
      const winner = await this.approvals.findByIdempotencyKey(agent.id, idempotencyKey!);
      if (!winner) throw new Error('idempotent insert conflicted but no approval holds the key');
      return this.replay(winner, requestHash);
    }
    await this.lifecycle.afterCommit(stored.approval, { created: true });
    if (outcome.refusal) {
      await this.agentControl.afterDenial(agent.id);
      throw refusalError(outcome.refusal, stored.approval.id);
    }
    return { created: true, approval: toApprovalView(stored.approval, stored.token), cibaExpiresAt: stored.cibaExpiresAt };
  }

  /**
   * The transport's refusal of a request it could not parse (a bad header or body), audited like every refusal
   * before an approval row exists; the caller rethrows the error.
   */
  async refuse(principal: AgentPrincipal, error: DomainError): Promise<void> {
    await this.refuseWithoutApproval(agentActor(principal), error);
  }

  /** The agent must still be active and within its quotas (requests a minute, and its notifications not backlogged). */
  private async admit(actor: Actor, agent: AgentRecord | null): Promise<{ agent: AgentRecord; limits: AgentLimits }> {
    if (!agent || agent.status !== 'active') throw new DomainError('unauthenticated', 'the agent is suspended or no longer exists');
    const limits = this.agents.quotas(agent);
    try {
      await Promise.all([this.quotas.consumeRequest(agent.id, limits.requestsPerMinute), this.quotas.checkBacklog(agent.id)]);
    } catch (error) {
      // Quota refusals are not audited one by one (a flood would write the log at its own rate); a backlog's first is.
      if (error instanceof DomainError && error.code === 'notifications_backlogged')
        await this.auditOncePerMinute(actor, error, 'flood-backlog', agent.id);
      throw error;
    }
    return { agent, limits };
  }

  private async enabledPerson(actor: Actor, person: PersonRecord | null, request: ApprovalRequest): Promise<PersonRecord> {
    if (person?.status === 'active') return person;
    const error = new DomainError('unknown_person', `on_behalf_of names no enabled person: ${JSON.stringify(request.on_behalf_of)}`, {
      field: '/on_behalf_of',
    });
    await this.refuseWithoutApproval(actor, error);
    throw error;
  }

  /** The active taxonomy's classification, the audience, and the outcome: refused (denied), automatic or pending. */
  private async classify(
    actor: Actor,
    agent: AgentRecord,
    person: PersonRecord,
    groupPermissions: string[],
    request: ApprovalRequest,
  ): Promise<Outcome> {
    const { version, taxonomy } = await this.taxonomy.active();
    const classification = taxonomy.classify({
      action: request.action,
      agent: { id: agent.id, client_id: agent.clientId, name: agent.name },
      person: { id: person.id, email: person.email, role: person.role },
      context: { provenance: request.context?.provenance ?? [] },
    });
    const audience = request.audience ?? classification.audience;
    if (!audience) {
      const error = new DomainError(
        'audience_required',
        `no audience: the taxonomy names none for ${request.action.type}, so the request must`,
        { field: '/audience' },
      );
      await this.refuseWithoutApproval(actor, error);
      throw error;
    }
    const refusal = refusalFor(agent, person, groupPermissions, request.action.type, classification);
    const status: ApprovalStatus = refusal ? 'denied' : classification.requirement.decision === 'auto_approve' ? 'approved' : 'pending';
    return { version, classification, audience, refusal, status };
  }

  /**
   * A request that would wait for a person counts against the agent's pending cap and against that person (across
   * all agents); the person's first refusal a minute per agent is audited, so the log shows who is burying whom.
   */
  private async checkPendingLimits(
    actor: Actor,
    agent: AgentRecord,
    person: PersonRecord,
    limits: AgentLimits,
    parties: Parties,
  ): Promise<void> {
    if (parties.pendingApprovals >= limits.maxPending) {
      throw new DomainError('too_many_pending', `the agent already has ${limits.maxPending} pending approvals`, {
        retryAfterSeconds: PENDING_RETRY_AFTER_SECONDS,
      });
    }
    try {
      await this.quotas.checkPerson(person.id, parties.personPendingApprovals);
    } catch (error) {
      if (error instanceof DomainError && error.code === 'too_many_pending_for_person')
        await this.auditOncePerMinute(actor, error, 'person-pending', `${person.id}:${agent.id}`);
      throw error;
    }
  }

  /**
   * The approval row, its audit events and (auto-approved) its token, written in one statement by the group
   * commit. Null when a concurrent request with the same idempotency key won.
   */
  private async store(
    actor: Actor,
    agent: AgentRecord,
    person: PersonRecord,
    request: ApprovalRequest,
    { version, classification, audience, refusal, status }: Outcome,
    keys: { idempotencyKey: string | undefined; requestHash: string; callbackUrl: string | null },
    ciba: CibaIntake | undefined,
  ): Promise<{ approval: ApprovalRecord; token: string | null; cibaExpiresAt?: Date } | null> {
    const requirement = classification.requirement;
    const actionDigest = computeActionDigest({ ...request.action, audience, agent: agent.clientId, on_behalf_of: person.id });
    const ttlSeconds = status === 'pending' ? Math.min(request.expires_in ?? requirement.ttl_seconds, requirement.ttl_seconds) : 0;
    const now = Date.now();
    // A CIBA request's auth_req_id outlives an automatic outcome: the client redeems it while the token lives.
    const cibaLimit = status === 'pending' ? requirement.ttl_seconds : requirement.token_ttl_seconds;
    const cibaTtlSeconds = Math.min(request.expires_in ?? cibaLimit, cibaLimit);
    const cibaRow: Omit<CibaRequestRow, 'approvalId'> | null =
      ciba && !refusal ? { ...ciba.request, expiresAt: new Date(now + cibaTtlSeconds * 1000) } : null;
    const storedClassification: StoredClassification = {
      tier: classification.tier,
      reversibility: classification.reversibility,
      blast_radius: classification.blast_radius,
      rule: classification.rule,
      reasons: classification.reasons,
      ...(refusal ? { refusal } : {}),
    };
    const args = redactArgs(request.action.args, classification.sensitive_args);
    const statusReason = refusal ? refusal.message : status === 'approved' ? `auto-approved: tier ${classification.tier}` : null;

    const id = randomUUID();
    const subject = { type: 'approval', id };
    const entries: AuditEntry[] = [
      {
        type: AuditEventType.ApprovalRequested,
        subject,
        data: {
          action: { type: request.action.type, resource: request.action.resource, args },
          on_behalf_of: person.id,
          audience,
          provenance: request.context?.provenance ?? [],
          idempotency_key: keys.idempotencyKey ?? null,
          callback_url: keys.callbackUrl,
        },
      },
      {
        type: AuditEventType.ApprovalClassified,
        subject,
        data: { ...storedClassification, refusal: undefined, taxonomy_version: version, action_digest: actionDigest },
      },
      refusal
        ? { type: AuditEventType.ApprovalRefused, subject, data: { code: refusal.code, reason: refusal.message } }
        : {
            type: AuditEventType.ApprovalStatusChanged,
            subject,
            data: {
              from: null,
              to: status,
              reason: statusReason ?? `tier ${classification.tier} needs ${requirement.approvals_required} approval(s)`,
            },
          },
    ];
    const token =
      status === 'approved'
        ? await this.tokens.prepare({
            approvalId: id,
            action: { type: request.action.type, resource: request.action.resource },
            actionDigest,
            audience,
            agentClientId: agent.clientId,
            personId: person.id,
            risk: { tier: classification.tier, reversibility: classification.reversibility, blast_radius: classification.blast_radius },
            approvers: [],
            ttlSeconds: requirement.token_ttl_seconds,
          })
        : null;
    const approval = await this.writer.write({
      approval: {
        id,
        agentId: agent.id,
        onBehalfOfId: person.id,
        actionType: request.action.type,
        actionResource: request.action.resource,
        args,
        audience,
        reason: request.reason ?? null,
        provenance: request.context?.provenance ?? [],
        tier: classification.tier,
        classification: storedClassification,
        requirement,
        taxonomyVersion: version,
        actionDigest,
        status,
        statusReason,
        expiresAt: new Date(now + ttlSeconds * 1000),
        idempotencyKey: keys.idempotencyKey ?? null,
        requestHash: keys.requestHash,
        callbackUrl: keys.callbackUrl,
        callbackState: keys.callbackUrl && status !== 'pending' ? 'due' : null,
        bindingMessage: ciba?.bindingMessage ?? null,
        escalatedTo: [],
        escalationStep: 0,
        groupMembers: {},
        decidedAt: status === 'pending' ? null : new Date(now),
      },
      // The token is minted by the system on the auto-approve rule, not by the agent.
      audit: [...outboxEvents(actor, entries), ...(token ? outboxEvents(SYSTEM, [token.audit]) : [])],
      token: token?.issued ?? null,
      ciba: cibaRow ? { ...cibaRow, approvalId: id } : null,
    });
    return approval ? { approval, token: token?.token ?? null, cibaExpiresAt: cibaRow?.expiresAt } : null;
  }

  private async replay(existing: ApprovalRecord, requestHash: string): Promise<{ created: boolean; approval: ApprovalView }> {
    if (existing.requestHash !== requestHash) {
      throw new DomainError('idempotency_key_reused', 'this Idempotency-Key was used for a different request', {
        field: 'Idempotency-Key',
        approval_id: existing.id,
      });
    }
    const refusal = existing.classification.refusal;
    if (refusal) throw refusalError(refusal, existing.id);
    const token = existing.status === 'approved' ? await this.tokens.tokenFor(existing.id) : null;
    return { created: false, approval: toApprovalView(existing, token) };
  }

  /** Runs a validation step; a DomainError it throws is audited as a refusal before it propagates. */
  private async auditingRefusal<T>(actor: Actor, step: () => T): Promise<T> {
    try {
      return step();
    } catch (error) {
      if (error instanceof DomainError) await this.refuseWithoutApproval(actor, error);
      throw error;
    }
  }

  /** Audits a refusal that can repeat at a flood's rate: the first for this subject in a minute, on any instance. */
  private async auditOncePerMinute(actor: Actor, error: DomainError, kind: ThrottledRefusal, subject: string): Promise<void> {
    if (await this.quotas.firstRefusalThisMinute(kind, subject)) await this.refuseWithoutApproval(actor, error);
  }

  /** Refusals before an approval row can exist (bad input, unknown person) are audited on their own. */
  private async refuseWithoutApproval(actor: Actor, error: DomainError): Promise<void> {
    try {
      await this.audit.record(actor, [
        { type: AuditEventType.ApprovalRefused, data: { code: error.code, reason: error.message.slice(0, 500) } },
      ]);
    } catch (auditError) {
      this.logger.error(`could not audit a refused request: ${(auditError as Error).message}`);
    }
  }
}

/**
 * DESIGN.md principle 2 (confused deputy): the agent's capabilities AND the person's permissions (their own, or
 * a group's they belong to); then policy.
 */
function refusalFor(
  agent: AgentRecord,
  person: PersonRecord,
  groupPermissions: string[],
  type: string,
  classification: Classification,
): Refusal | null {
  if (!matchesAny(agent.capabilities, type)) {
    return { code: 'capability_missing', message: `agent ${agent.name} lacks the capability for ${type}` };
  }
  if (!matchesAny(person.permissions, type) && !matchesAny(groupPermissions, type)) {
    return {
      code: 'permission_missing',
      message: `${person.email} lacks the permission for ${type}; an agent cannot act beyond its principal`,
    };
  }
  if (classification.requirement.decision === 'deny') {
    return {
      code: 'forbidden_by_policy',
      message: `tier ${classification.tier} is denied by policy (${classification.reasons.join('; ')})`,
    };
  }
  return null;
}

function agentActor(principal: AgentPrincipal): Actor {
  return { type: 'agent', id: principal.agentId, clientId: principal.clientId };
}

function refusalError(refusal: Refusal, approvalId: string): DomainError {
  return new DomainError(refusal.code, refusal.message, { approval_id: approvalId, approval_status: 'denied' });
}
