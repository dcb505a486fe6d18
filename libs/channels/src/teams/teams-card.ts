import { type ApprovalSummary } from '@countersign/approvals';
import { MAX_DECISION_REASON } from '@countersign/domain';
import { argumentLines, decidersOf, OUTCOME_TEXT, truncate } from '../slack/slack-message';

/** Adaptive Card elements: plain objects, as the Bot Connector takes them. */
export type CardElement = Record<string, unknown>;
export type AdaptiveCard = { type: 'AdaptiveCard'; $schema: string; version: string; body: CardElement[]; actions?: CardElement[] };

export const ADAPTIVE_CARD_CONTENT_TYPE = 'application/vnd.microsoft.card.adaptive';
/** The verbs of the card's Action.Execute buttons (adaptiveCard/action invokes). */
export const TEAMS_VERBS = ['approve', 'deny'] as const;
export type TeamsVerb = (typeof TEAMS_VERBS)[number];

const MAX_ARG_LINES = 20;
const MAX_VALUE = 300;
const ZWSP = '\u200b';

/**
 * Makes text inert in a TextBlock or FactSet, which Teams renders as Markdown: a zero-width space follows every
 * Markdown character (emphasis, links, lists, headings, code, quotes), `<` (HTML), `{` (the `{{DATE()}}` functions),
 * and breaks URL schemes, dots and `@`, so Teams neither formats nor auto-links an agent's text. Newlines become
 * spaces (no new list item or heading).
 */
