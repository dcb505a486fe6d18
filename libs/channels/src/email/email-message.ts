import { type ApprovalSummary } from '@countersign/approvals';
import { escapeHtml, headerLine } from '@countersign/domain';
import { argumentLines, decidersOf, OUTCOME_TEXT, truncate } from '../slack/slack-message';

const MAX_ARG_LINES = 20;
const MAX_VALUE = 300;
const MAX_SUBJECT = 200;
const ZWSP = '\u200b';

/**
 * Slack's rule for text from a request, in mail: a zero-width space after `://`, `.` and `@` keeps mail clients from
 * turning an agent's text into a link or an address (escaping alone does not: clients link bare URLs). The only
 * link in a mail is ours, to the approval's page. Applied before HTML escaping.
 */
export function inert(text: string): string {
  return text.replace(/:\/\//g, `:${ZWSP}//`).replace(/([.@])/g, `$1${ZWSP}`);
}

/** A rendered mail: subject, plain text and HTML, the same content in each. */
export interface EmailContent {
  subject: string;
  text: string;
  html: string;
}

export interface EmailMessageOptions {
  /** Countersign's public URL: the link to the approval page in the web app. */
  publicUrl: string;
  kind: 'request' | 'reminder';
}

/** The approval's page in the web app: it needs a session (and a passkey for step-up tiers) to decide. */
export function approvalPageUrl(publicUrl: string, approvalId: string): string {
  return `${publicUrl}/approvals/${encodeURIComponent(approvalId)}`;
}

/** One labelled row of the mail (a label we wrote, a value from the request). */
type Row = { label: string; value: string };

/**
 * The mail about a pending approval, rendered by Countersign from the structured action (DESIGN.md principle 3),
 * with Slack's rules: sensitive args arrive redacted from storage, every value from the request is escaped (HTML
 * part) or sent as plain text (text part), the agent's reason is labelled as its claim. There is nothing to click
 * but the approval's page: no approve or deny link, and no token of any kind, so a reader of the mail (a forwarded
 * copy, a shared mailbox) can only sign in like anyone else.
 */
export function renderApprovalEmail(approval: ApprovalSummary, options: EmailMessageOptions): EmailContent {
  const link = approvalPageUrl(options.publicUrl, approval.id);
  const reminder = options.kind === 'reminder';
  const headline = `${reminder ? 'Reminder: approval' : 'Approval'} requested (${approval.tier})`;
  const intro = inert(
    `${approval.agent.name} wants to run ${approval.action.type} on ${approval.action.resource} on behalf of ${approval.on_behalf_of.display_name}.`,
  );
  const rows: Row[] = [
    { label: 'Tier', value: inert(approval.classification.tier) },
    { label: 'Reversibility', value: inert(approval.classification.reversibility ?? 'unknown') },
    { label: 'Blast radius', value: inert(approval.classification.blast_radius ?? 'unknown') },
    { label: 'Approvals needed', value: String(approval.requirement.approvals_required) },
    { label: 'Expires', value: approval.expires_at },
  ];
  const args = argumentList(approval).map(inert);
  const notes: Row[] = [];
  if (approval.binding_message) notes.push({ label: 'Binding message (the agent shows the same)', value: inert(approval.binding_message) });
  for (const warning of approval.provenance_warnings) notes.push({ label: 'Warning', value: inert(warning) });
  if (approval.agent_reason)
    notes.push({ label: approval.agent_reason.label, value: inert(truncate(approval.agent_reason.text, MAX_VALUE)) });
  const how =
    approval.requirement.step_up === 'none'
      ? 'To decide, open the approval in Countersign and sign in.'
      : 'To decide, open the approval in Countersign, sign in and confirm with your passkey (this tier needs it).';
  const never = 'This mail cannot approve or deny anything by itself.';

  const text = [
    headline,
    '',
    intro,
    '',
    ...rows.map((row) => `${row.label}: ${row.value}`),
    '',
    'Arguments (sensitive values redacted):',
    ...(args.length > 0 ? args.map((line) => `  - ${line}`) : ['  (none)']),
    ...notes.flatMap((note) => ['', `${note.label}:`, `  ${note.value.replace(/\r?\n/g, '\n  ')}`]),
    '',
    how,
    link,
    '',
    never,
  ].join('\n');

  const html = page(headline, [
    `<p>${escapeHtml(intro)}</p>`,
    table(rows),
    `<p><strong>Arguments</strong> (sensitive values redacted)</p>`,
    args.length > 0 ? `<ul>${args.map((line) => `<li>${escapeHtml(line)}</li>`).join('')}</ul>` : '<p><em>none</em></p>',
    ...notes.map((note) => `<p><strong>${escapeHtml(note.label)}</strong></p><blockquote>${multiline(note.value)}</blockquote>`),
    `<p>${escapeHtml(how)}</p>`,
    `<p><a href="${escapeHtml(link)}">Review in Countersign</a></p>`,
    `<p><small>${escapeHtml(never)}</small></p>`,
  ]);
  return { subject: subject(`${headline}: ${inert(approval.action.type)} on ${inert(approval.action.resource)}`), text, html };
}

/**
 * The mail that tells an approver the approval is final, and who decided: email cannot edit a sent message as Slack
 * does, so the outcome follows as a reply in the same thread (In-Reply-To the request's Message-ID).
 */
export function renderOutcomeEmail(approval: ApprovalSummary, publicUrl: string): EmailContent {
  const link = approvalPageUrl(publicUrl, approval.id);
  const outcome = OUTCOME_TEXT[approval.status] ?? approval.status;
  const deciders = decidersOf(approval);
  const by = deciders
    .map(
      (decision) =>
        `${inert(decision.person.display_name)}${decision.for ? ` for ${inert(decision.for.display_name)}` : ''} (${decision.channel})`,
    )
    .join(', ');
  const reason = approval.status === 'denied' && deciders[0]?.reason ? inert(truncate(deciders[0].reason, MAX_VALUE)) : null;
  const headline = `${outcome}: ${inert(approval.action.type)} on ${inert(approval.action.resource)}`;
  const lines = [
    `The approval requested by ${inert(approval.agent.name)} on behalf of ${inert(approval.on_behalf_of.display_name)} is final: ${outcome.toLowerCase()}${by ? ` by ${by}` : ''}.`,
  ];
  const text = [headline, '', ...lines, ...(reason ? ['', 'Reason:', `  ${reason}`] : []), '', 'Details in Countersign:', link].join('\n');
  const html = page(headline, [
    ...lines.map((line) => `<p>${escapeHtml(line)}</p>`),
    ...(reason ? [`<p><strong>Reason</strong></p><blockquote>${multiline(reason)}</blockquote>`] : []),
    `<p><a href="${escapeHtml(link)}">Details in Countersign</a></p>`,
  ]);
  return { subject: subject(headline), text, html };
}

function argumentList(approval: ApprovalSummary): string[] {
  const lines = argumentLines(approval.action.args);
  const shown = lines.slice(0, MAX_ARG_LINES).map((line) => truncate(line, MAX_VALUE));
  if (lines.length > MAX_ARG_LINES) shown.push(`… ${lines.length - MAX_ARG_LINES} more in Countersign`);
  return shown;
}

function subject(text: string): string {
  return `[Countersign] ${truncate(headerLine(text), MAX_SUBJECT)}`;
}

function multiline(text: string): string {
  return escapeHtml(text).replace(/\r?\n/g, '<br>');
}

function table(rows: Row[]): string {
  return `<table>${rows.map((row) => `<tr><th align="left">${escapeHtml(row.label)}</th><td>${escapeHtml(row.value)}</td></tr>`).join('')}</table>`;
}

function page(headline: string, parts: string[]): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(headline)}</title></head><body><h1>${escapeHtml(headline)}</h1>${parts.join('')}</body></html>`;
}
