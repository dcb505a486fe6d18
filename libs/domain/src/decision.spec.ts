import { randomBytes } from 'node:crypto';
import { isEligibleApprover, isFastDecision, outcomeOf, stepUpChallenge } from './decision';

const alice = { id: '11111111-1111-4111-8111-111111111111', email: 'alice@example.com', role: 'approver' };
const bob = { id: '22222222-2222-4222-8222-222222222222', email: 'bob@example.com', role: 'admin' };

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

  it('group:<name> matches nobody yet, and an empty list nobody at all', () => {
    expect(isEligibleApprover(alice, alice.id, ['group:finance'])).toBe(false);
    expect(isEligibleApprover(alice, alice.id, [])).toBe(false);
  });

  it('a role name is not a prefix match', () => {
    expect(isEligibleApprover({ ...alice, role: 'admin' }, bob.id, ['role:admins'])).toBe(false);
  });
});

describe('outcomeOf (quorum)', () => {
  it('stays pending until enough distinct people approve', () => {
    expect(outcomeOf([{ personId: alice.id, verdict: 'approve' }], 2)).toBe('pending');
    expect(outcomeOf([{ personId: alice.id, verdict: 'approve' }, { personId: bob.id, verdict: 'approve' }], 2)).toBe('approved');
  });

  it('counts a person once however often they appear', () => {
    expect(outcomeOf([{ personId: alice.id, verdict: 'approve' }, { personId: alice.id, verdict: 'approve' }], 2)).toBe('pending');
  });

  it('any deny decides denied, even after enough approvals', () => {
    expect(outcomeOf([{ personId: alice.id, verdict: 'approve' }, { personId: bob.id, verdict: 'deny' }], 1)).toBe('denied');
  });

  it('a requirement of zero approvals still needs one person', () => {
    expect(outcomeOf([], 0)).toBe('pending');
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

  it('takes a tier\'s own threshold; 0 flags nothing', () => {
    const shown = new Date('2026-01-01T00:00:00Z');
    expect(isFastDecision(shown, new Date(shown.getTime() + 4_999), 5_000)).toBe(true);
    expect(isFastDecision(shown, new Date(shown.getTime() + 5_000), 5_000)).toBe(false);
    expect(isFastDecision(shown, shown, 0)).toBe(false);
  });
});
