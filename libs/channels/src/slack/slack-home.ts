import { type InboxItem } from '@countersign/approvals';
import { type Block, context, escapeMrkdwn, slackDate, truncate } from './slack-message';

/** Approvals listed in the Home tab (three blocks each; Slack allows 100 blocks in a view). */
export const HOME_MAX_LISTED = 25;
/** Approvals listed in the slash command's answer (a message allows 50 blocks). */
export const REPLY_MAX_LISTED = 10;
/** The slash command's name when the deployment does not name another. */
export const DEFAULT_SLACK_COMMAND = '/countersign';
const MAX_VALUE = 150;

/**
 * What a Slack user's Home tab or command answer shows: their pending approvals (the inbox's first page, and
 * whether it had more), or why nothing is listed.
 */
export type PendingList = { state: 'listed'; approvals: InboxItem[]; more: boolean } | { state: 'not_linked' } | { state: 'disabled' };

export interface HomeRenderOptions {
  /** Countersign's public URL: each approval's page and the inbox are there. */
  publicUrl: string;
  /** The slash command's name, for the help text. */
  command: string;
}

const NOT_LINKED =
  'Your Slack account is not linked to a Countersign account, so no approvals are listed here. ' +
  'Countersign links you when it first sends you a request, or an admin can link you.';
const DISABLED = 'Your Countersign account is not active, so no approvals are listed here.';
const EMPTY = 'Nothing waits for your decision. New requests appear here and in your direct messages from Countersign.';

/**
 * The Home tab (`views.publish`): the person's pending approvals, each rendered by Countersign from the inbox's
 * structured fields with every value escaped (the DM's rules), with a link to its page in the web app. Nothing
 * here decides: there are no buttons, and the page asks for sign-in (and a passkey where the tier needs one).
 */
export function renderHomeView(list: PendingList, options: HomeRenderOptions): { type: 'home'; blocks: Block[] } {
  const blocks: Block[] = [{ type: 'header', text: { type: 'plain_text', text: 'Your pending approvals' } }];
  blocks.push(...listBlocks(list, options, HOME_MAX_LISTED));
  blocks.push(
    context(`Type \`${escapeMrkdwn(options.command)}\` in any conversation for this list. Updated ${slackDate(new Date().toISOString())}.`),
  );
  return { type: 'home', blocks };
}

/** The slash command's answer (only the person sees it): the list, or the usage for `help` and anything else. */
export function renderCommandReply(
  list: PendingList | 'help' | 'unknown',
  options: HomeRenderOptions,
): { response_type: 'ephemeral'; text: string; blocks?: Block[] } {
  if (list === 'help' || list === 'unknown') {
    const usage =
      `\`${escapeMrkdwn(options.command)}\` lists the approvals waiting for your decision, with links to decide them in Countersign. ` +
      `\`${escapeMrkdwn(options.command)} help\` shows this.`;
    return { response_type: 'ephemeral', text: list === 'unknown' ? `Unknown option. ${usage}` : usage };
  }
  return { response_type: 'ephemeral', text: summaryText(list), blocks: listBlocks(list, options, REPLY_MAX_LISTED) };
}

function summaryText(list: PendingList): string {
  if (list.state === 'not_linked') return NOT_LINKED;
  if (list.state === 'disabled') return DISABLED;
  const count = list.approvals.length;
  if (count === 0) return EMPTY;
  return `${count}${list.more ? '+' : ''} approval${count === 1 && !list.more ? '' : 's'} waiting for your decision.`;
}

function listBlocks(list: PendingList, options: HomeRenderOptions, max: number): Block[] {
  if (list.state !== 'listed' || list.approvals.length === 0)
    return [{ type: 'section', text: { type: 'mrkdwn', text: summaryText(list) } }];
  const blocks: Block[] = [{ type: 'section', text: { type: 'mrkdwn', text: summaryText(list) } }];
  for (const approval of list.approvals.slice(0, max)) blocks.push(...approvalBlocks(approval, options.publicUrl));
  const left = list.approvals.length - max;
  if (left > 0 || list.more)
    blocks.push(
      context(`…and ${Math.max(left, 0)}${list.more ? '+' : ''} more: <${options.publicUrl}/inbox|see them all in your Countersign inbox>`),
    );
  return blocks;
}

function approvalBlocks(approval: InboxItem, publicUrl: string): Block[] {
  const value = (text: string) => escapeMrkdwn(truncate(text, MAX_VALUE));
  const stepUp = approval.step_up === 'none' ? '' : ' · needs a passkey';
  return [
    { type: 'divider' },
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text:
          `*${value(approval.agent.name)}* wants to run *${value(approval.action.type)}* on *${value(approval.action.resource)}* ` +
          `on behalf of ${value(approval.on_behalf_of.display_name)}.`,
      },
    },
    context(
      `Tier *${value(approval.tier)}*${stepUp} · Expires ${slackDate(approval.expires_at)} · ` +
        `<${publicUrl}/approvals/${encodeURIComponent(approval.id)}|Review in Countersign>`,
    ),
  ];
}