export function escapeCardText(text: string): string {
  return text
    .replace(/([*_~`[\]()#>+\-!|<{\\])/g, `$1${ZWSP}`)
    .replace(/:\/\//g, `:${ZWSP}//`)
    .replace(/@/g, `@${ZWSP}`)
    .replace(/\./g, `.${ZWSP}`)
    .replace(/\r?\n|\r/g, ' ');
}

export interface TeamsCardOptions {
  /** Countersign's public URL: the link to the approval in the web app. */
  publicUrl: string;
  kind: 'request' | 'reminder';
}

/**
 * The card about an approval, rendered from the structured action as Slack's DM is (DESIGN.md principle 3): the
 * same summary, args as stored (sensitive values already `[REDACTED]`), every value from the request escaped, the
 * agent's reason labelled as its claim. Approve/Deny (Action.Execute, bound to the approval) and a reason input only
 * for tiers without step-up; a passkey tier gets only a link to the web app. A final approval shows its outcome and
 * no actions.
 */
export function renderApprovalCard(approval: ApprovalSummary, options: TeamsCardOptions): { text: string; card: AdaptiveCard } {
  const link = `${options.publicUrl}/approvals/${approval.id}`;
  const headline = `${options.kind === 'reminder' ? 'Reminder: approval' : 'Approval'} requested (${approval.tier})`;
  const body: CardElement[] = [
    { type: 'TextBlock', text: escapeCardText(truncate(headline, 150)), weight: 'Bolder', size: 'Medium', wrap: true },
    ...contentElements(approval),
  ];
  const actions: CardElement[] = [];
  if (approval.status === 'pending') {
    if (approval.requirement.step_up === 'none') {
      body.push({
        type: 'Input.Text',
        id: 'reason',
        label: 'Reason for a denial (optional; the agent sees it)',
        isMultiline: true,
        maxLength: MAX_DECISION_REASON,
      });
      actions.push(
        {
          type: 'Action.Execute',
          title: 'Approve',
          verb: 'approve',
          style: 'positive',
          associatedInputs: 'none',
          data: { approval_id: approval.id },
        },
        {
          type: 'Action.Execute',
          title: 'Deny',
          verb: 'deny',
          style: 'destructive',
          associatedInputs: 'auto',
          data: { approval_id: approval.id },
        },
        { type: 'Action.OpenUrl', title: 'Open in Countersign', url: link },
      );
    } else {
      body.push(textBlock('This tier needs a passkey confirmation: decide in Countersign.', { isSubtle: true }));
      actions.push({ type: 'Action.OpenUrl', title: 'Review in Countersign', url: link, style: 'positive' });
    }
  } else {
    body.push({ type: 'TextBlock', id: 'outcome', text: outcomeText(approval), weight: 'Bolder', wrap: true });
    actions.push({ type: 'Action.OpenUrl', title: 'Open in Countersign', url: link });
  }
  return {
    text: escapeCardText(`${headline}: ${approval.action.type} on ${approval.action.resource}`),
    card: { type: 'AdaptiveCard', $schema: 'http://adaptivecards.io/schemas/adaptive-card.json', version: '1.4', body, actions },
  };
}

function outcomeText(approval: ApprovalSummary): string {
  const deciders = decidersOf(approval);
  const outcome = OUTCOME_TEXT[approval.status] ?? approval.status;
  if (deciders.length === 0) return escapeCardText(outcome);
  const names = deciders
    .map((decision) => `${decision.person.display_name}${decision.for ? ` for ${decision.for.display_name}` : ''} (${decision.channel})`)
    .join(', ');
  const reason = approval.status === 'denied' && deciders[0].reason ? `: ${truncate(deciders[0].reason, MAX_VALUE)}` : '';
  return escapeCardText(`${outcome} by ${names}${reason}`);
}

function textBlock(text: string, extra: CardElement = {}): CardElement {
  return { type: 'TextBlock', text: escapeCardText(text), wrap: true, ...extra };
}

function contentElements(approval: ApprovalSummary): CardElement[] {
  const lines = argumentLines(approval.action.args);
  const shown = lines.slice(0, MAX_ARG_LINES).map((line) => textBlock(`• ${truncate(line, MAX_VALUE)}`, { spacing: 'None' }));
  if (lines.length > MAX_ARG_LINES) shown.push(textBlock(`• … ${lines.length - MAX_ARG_LINES} more in Countersign`, { spacing: 'None' }));
  const elements: CardElement[] = [
    textBlock(
      `${approval.agent.name} wants to run ${approval.action.type} on ${approval.action.resource} on behalf of ${approval.on_behalf_of.display_name}.`,
    ),
    {
      type: 'FactSet',
      facts: [
        { title: 'Tier', value: escapeCardText(approval.classification.tier) },
        { title: 'Reversibility', value: escapeCardText(approval.classification.reversibility ?? 'unknown') },
        { title: 'Blast radius', value: escapeCardText(approval.classification.blast_radius ?? 'unknown') },
        { title: 'Approvals needed', value: String(approval.requirement.approvals_required) },
      ],
    },
    { type: 'TextBlock', text: 'Arguments (sensitive values redacted)', weight: 'Bolder', wrap: true },
    ...(shown.length > 0 ? shown : [textBlock('none', { isSubtle: true })]),
  ];
  if (approval.binding_message) {
    elements.push({ type: 'TextBlock', text: 'Binding message (the agent shows the same)', weight: 'Bolder', wrap: true });
    elements.push(textBlock(approval.binding_message));
  }
  for (const warning of approval.provenance_warnings) elements.push(textBlock(`⚠ ${warning}`, { color: 'Warning' }));
  if (approval.agent_reason) {
    elements.push(textBlock(approval.agent_reason.label, { weight: 'Bolder' }));
    elements.push(textBlock(truncate(approval.agent_reason.text, MAX_VALUE), { isSubtle: true }));
  }
  // Our own timestamp, in Teams' date functions (the person's locale and time zone).
  const expires = new Date(approval.expires_at).toISOString().replace(/\.\d{3}Z$/, 'Z');
  elements.push({ type: 'TextBlock', text: `Expires {{DATE(${expires}, SHORT)}} {{TIME(${expires})}}`, isSubtle: true, wrap: true });
  return elements;
}
