import { approval } from '../approval-summary.fixture';
import { inert, renderApprovalEmail, renderOutcomeEmail } from './email-message';

const options = { publicUrl: 'https://cs.example', kind: 'request' as const };
const hrefs = (html: string) => [...html.matchAll(/href="([^"]*)"/g)].map((match) => match[1]);

describe('approval mails rendered from the structured action', () => {
  it('escapes every value an agent controls in the HTML part; the only link is the approval page', () => {
    const mail = renderApprovalEmail(
      approval({
        action: { type: 'x.<b>', resource: 'r:"><script>', args: { text: '<img src=x onerror=alert(1)>', secret: '[REDACTED]' } },
        agent: { name: '<a href="https://evil.example">bot</a>' },
        binding_message: "Code 4711 <i>'",
      }),
      options,
    );
    expect(mail.html).not.toMatch(/<script|<img|<i>|<b>|<a href="https:\/\/evil/);
    expect(mail.html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(mail.html).toContain('Code 4711 &lt;i&gt;&#39;');
    expect(hrefs(mail.html)).toEqual(['https://cs.example/approvals/6f1c1d52-7d1e-4f7e-9a70-1f1d2b3c4d5e']);
    expect(mail.text).toContain('secret: [REDACTED]');
  });

  it('breaks URLs and addresses from the request so mail clients cannot link them', () => {
    expect(inert('see https://evil.example/x or mail a@b.example')).toBe(
      'see https:\u200b//evil.\u200bexample/x or mail a@\u200bb.\u200bexample',
    );
    const mail = renderApprovalEmail(
      approval({ action: { type: 't', resource: 'r', args: { link: 'https://evil.example/approve' } } }),
      options,
    );
    expect(`${mail.text}\n${mail.html}`).not.toContain('https://evil.example');
    expect(mail.text.match(/https?:\/\/\S+/g)).toEqual(['https://cs.example/approvals/6f1c1d52-7d1e-4f7e-9a70-1f1d2b3c4d5e']);
  });

  it('keeps the subject on one line whatever the action says', () => {
    const mail = renderApprovalEmail(approval({ action: { type: 'a\r\nBcc: eve@example.com', resource: 'r\nX: y', args: {} } }), options);
    expect(mail.subject).not.toMatch(/[\r\n]/);
    expect(mail.subject.startsWith('[Countersign] Approval requested (medium): ')).toBe(true);
  });

  it('says how to decide: sign in, and the passkey for a step-up tier; a reminder says it is one', () => {
    expect(renderApprovalEmail(approval(), options).text).toContain('open the approval in Countersign and sign in.');
    const stepUp = renderApprovalEmail(
      approval({ requirement: { approvals_required: 1, approvers: ['on_behalf_of'], step_up: 'passkey', channels: ['email'] } }),
      { ...options, kind: 'reminder' },
    );
    expect(stepUp.text).toContain('confirm with your passkey');
    expect(stepUp.subject.startsWith('[Countersign] Reminder: approval requested')).toBe(true);
  });

  it('an outcome mail names the outcome, who decided and why, escaped', () => {
    const decided = approval({
      status: 'denied',
      decisions: [
        {
          person: { id: 'p1', email: 'a@example.com', display_name: 'Alice <b>' },
          for: null,
          verdict: 'deny',
          reason: 'no <script>',
          channel: 'web',
          step_up: false,
          decided_at: '2026-01-01T00:01:00.000Z',
        },
      ],
    });
    const mail = renderOutcomeEmail(decided, 'https://cs.example');
    expect(mail.subject).toBe('[Countersign] Denied: chat.\u200bmessage.\u200bsend on channel:ops');
    expect(mail.text).toContain('is final: denied by Alice <b> (web)');
    expect(mail.text).toContain('no <script>');
    expect(mail.html).toContain('Alice &lt;b&gt;');
    expect(mail.html).not.toContain('<script');
  });

  it('an outcome decided through a delegation names both people, as Slack does', () => {
    const decided = approval({
      status: 'approved',
      decisions: [
        {
          person: { id: 'p2', email: 'b@example.com', display_name: 'Bob' },
          for: { id: 'p1', email: 'a@example.com', display_name: 'Alice' },
          verdict: 'approve',
          reason: null,
          channel: 'web',
          step_up: false,
          decided_at: '2026-01-01T00:01:00.000Z',
        },
      ],
    });
    expect(renderOutcomeEmail(decided, 'https://cs.example').text).toContain('is final: approved by Bob for Alice (web)');
  });
});
