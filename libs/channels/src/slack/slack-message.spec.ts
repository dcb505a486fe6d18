import { approval } from '../approval-summary.fixture';
import { escapeMrkdwn, renderApprovalMessage } from './slack-message';
import { MAX_PUSH_PAYLOAD_BYTES, pushPayload } from '../web-push/web-push.channel';

describe('Slack messages rendered from the structured action', () => {
  it("shows a CIBA request's binding message, escaped, and no binding block without one", () => {
    const blocks = renderApprovalMessage(approval({ binding_message: 'Code *4711* <!here>' }), {
      publicUrl: 'https://cs.example',
      kind: 'request',
      deliveryId: 'd1',
    }).blocks;
    const binding = JSON.stringify(blocks.find((block) => block.block_id === 'binding_message'));
    expect(binding).toContain('Code *\u200b4711*\u200b');
    expect(binding).toContain('&lt;!here&gt;');
    const without = renderApprovalMessage(approval(), { publicUrl: 'https://cs.example', kind: 'request', deliveryId: 'd1' }).blocks;
    expect(without.find((block) => block.block_id === 'binding_message')).toBeUndefined();
  });

  it('escapes everything an agent controls: no links, mentions or formatting survive', () => {
    const escaped = escapeMrkdwn('<!channel> <@U1> *b* _i_ ~s~ `c` > q https://x.example a@b.c &amp;');
    expect(escaped).not.toMatch(/<|>|\*b\*|_i_|~s~|`c`|https:\/\/|@b/);
    expect(escaped).toContain('&lt;!channel&gt;');
    expect(escaped).toContain('&amp;amp;');
  });

  it('shows tier, reversibility, blast radius, redacted args, provenance warnings and the labelled agent reason, with buttons', () => {
    const { blocks } = renderApprovalMessage(approval(), { publicUrl: 'https://cs.example', kind: 'request', deliveryId: 'd1' });
    const text = JSON.stringify(blocks);
    for (const expected of ['medium', 'compensable', 'team', '[REDACTED]', 'Untrusted provenance', "The agent's own words"])
      expect(text).toContain(expected);
    expect(text).not.toContain('<!everyone>');
    expect(text).not.toContain('<@U123>');
    const actions = blocks.find((block) => block.type === 'actions') as { elements: Array<{ action_id: string }> };
    expect(actions.elements.map((element) => element.action_id)).toEqual(['approve', 'deny', 'open']);
  });

  it('a step-up tier gets only the link to the web app', () => {
    const { blocks } = renderApprovalMessage(
      approval({
        tier: 'high',
        requirement: { approvals_required: 1, approvers: ['on_behalf_of'], step_up: 'passkey', channels: ['slack'] },
      }),
      { publicUrl: 'https://cs.example', kind: 'request', deliveryId: 'd1' },
    );
    const actions = blocks.filter((block) => block.type === 'actions') as Array<{ elements: Array<{ action_id: string; url?: string }> }>;
    expect(actions.flatMap((block) => block.elements)).toEqual([
      expect.objectContaining({ action_id: 'open', url: 'https://cs.example/approvals/6f1c1d52-7d1e-4f7e-9a70-1f1d2b3c4d5e' }),
    ]);
  });

  it('a final approval shows the outcome and who decided, without buttons', () => {
    const decided = approval({
      status: 'denied',
      decisions: [
        {
          person: { id: 'p1', email: 'a@example.com', display_name: 'Alice' },
          for: null,
          verdict: 'deny',
          reason: 'no *way*',
          channel: 'slack',
          step_up: false,
          decided_at: '2026-01-01T00:01:00.000Z',
        },
      ],
    });
    const { blocks } = renderApprovalMessage(decided, { publicUrl: 'https://cs.example', kind: 'request', deliveryId: 'd1' });
    expect(blocks.some((block) => block.type === 'actions')).toBe(false);
    const outcome = blocks.find((block) => block.block_id === 'outcome') as { text: { text: string } };
    expect(outcome.text.text).toBe('*Denied* by Alice (slack): no *\u200bway*\u200b');
  });
});

describe('the web push payload', () => {
  it('carries the opaque id, a generic title and the tier, nothing else', () => {
    const payload = JSON.parse(pushPayload({ id: 'abc', tier: 'high' }, 'request')) as Record<string, unknown>;
    expect(Object.keys(payload).sort()).toEqual(['approval_id', 'tier', 'title', 'type']);
    expect(Buffer.byteLength(JSON.stringify(payload))).toBeLessThan(MAX_PUSH_PAYLOAD_BYTES);
  });
});
