import { type InboxItem } from '@countersign/approvals';
import { HOME_MAX_LISTED, renderCommandReply, renderHomeView, REPLY_MAX_LISTED } from './slack-home';

const options = { publicUrl: 'https://cs.example', command: '/countersign' };

/** An inbox line with hostile text in every field an agent or a directory controls. */
const item = (overrides: Partial<InboxItem> = {}): InboxItem => ({
  id: '6f1c1d52-7d1e-4f7e-9a70-1f1d2b3c4d5e',
  status: 'pending',
  tier: 'medium',
  action: { type: 'chat.message.send', resource: '<!channel> *bold* <https://evil.example|x>' },
  agent: { name: 'bot_*x* <@U123>' },
  on_behalf_of: { id: 'p1', email: 'a@example.com', display_name: 'Alice `code` ~s~' },
  step_up: 'none',
  created_at: '2026-01-01T00:00:00.000Z',
  expires_at: '2026-01-01T00:30:00.000Z',
  ...overrides,
});

const many = (count: number) =>
  Array.from({ length: count }, (_, index) => item({ id: `00000000-0000-4000-8000-${String(index).padStart(12, '0')}` }));

type Block = { type: string; text?: { text: string }; elements?: Array<{ text: string }> };
const texts = (blocks: unknown[]) =>
  (blocks as Block[]).flatMap((block) => [block.text?.text ?? '', ...(block.elements ?? []).map((element) => element.text)]).join('\n');

describe('the Slack Home tab and the slash command answer', () => {
  it('lists each pending approval: agent, action, resource, on whose behalf, tier, expiry and the link to its page', () => {
    const view = renderHomeView({ state: 'listed', approvals: [item({ tier: 'high', step_up: 'passkey' })], more: false }, options);
    expect(view.type).toBe('home');
    const text = texts(view.blocks);
    expect(text).toContain('1 approval waiting for your decision.');
    expect(text).toContain('Tier *high* · needs a passkey');
    expect(text).toContain('<!date^1767227400^{date_short_pretty} {time}|2026-01-01T00:30:00.000Z>');
    expect(text).toContain('<https://cs.example/approvals/6f1c1d52-7d1e-4f7e-9a70-1f1d2b3c4d5e|Review in Countersign>');
    expect(text).toContain('chat.\u200bmessage.\u200bsend');
  });

  it('escapes what an agent controls: no mention, broadcast, link or formatting survives', () => {
    const text = texts(renderHomeView({ state: 'listed', approvals: [item()], more: false }, options).blocks);
    expect(text).not.toMatch(/<!channel>|<@U123>|<https:\/\/evil|\*bold\*|bot_\*x\*|`code`|~s~/);
    expect(text).toContain('&lt;!channel&gt;');
    expect(text).toContain('&lt;@\u200bU123&gt;');
    expect(text).toContain('&lt;https:\u200b//evil.\u200bexample|\u200bx&gt;');
    expect(text).toContain('*\u200bbold*\u200b');
    // The only links are Countersign's own: the approval's page (and Slack's date formatting).
    const links = [...text.matchAll(/<([^>]*)>/g)].map((match) => match[1]);
    expect(links.every((link) => link.startsWith('https://cs.example/') || link.startsWith('!date^'))).toBe(true);
  });

  it('shows no arguments at all (so nothing marked sensitive), and no button that could decide', () => {
    const reply = renderCommandReply({ state: 'listed', approvals: [item()], more: false }, options);
    const json = JSON.stringify(reply) + JSON.stringify(renderHomeView({ state: 'listed', approvals: [item()], more: false }, options));
    expect(json).not.toMatch(/REDACTED|args|"actions"|"button"|approve|"deny"/i);
  });

  it('caps the list under Slack limits and says how many more there are, with the inbox link', () => {
    const home = renderHomeView({ state: 'listed', approvals: many(40), more: false }, options);
    expect(home.blocks.length).toBeLessThanOrEqual(100);
    expect(texts(home.blocks).match(/Review in Countersign/g)).toHaveLength(HOME_MAX_LISTED);
    expect(texts(home.blocks)).toContain(
      `…and ${40 - HOME_MAX_LISTED} more: <https://cs.example/inbox|see them all in your Countersign inbox>`,
    );

    const full = renderHomeView({ state: 'listed', approvals: many(100), more: true }, options);
    expect(full.blocks.length).toBeLessThanOrEqual(100);
    expect(texts(full.blocks)).toContain('100+ approvals waiting');
    expect(texts(full.blocks)).toContain(`…and ${100 - HOME_MAX_LISTED}+ more`);

    const reply = renderCommandReply({ state: 'listed', approvals: many(100), more: false }, options);
    expect(reply.blocks!.length).toBeLessThanOrEqual(50);
    expect(texts(reply.blocks!).match(/Review in Countersign/g)).toHaveLength(REPLY_MAX_LISTED);
    expect(texts(reply.blocks!)).toContain(`…and ${100 - REPLY_MAX_LISTED} more`);
    expect(reply.text).toBe('100 approvals waiting for your decision.');

    expect(texts(renderHomeView({ state: 'listed', approvals: many(3), more: false }, options).blocks)).not.toContain('more:');
  });

  it('has an empty state, and says why nothing is listed for someone unlinked or disabled', () => {
    expect(texts(renderHomeView({ state: 'listed', approvals: [], more: false }, options).blocks)).toContain(
      'Nothing waits for your decision',
    );
    const unlinked = renderHomeView({ state: 'not_linked' }, options);
    expect(texts(unlinked.blocks)).toContain('not linked to a Countersign account');
    expect(texts(unlinked.blocks)).not.toContain('Review in Countersign');
    expect(renderCommandReply({ state: 'disabled' }, options)).toEqual({
      response_type: 'ephemeral',
      text: expect.stringContaining('not active') as string,
      blocks: [expect.objectContaining({ type: 'section' })],
    });
  });

  it('answers help with the usage, and anything else with the usage after saying it is unknown', () => {
    const help = renderCommandReply('help', { ...options, command: '/approvals' });
    expect(help).toEqual({ response_type: 'ephemeral', text: expect.stringContaining('`/approvals help`') as string });
    const unknown = renderCommandReply('unknown', options);
    expect(unknown.text).toMatch(/^Unknown option\. `\/countersign` lists/);
    expect(unknown.blocks).toBeUndefined();
  });
});
