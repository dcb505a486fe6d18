import { loadTaxonomy } from './taxonomy-compiler';
import { ReplayComparison, replayRelaxes, type RecordedApproval } from './taxonomy-replay';
import { SAMPLE_TAXONOMY_YAML, newClassificationInput, sampleWithLine } from './taxonomy.fixture';
import type { Tier } from './tiers';

const recordedUnder = (text: string) => {
  const taxonomy = loadTaxonomy(text);
  let next = 0;
  return (type: string, args: Record<string, unknown> = {}, provenance: string[] = ['user']): RecordedApproval => {
    const input = newClassificationInput({ type, args, provenance });
    const classification = taxonomy.classify(input);
    const { decision, approvals_required, step_up } = classification.requirement;
    return {
      id: `approval-${next++}`,
      createdAt: new Date('2026-11-01T00:00:00Z'),
      input,
      recorded: { tier: classification.tier, decision, approvals_required, step_up, rule: classification.rule },
    };
  };
};

const replay = (candidate: string, approvals: RecordedApproval[]) => {
  const comparison = new ReplayComparison(loadTaxonomy(candidate));
  approvals.forEach((approval) => comparison.add(approval));
  return comparison.result();
};

describe('ReplayComparison', () => {
  const record = recordedUnder(SAMPLE_TAXONOMY_YAML);
  const history = [
    record('payments.transfer', { amount: 50 }), // medium
    record('payments.transfer', { amount: 5000 }), // critical
    record('payments.refund', { amount: 5 }), // high (payments.*)
    record('chat.send', { channel: '#general' }), // low
    record('email.send'), // high
  ];

  it('changes nothing when the candidate is the recorded taxonomy', () => {
    const report = replay(SAMPLE_TAXONOMY_YAML, history);
    expect(report).toMatchObject({ replayed: 5, unchanged: 5, tier_up: 0, tier_down: 0, less_strict: 0, more_strict: 0, moves: {} });
    expect(replayRelaxes(report)).toBe(false);
  });

  it('counts tiers moving up, newly forbidden actions, with examples, and lets a stricter candidate through the guard', () => {
    const stricter = sampleWithLine(26, 'double(args.amount) >= 100000.0', 'double(args.amount) >= 1000.0').replace(
      'email.*"\n    reversibility: irreversible\n    blast_radius: team',
      'email.*"\n    reversibility: irreversible\n    blast_radius: external',
    );
    const report = replay(stricter, history);
    expect(report).toMatchObject({
      replayed: 5,
      unchanged: 3,
      tier_up: 2,
      tier_down: 0,
      newly_forbidden: 1,
      more_strict: 2,
      less_strict: 0,
      moves: { 'critical -> forbidden': 1, 'high -> critical': 1 },
    });
    expect(report.examples.newly_forbidden).toEqual([
      expect.objectContaining({
        approval_id: 'approval-1',
        action_type: 'payments.transfer',
        agent: 'Billing bot',
        before: { tier: 'critical', decision: 'approve', rule: 'payments.transfer' },
        after: expect.objectContaining({ tier: 'forbidden', decision: 'deny', rule: 'payments.transfer#rules[1]' }),
      }),
    ]);
    expect(replayRelaxes(report)).toBe(false);
  });

  it('counts actions that needed a person and are now automatic, and the guard stops them', () => {
    const relaxed = sampleWithLine(24, 'tier: medium', 'tier: low');
    const report = replay(relaxed, history);
    expect(report).toMatchObject({ tier_down: 1, human_to_auto: 1, less_strict: 1, moves: { 'medium -> low': 1 } });
    expect(report.examples.human_to_auto[0]).toMatchObject({
      approval_id: 'approval-0',
      before: { tier: 'medium', decision: 'approve' },
      after: { tier: 'low', decision: 'auto_approve' },
    });
    expect(replayRelaxes(report)).toBe(true);
  });

  it('catches a relaxation that keeps the tier: a dropped passkey or fewer approvals', () => {
    const noPasskey = SAMPLE_TAXONOMY_YAML.replace(
      'critical:  { decision: approve, approvals: 2, approvers: [on_behalf_of, "role:admin"], step_up: passkey',
      'critical:  { decision: approve, approvals: 2, approvers: [on_behalf_of, "role:admin"], step_up: none',
    );
    const report = replay(noPasskey, history);
    expect(report).toMatchObject({ tier_up: 0, tier_down: 0, less_strict: 1, unchanged: 4 });
    expect(report.examples.less_strict[0]).toMatchObject({
      approval_id: 'approval-1',
      before: { tier: 'critical' },
      after: { tier: 'critical' },
    });
    expect(replayRelaxes(report)).toBe(true);
  });

  it('keeps untrusted provenance in the replay: the raise applies under the candidate too', () => {
    const raised = record('chat.send', { channel: '#general' }, ['web_page']);
    expect(raised.recorded.tier).toBe<Tier>('medium');
    expect(replay(SAMPLE_TAXONOMY_YAML, [raised])).toMatchObject({ unchanged: 1 });
  });

  it('keeps at most five examples per category', () => {
    const many = Array.from({ length: 12 }, () => record('payments.transfer', { amount: 50 }));
    const report = replay(sampleWithLine(24, 'tier: medium', 'tier: low'), many);
    expect(report.human_to_auto).toBe(12);
    expect(report.examples.human_to_auto).toHaveLength(5);
  });
});
