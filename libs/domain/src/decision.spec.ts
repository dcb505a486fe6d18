import { randomBytes } from 'node:crypto';
import {
  type ApprovalEvent,
  type ApprovalStatus,
  assertDecidable,
  assertFirstDecision,
  canStillBeApproved,
  type DecidableApproval,
  decisionLatency,
  decisionReason,
  decidingCapacity,
  type Delegation,
  eligibleEntries,
  groupMembersNamed,
  isActiveDelegation,
  isEligibleApprover,
  isFastDecision,
  isFinal,
  mayDecide,
  nextStatus,
  outcomeOf,
  settlementOf,
  stepUpChallenge,
} from './decision';
import { DomainError } from './errors';

const alice = { id: '11111111-1111-4111-8111-111111111111', email: 'alice@example.com', role: 'approver' };
const bob = { id: '22222222-2222-4222-8222-222222222222', email: 'bob@example.com', role: 'admin' };

describe('approval state machine', () => {
  it.each<[ApprovalEvent, ApprovalStatus]>([
    ['approve', 'approved'],
    ['deny', 'denied'],
    ['expire', 'expired'],
    ['cancel', 'cancelled'],
  ])('pending + %s -> %s', (event, status) => {
    expect(nextStatus('pending', event)).toBe(status);
  });

  const finals: ApprovalStatus[] = ['approved', 'denied', 'expired', 'cancelled'];
  const events: ApprovalEvent[] = ['approve', 'deny', 'expire', 'cancel'];
  it.each(finals.flatMap((status) => events.map((event) => [status, event] as const)))('%s cannot %s', (status, event) => {
    let thrown: unknown;
    try {
      nextStatus(status, event);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(DomainError);
    expect((thrown as DomainError).code).toBe('invalid_transition');
    expect((thrown as DomainError).details).toEqual({ current: status, event });
  });

  it('knows which statuses are final', () => {
    expect(isFinal('pending')).toBe(false);
    expect(finals.every(isFinal)).toBe(true);
  });

  it('keeps expiry distinct from denial', () => {
    expect(nextStatus('pending', 'expire')).not.toBe(nextStatus('pending', 'deny'));
  });
});

describe('isEligibleApprover', () => {
  it('on_behalf_of is the person the agent acts for, and nobody else', () => {
    expect(isEligibleApprover(alice, alice.id, ['on_behalf_of'])).toBe(true);
    expect(isEligibleApprover(bob, alice.id, ['on_behalf_of'])).toBe(false);
  });

  it('role:<role> matches people with that role', () => {
    expect(isEligibleApprover(bob, alice.id, ['on_behalf_of', 'role:admin'])).toBe(true);
    expect(isEligibleApprover(alice, bob.id, ['role:admin'])).toBe(false);
  });

  it('person:<id or email> matches that person, emails case-insensitively', () => {
    expect(isEligibleApprover(bob, alice.id, [`person:${bob.id}`])).toBe(true);
    expect(isEligibleApprover(bob, alice.id, ['person:BOB@example.com'])).toBe(true);
    expect(isEligibleApprover(alice, alice.id, ['person:bob@example.com'])).toBe(false);
  });

  it('group:<name> matches nobody without a recorded membership, and an empty list nobody at all', () => {
    expect(isEligibleApprover(alice, alice.id, ['group:finance'])).toBe(false);
    expect(isEligibleApprover(alice, alice.id, ['group:finance'], { finance: [] })).toBe(false);
    expect(isEligibleApprover(alice, alice.id, [])).toBe(false);
  });

  it('group:<name> matches the members recorded for that group, and only for an entry that names it', () => {
    const members = { finance: [alice.id], ops: [bob.id] };
    expect(isEligibleApprover(alice, bob.id, ['group:finance'], members)).toBe(true);
    expect(isEligibleApprover(bob, alice.id, ['group:finance'], members)).toBe(false);
    expect(isEligibleApprover(bob, alice.id, ['role:approver', 'group:finance'], members)).toBe(false);
    expect(isEligibleApprover(alice, bob.id, ['group:fin'], members)).toBe(false);
    expect(isEligibleApprover(alice, bob.id, ['group:constructor'], members)).toBe(false);
  });

  it('a disabled person matches no entry at all', () => {
    const disabled = { ...alice, status: 'disabled' as const };
    expect(isEligibleApprover(disabled, alice.id, ['on_behalf_of'])).toBe(false);
    expect(isEligibleApprover(disabled, bob.id, ['group:finance'], { finance: [alice.id] })).toBe(false);
  });

  it('a role name is not a prefix match', () => {
    expect(isEligibleApprover({ ...alice, role: 'admin' }, bob.id, ['role:admins'])).toBe(false);
  });
});

describe('outcomeOf (quorum)', () => {
  it('stays pending until enough distinct people approve', () => {
    expect(outcomeOf([{ personId: alice.id, verdict: 'approve' }], 2)).toBe('pending');
    expect(
      outcomeOf(
        [
          { personId: alice.id, verdict: 'approve' },
          { personId: bob.id, verdict: 'approve' },
        ],
        2,
      ),
    ).toBe('approved');
  });

  it('counts a person once however often they appear', () => {
    expect(
      outcomeOf(
        [
          { personId: alice.id, verdict: 'approve' },
          { personId: alice.id, verdict: 'approve' },
        ],
        2,
      ),
    ).toBe('pending');
  });

  it('any deny decides denied, even after enough approvals', () => {
    expect(
      outcomeOf(
        [
          { personId: alice.id, verdict: 'approve' },
          { personId: bob.id, verdict: 'deny' },
        ],
        1,
      ),
    ).toBe('denied');
  });

  it('a requirement of zero approvals still needs one person', () => {
    expect(outcomeOf([], 0)).toBe('pending');
  });

  it('approvals_from needs that many distinct recorded members of the group among the approvals', () => {
    const carol = '33333333-3333-4333-8333-333333333333';
    const quorum = { approvalsRequired: 2, approvalsFrom: { 'group:finance': 2 }, groupMembers: { finance: [alice.id, carol] } };
    const approve = (personId: string) => ({ personId, verdict: 'approve' as const });
    expect(outcomeOf([approve(alice.id), approve(bob.id)], quorum)).toBe('pending');
    expect(outcomeOf([approve(alice.id), approve(bob.id), approve(carol)], quorum)).toBe('approved');
    expect(outcomeOf([approve(alice.id), approve(carol)], quorum)).toBe('approved');
    expect(outcomeOf([approve(alice.id), approve(carol)], { ...quorum, groupMembers: {} })).toBe('pending');
  });

  it("counts a decision through a delegation as the delegator's, once", () => {
    const carol = '33333333-3333-4333-8333-333333333333';
    const quorum = { approvalsRequired: 2, approvalsFrom: { 'group:finance': 2 }, groupMembers: { finance: [alice.id, carol] } };
    // Bob is not in finance, but approves for Alice, who is.
    const forAlice = { personId: bob.id, verdict: 'approve' as const, viaDelegationOf: alice.id };
    expect(outcomeOf([forAlice], quorum)).toBe('pending');
    expect(outcomeOf([forAlice, { personId: carol, verdict: 'approve' }], quorum)).toBe('approved');
    expect(outcomeOf([forAlice, { personId: alice.id, verdict: 'approve' }], 2)).toBe('pending');
  });
});

describe('stepUpChallenge', () => {
  it('binds the nonce to the action digest', () => {
    const nonce = randomBytes(32);
    const digest = 'sha256:abc';
    expect(stepUpChallenge(nonce, digest).equals(stepUpChallenge(nonce, digest))).toBe(true);
    expect(stepUpChallenge(nonce, digest).equals(stepUpChallenge(nonce, 'sha256:abd'))).toBe(false);
    expect(stepUpChallenge(randomBytes(32), digest).equals(stepUpChallenge(nonce, digest))).toBe(false);
    expect(stepUpChallenge(nonce, digest)).toHaveLength(32);
  });
});

describe('isFastDecision', () => {
  it('flags decisions under two seconds after the first view, never without a view', () => {
    const opened = new Date('2026-01-01T00:00:00Z');
    expect(isFastDecision(opened, new Date(opened.getTime() + 1_999))).toBe(true);
    expect(isFastDecision(opened, new Date(opened.getTime() + 2_000))).toBe(false);
    expect(isFastDecision(null, opened)).toBe(false);
  });

  it("takes a tier's own threshold; 0 flags nothing", () => {
    const shown = new Date('2026-01-01T00:00:00Z');
    expect(isFastDecision(shown, new Date(shown.getTime() + 4_999), 5_000)).toBe(true);
    expect(isFastDecision(shown, new Date(shown.getTime() + 5_000), 5_000)).toBe(false);
    expect(isFastDecision(shown, shown, 0)).toBe(false);
  });
});

const now = new Date('2026-01-01T00:00:00Z');
const approval = (overrides: Partial<DecidableApproval> = {}): DecidableApproval => ({
  status: 'pending',
  expiresAt: new Date(now.getTime() + 60_000),
  onBehalfOfId: alice.id,
  tier: 'medium',
  actionDigest: 'sha256:abc',
  escalatedTo: [],
  groupMembers: {},
  requirement: { approvers: ['on_behalf_of'], approvals_required: 1, step_up: 'none' },
  ...overrides,
});

function refusal(run: () => void): { code: string; message: string; details: unknown } | null {
  try {
    run();
    return null;
  } catch (error) {
    if (!(error instanceof DomainError)) throw error;
    return { code: error.code, message: error.message, details: error.details };
  }
}

describe('eligibility of an approval', () => {
  it('a group entry reads the recorded members, not whoever is in the group now', () => {
    const grouped = approval({
      requirement: { approvers: ['group:finance'], approvals_required: 1, step_up: 'none' },
      groupMembers: { finance: [bob.id] },
    });
    expect(mayDecide(bob, grouped)).toBe(true);
    expect(mayDecide(alice, grouped)).toBe(false);
    expect(groupMembersNamed(['on_behalf_of', 'group:finance', 'group:ops'], { finance: [bob.id], ops: [bob.id, alice.id] })).toEqual([
      bob.id,
      alice.id,
    ]);
  });

  it("reads the requirement's approvers plus the escalation entries", () => {
    const escalated = approval({ escalatedTo: ['role:admin'] });
    expect(eligibleEntries(escalated)).toEqual(['on_behalf_of', 'role:admin']);
    expect(mayDecide(bob, approval())).toBe(false);
    expect(mayDecide(bob, escalated)).toBe(true);
    expect(mayDecide(alice, approval())).toBe(true);
  });
});

describe('assertDecidable (the refusals, in order)', () => {
  const approve = { verdict: 'approve' as const, stepUp: null };

  it('lets an eligible person decide a pending approval', () => {
    expect(refusal(() => assertDecidable(alice, approval(), approve, now))).toBeNull();
  });

  it('answers not_found for no approval and for one the person may not decide, before anything else', () => {
    expect(refusal(() => assertDecidable(alice, null, approve, now))?.code).toBe('not_found');
    expect(refusal(() => assertDecidable(bob, approval({ status: 'approved' }), approve, now))?.code).toBe('not_found');
  });

  it('answers expired for an expired approval and for a pending one past its expiry', () => {
    expect(refusal(() => assertDecidable(alice, approval({ status: 'expired' }), approve, now))?.code).toBe('expired');
    expect(refusal(() => assertDecidable(alice, approval({ expiresAt: now }), { verdict: 'deny', stepUp: null }, now))?.code).toBe(
      'expired',
    );
  });

  it('answers already_decided with the current status once the approval is final', () => {
    expect(refusal(() => assertDecidable(alice, approval({ status: 'denied' }), approve, now))).toMatchObject({
      code: 'already_decided',
      details: { current_status: 'denied' },
    });
  });

  it('needs a step-up to approve a passkey tier, not to deny it', () => {
    const critical = approval({
      tier: 'critical',
      requirement: { approvers: ['on_behalf_of'], approvals_required: 1, step_up: 'passkey' },
    });
    expect(refusal(() => assertDecidable(alice, critical, approve, now))).toMatchObject({
      code: 'step_up_required',
      message: expect.stringContaining('tier critical'),
    });
    expect(refusal(() => assertDecidable(alice, critical, { verdict: 'deny', stepUp: null }, now))).toBeNull();
    expect(refusal(() => assertDecidable(alice, critical, { verdict: 'approve', stepUp: { actionDigest: 'sha256:abc' } }, now))).toBeNull();
  });

  it('refuses a step-up that signed another version of the action', () => {
    expect(
      refusal(() => assertDecidable(alice, approval(), { verdict: 'approve', stepUp: { actionDigest: 'sha256:old' } }, now)),
    ).toMatchObject({ code: 'step_up_invalid', message: expect.stringContaining('changed') });
  });
});

describe('assertFirstDecision', () => {
  it('refuses a second decision by the same person', () => {
    expect(refusal(() => assertFirstDecision(alice, [{ personId: bob.id, verdict: 'approve' }]))).toBeNull();
    expect(refusal(() => assertFirstDecision(alice, [{ personId: alice.id, verdict: 'approve' }]))).toMatchObject({
      code: 'already_decided',
      message: 'you have already decided this approval',
    });
  });
});

describe('settlementOf', () => {
  const cast = (person: typeof alice, verdict: 'approve' | 'deny', reason: string | null = null) => ({
    personId: person.id,
    email: person.email,
    verdict,
    reason,
  });
  const twoPeople = approval({ requirement: { approvers: ['role:admin', 'on_behalf_of'], approvals_required: 2, step_up: 'none' } });

  it('waits for the quorum, then approves naming every approver', () => {
    expect(settlementOf(twoPeople, [cast(alice, 'approve')])).toBeNull();
    expect(settlementOf(twoPeople, [cast(alice, 'approve'), cast(bob, 'approve')])).toEqual({
      to: 'approved',
      reason: 'approved by alice@example.com, bob@example.com',
    });
  });

  it("denies at the first deny, with the denier's reason", () => {
    expect(settlementOf(twoPeople, [cast(alice, 'approve'), cast(bob, 'deny', 'not now')])).toEqual({
      to: 'denied',
      reason: 'denied by bob@example.com: not now',
    });
    expect(settlementOf(approval(), [cast(alice, 'deny')])).toEqual({ to: 'denied', reason: 'denied by alice@example.com' });
  });

  it('names a delegate with the person they stood in for', () => {
    expect(settlementOf(approval(), [{ ...cast(bob, 'approve'), viaEmail: alice.email }])).toEqual({
      to: 'approved',
      reason: 'approved by bob@example.com for alice@example.com',
    });
  });

  it('moves only a pending approval (the state machine)', () => {
    expect(refusal(() => settlementOf(approval({ status: 'approved' }), [cast(alice, 'approve')]))?.code).toBe('invalid_transition');
  });
});

describe('decisionReason', () => {
  it('trims, and a blank reason is none', () => {
    expect(decisionReason('  because \n')).toBe('because');
    expect(decisionReason('   ')).toBeNull();
    expect(decisionReason(null)).toBeNull();
    expect(decisionReason(undefined)).toBeNull();
  });
});

describe('decisionLatency', () => {
  it("measures from when the person was shown the request, against the tier's threshold or the default", () => {
    expect(decisionLatency(null, now, {})).toEqual({ latencyMs: null, fast: false });
    expect(decisionLatency(new Date(now.getTime() - 1_500), now, {})).toEqual({ latencyMs: 1_500, fast: true });
    expect(decisionLatency(new Date(now.getTime() - 1_500), now, { fast_decision_seconds: 1 })).toEqual({ latencyMs: 1_500, fast: false });
  });
});

describe('canStillBeApproved (after a person is taken away)', () => {
  it('a 2-of quorum with one counted approval needs one more eligible person', () => {
    expect(canStillBeApproved({ approvalsRequired: 2, approvalsCounted: 1, eligibleUndecided: 1 })).toBe(true);
    expect(canStillBeApproved({ approvalsRequired: 2, approvalsCounted: 1, eligibleUndecided: 0 })).toBe(false);
  });
  it('a 2-of quorum whose only approval was voided needs two others', () => {
    expect(canStillBeApproved({ approvalsRequired: 2, approvalsCounted: 0, eligibleUndecided: 1 })).toBe(false);
    expect(canStillBeApproved({ approvalsRequired: 2, approvalsCounted: 0, eligibleUndecided: 2 })).toBe(true);
  });
  it('nobody left is stranded, even for a requirement that claims zero approvals', () => {
    expect(canStillBeApproved({ approvalsRequired: 0, approvalsCounted: 0, eligibleUndecided: 0 })).toBe(false);
    expect(canStillBeApproved({ approvalsRequired: 1, approvalsCounted: 0, eligibleUndecided: 0 })).toBe(false);
  });
});

describe('delegation', () => {
  const carol = { id: '33333333-3333-4333-8333-333333333333', email: 'carol@example.com', role: 'member' };
  const finance = approval({
    onBehalfOfId: carol.id,
    requirement: { approvers: ['group:finance'], approvals_required: 1, step_up: 'none' },
    groupMembers: { finance: [alice.id] },
  });
  const fromAlice = (overrides: Partial<Delegation> = {}): Delegation => ({
    id: 'd1',
    delegator: alice,
    startsAt: new Date(now.getTime() - 3_600_000),
    endsAt: new Date(now.getTime() + 3_600_000),
    revokedAt: null,
    ...overrides,
  });

  it('lets a delegate decide what the delegator may decide, recording the delegation', () => {
    expect(mayDecide(bob, finance)).toBe(false);
    expect(decidingCapacity(bob, finance, [fromAlice()], now)).toEqual({ via: fromAlice() });
    expect(refusal(() => assertDecidable(bob, finance, { verdict: 'approve', stepUp: null }, now, [fromAlice()]))).toBeNull();
  });

  it('a delegate who may decide in their own right decides as themselves', () => {
    expect(decidingCapacity(alice, finance, [{ ...fromAlice(), delegator: bob }], now)).toEqual({ via: null });
  });

  it('grants nothing once ended, before it starts, once revoked, or from a delegator who may not decide either', () => {
    expect(decidingCapacity(bob, finance, [fromAlice({ endsAt: now })], now)).toBeNull();
    expect(decidingCapacity(bob, finance, [fromAlice({ startsAt: new Date(now.getTime() + 1) })], now)).toBeNull();
    expect(decidingCapacity(bob, finance, [fromAlice({ revokedAt: now })], now)).toBeNull();
    expect(decidingCapacity(bob, finance, [fromAlice({ delegator: carol })], now)).toBeNull();
    expect(
      refusal(() => assertDecidable(bob, finance, { verdict: 'approve', stepUp: null }, now, [fromAlice({ endsAt: now })]))?.code,
    ).toBe('not_found');
  });

  it('grants nothing from a disabled delegator, or to a disabled delegate', () => {
    expect(decidingCapacity(bob, finance, [fromAlice({ delegator: { ...alice, status: 'disabled' } })], now)).toBeNull();
    expect(decidingCapacity({ ...bob, status: 'disabled' }, finance, [fromAlice()], now)).toBeNull();
  });

  it("never lets a delegate approve a request made on the delegate's own behalf", () => {
    const bobsOwn = { ...finance, onBehalfOfId: bob.id };
    expect(decidingCapacity(bob, bobsOwn, [fromAlice()], now)).toBeNull();
    // Alice herself still may.
    expect(decidingCapacity(alice, bobsOwn, [], now)).toEqual({ via: null });
  });

  it('one decision per right: the delegator after the delegate, or the delegate after the delegator, is refused', () => {
    const forAlice = { personId: bob.id, verdict: 'approve' as const, viaDelegationOf: alice.id };
    expect(refusal(() => assertFirstDecision(alice, [forAlice]))?.message).toContain('delegate has already decided');
    expect(refusal(() => assertFirstDecision(bob, [{ personId: alice.id, verdict: 'approve' }], alice.id))?.message).toContain(
      'already decided',
    );
    expect(refusal(() => assertFirstDecision(carol, [forAlice], alice.id))?.code).toBe('already_decided');
    expect(refusal(() => assertFirstDecision(carol, [forAlice]))).toBeNull();
  });

  it('is active only from its start until its end, unless revoked', () => {
    expect(isActiveDelegation(fromAlice(), now)).toBe(true);
    expect(isActiveDelegation(fromAlice(), new Date(now.getTime() + 3_600_000))).toBe(false);
  });
});
