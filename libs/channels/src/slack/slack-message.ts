import { type ApprovalSummary } from '@countersign/approvals';

/** Block Kit blocks: plain objects, as Slack's Web API takes them. */
export type Block = Record<string, unknown>;

const MAX_ARG_LINES = 20;
const MAX_VALUE = 300;
const ZWSP = '\u200b';

/**
 * Makes any text inert in mrkdwn: `&`, `<`, `>` become entities (no links, mentions or `<!channel>`), and a
 * zero-width space follows every formatting character and breaks URL schemes and `@`, so an agent's text cannot
 * become bold, code, a strike-through, a quote, an auto-link or a mention.
 */
export function escapeMrkdwn(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/([*_~`|])/g, `$1${ZWSP}`)
    .replace(/:\/\//g, `:${ZWSP}//`)
    .replace(/@/g, `@${ZWSP}`)
    .replace(/\./g, `.${ZWSP}`)
    .replace(/\r?\n/g, ' ');
}

export function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** Flattens args to `path: value` lines (sensitive values arrive already redacted from storage). */
export function argumentLines(args: Record<string, unknown>, prefix = ''): string[] {
  const lines: string[] = [];
  for (const [key, value] of Object.entries(args)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (value !== null && typeof value === 'object' && !Array.isArray(value))
      lines.push(...argumentLines(value as Record<string, unknown>, path));
    else lines.push(`${path}: ${typeof value === 'string' ? value : JSON.stringify(value)}`);
  }
  return lines;
}

export const OUTCOME_TEXT: Record<string, string> = {
  approved: 'Approved',
  denied: 'Denied',
  expired: 'Expired without a decision',
  cancelled: 'Cancelled by the agent',
};

export interface SlackMessageOptions {
  /** Countersign's public URL: the link to the approval in the web app. */
  publicUrl: string;
  kind: 'request' | 'reminder';
  deliveryId: string;
}

/**
 * The DM about an approval, rendered by Countersign from the structured action (DESIGN.md principle 3). Every
 * value from the request is escaped; the agent's reason is quoted and labelled as its claim. Approve/Deny
 * buttons only for tiers without step-up: a passkey tier gets a link to the web app instead.
 */
export function renderApprovalMessage(approval: ApprovalSummary, options: SlackMessageOptions): { text: string; blocks: Block[] } {
  const link = `${options.publicUrl}/approvals/${approval.id}`;
  const headline = `${options.kind === 'reminder' ? 'Reminder: approval' : 'Approval'} requested (${approval.tier})`;
  const blocks: Block[] = [{ type: 'header', text: { type: 'plain_text', text: truncate(headline, 150) } }, ...contentBlocks(approval)];
  if (approval.status === 'pending') {
    blocks.push(
      approval.requirement.step_up === 'none'
        ? {
            type: 'actions',
            block_id: `decide:${approval.id}`,
            elements: [
              { type: 'button', action_id: 'approve', style: 'primary', text: { type: 'plain_text', text: 'Approve' }, value: approval.id },
              { type: 'button', action_id: 'deny', style: 'danger', text: { type: 'plain_text', text: 'Deny' }, value: approval.id },
              { type: 'button', action_id: 'open', text: { type: 'plain_text', text: 'Open in Countersign' }, url: link },
            ],
          }
        : {
            type: 'actions',
            block_id: `review:${approval.id}`,
            elements: [
              {
                type: 'button',
                action_id: 'open',
                style: 'primary',
                text: { type: 'plain_text', text: 'Review in Countersign' },
                url: link,
              },
            ],
          },
    );
    if (approval.requirement.step_up !== 'none') blocks.push(context(`This tier needs a passkey confirmation: decide in Countersign.`));
  } else {
    blocks.push({
      type: 'section',
      block_id: 'outcome',
      text: { type: 'mrkdwn', text: `*${OUTCOME_TEXT[approval.status] ?? approval.status}*${outcomeBy(approval)}` },
    });
  }
  return { text: escapeMrkdwn(`${headline}: ${approval.action.type} on ${approval.action.resource}`), blocks };
}

/** Who made a final approval final: the approvers (or the one who denied); none for expired or cancelled ones. */
export function decidersOf(approval: ApprovalSummary): ApprovalSummary['decisions'] {
  if (approval.status !== 'approved' && approval.status !== 'denied') return [];
  return approval.decisions.filter((decision) =>
    approval.status === 'approved' ? decision.verdict === 'approve' : decision.verdict === 'deny',
  );
}

function outcomeBy(approval: ApprovalSummary): string {
  const deciders = decidersOf(approval);
  if (deciders.length === 0) return '';
  const names = deciders
    .map(
      (decision) =>
        `${escapeMrkdwn(decision.person.display_name)}${decision.for ? ` for ${escapeMrkdwn(decision.for.display_name)}` : ''} (${decision.channel})`,
    )
    .join(', ');
  const reason = approval.status === 'denied' && deciders[0].reason ? `: ${escapeMrkdwn(truncate(deciders[0].reason, MAX_VALUE))}` : '';
  return ` by ${names}${reason}`;
}

export function context(text: string): Block {
  return { type: 'context', elements: [{ type: 'mrkdwn', text }] };
}

/** A time as Slack shows it in the reader's own time zone (the ISO text where a client cannot). */
export function slackDate(iso: string): string {
  return `<!date^${Math.floor(new Date(iso).getTime() / 1000)}^{date_short_pretty} {time}|${iso}>`;
}

function contentBlocks(approval: ApprovalSummary): Block[] {
  const lines = argumentLines(approval.action.args);
  const shown = lines.slice(0, MAX_ARG_LINES).map((line) => `• ${escapeMrkdwn(truncate(line, MAX_VALUE))}`);
  if (lines.length > MAX_ARG_LINES) shown.push(`• … ${lines.length - MAX_ARG_LINES} more in Countersign`);
  const blocks: Block[] = [
    {
      type: 'section',
      block_id: 'summary',
      text: {
        type: 'mrkdwn',
        text: `*${escapeMrkdwn(approval.agent.name)}* wants to run *${escapeMrkdwn(approval.action.type)}* on *${escapeMrkdwn(approval.action.resource)}* on behalf of ${escapeMrkdwn(approval.on_behalf_of.display_name)}.`,
      },
      fields: [
        { type: 'mrkdwn', text: `*Tier*\n${escapeMrkdwn(approval.classification.tier)}` },
        { type: 'mrkdwn', text: `*Reversibility*\n${escapeMrkdwn(approval.classification.reversibility ?? 'unknown')}` },
        { type: 'mrkdwn', text: `*Blast radius*\n${escapeMrkdwn(approval.classification.blast_radius ?? 'unknown')}` },
        { type: 'mrkdwn', text: `*Approvals needed*\n${approval.requirement.approvals_required}` },
      ],
    },
    {
      type: 'section',
      block_id: 'args',
      text: { type: 'mrkdwn', text: `*Arguments* (sensitive values redacted)\n${shown.length > 0 ? shown.join('\n') : '_none_'}` },
    },
  ];
  if (approval.binding_message)
    blocks.push({
      type: 'section',
      block_id: 'binding_message',
      text: { type: 'mrkdwn', text: `*Binding message* (the agent shows the same)\n> ${escapeMrkdwn(approval.binding_message)}` },
    });
  for (const warning of approval.provenance_warnings)
    blocks.push({
      type: 'section',
      block_id: `provenance:${blocks.length}`,
      text: { type: 'mrkdwn', text: `:warning: ${escapeMrkdwn(warning)}` },
    });
  if (approval.agent_reason) {
    blocks.push({
      type: 'section',
      block_id: 'agent_reason',
      text: {
        type: 'mrkdwn',
        text: `*${escapeMrkdwn(approval.agent_reason.label)}*\n> ${escapeMrkdwn(truncate(approval.agent_reason.text, MAX_VALUE))}`,
      },
    });
  }
  blocks.push(context(`Expires ${slackDate(approval.expires_at)}`));
  return blocks;
}
