import { approval } from '../approval-summary.fixture';
import { isAllowedServiceUrl } from './teams-bot-framework';
import { escapeCardText, renderApprovalCard } from './teams-card';

const options = { publicUrl: 'https://cs.example', kind: 'request' as const };
const visible = (value: unknown) => JSON.stringify(value).replace(/\u200b/g, '');

describe('Teams Adaptive Cards rendered from the structured action', () => {
  it('makes agent text inert: no Markdown, links, auto-links, HTML, mentions or date functions survive', () => {
    const escaped = escapeCardText(
      '**b** _i_ [x](https://evil.example) # h\n- item <at>U</at> a@b.c {{DATE(2020-01-01T00:00:00Z)}} `c` > q',
    );
    expect(escaped).not.toMatch(/\*\*b|_i_|\[x\]\(|https:\/\/|\n|<at>|@b|\{\{|`c`/);
    // The person still reads the same characters.
    expect(escaped.replace(/\u200b/g, '')).toBe(
      '**b** _i_ [x](https://evil.example) # h - item <at>U</at> a@b.c {{DATE(2020-01-01T00:00:00Z)}} `c` > q',
    );
  });

  it('shows tier, reversibility, blast radius, redacted args, provenance warnings and the labelled agent reason, with Approve/Deny and a reason input', () => {
    const { text, card } = renderApprovalCard(approval(), options);
    const shown = visible(card);
    for (const expected of [
      'medium',
      'compensable',
      'team',
      'token: [REDACTED]',
      'Untrusted provenance: web',
      "The agent's own words",
      'Trust me',
    ])
      expect(shown).toContain(expected);
    expect(JSON.stringify(card)).not.toContain('<https://evil.example|here>');
    expect(JSON.stringify(card)).not.toContain('*win*');
    expect(text.replace(/\u200b/g, '')).toBe('Approval requested (medium): chat.message.send on channel:ops');
    expect(card.version).toBe('1.4');
    expect(card.actions).toEqual([
      expect.objectContaining({ type: 'Action.Execute', verb: 'approve', data: { approval_id: approval().id }, associatedInputs: 'none' }),
      expect.objectContaining({ type: 'Action.Execute', verb: 'deny', data: { approval_id: approval().id } }),
      { type: 'Action.OpenUrl', title: 'Open in Countersign', url: `https://cs.example/approvals/${approval().id}` },
    ]);
    expect(card.body).toContainEqual(expect.objectContaining({ type: 'Input.Text', id: 'reason', maxLength: 1000 }));
  });

  it('a step-up tier gets only the link to the web app', () => {
    const { card } = renderApprovalCard(
      approval({
        tier: 'high',
        requirement: { approvals_required: 1, approvers: ['on_behalf_of'], step_up: 'passkey', channels: ['teams'] },
      }),
      options,
    );
    expect(card.actions).toEqual([
      expect.objectContaining({ type: 'Action.OpenUrl', url: `https://cs.example/approvals/${approval().id}` }),
    ]);
    expect(card.body.filter((element) => String(element.type).startsWith('Input.'))).toEqual([]);
    expect(visible(card)).toContain('passkey');
  });

  it('a final approval shows its outcome, who decided and a denial reason, escaped, without buttons or input', () => {
    const { card } = renderApprovalCard(
      approval({
        status: 'denied',
        decisions: [
          {
            person: { id: 'p1', email: 'a@example.com', display_name: 'Alice *A*' },
            for: null,
            verdict: 'deny',
            reason: 'see [docs](https://evil.example)',
            channel: 'teams',
            fast: false,
            created_at: '2026-01-01T00:01:00.000Z',
          } as never,
        ],
      }),
      options,
    );
    expect(card.actions?.map((action) => action.type)).toEqual(['Action.OpenUrl']);
    expect(card.body.filter((element) => String(element.type).startsWith('Input.'))).toEqual([]);
    const outcome = card.body.find((element) => element.id === 'outcome');
    expect(String(outcome?.text).replace(/\u200b/g, '')).toBe('Denied by Alice *A* (teams): see [docs](https://evil.example)');
    expect(String(outcome?.text)).not.toContain('https://');
  });

  it('a reminder says so', () => {
    expect(visible(renderApprovalCard(approval(), { ...options, kind: 'reminder' }).card.body[0])).toContain(
      'Reminder: approval requested',
    );
  });
});

describe('the Bot Connector service URL allow-list', () => {
  const allowed = ['https://smba.trafficmanager.net/'];
  it('allows service URLs under a listed prefix only', () => {
    expect(isAllowedServiceUrl('https://smba.trafficmanager.net/amer/', allowed)).toBe(true);
    expect(isAllowedServiceUrl('https://smba.trafficmanager.net/emea', allowed)).toBe(true);
    for (const refused of [
      'https://smba.trafficmanager.net.evil.example/amer/',
      'https://evil.example/https://smba.trafficmanager.net/',
      'http://smba.trafficmanager.net/amer/',
      'https://user:pw@smba.trafficmanager.net/amer/',
      'https://smba.trafficmanager.net:8443/amer/',
      'https://smba.trafficmanager.net/amer/?x=1',
      'not a url',
      42,
      undefined,
    ])
      expect({ refused, allowed: isAllowedServiceUrl(refused, allowed) }).toEqual({ refused, allowed: false });
  });
});
