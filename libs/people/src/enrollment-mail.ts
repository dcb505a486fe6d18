import { escapeHtml } from '@countersign/domain';

/**
 * The mail that carries a person's enrollment link. Unlike an approval mail it holds a bearer secret (the link's
 * token, single-use, 24 h): that is what it is for, and why it goes only to the person's own address.
 */
export function renderEnrollmentEmail(
  link: { url: string; expires_at: string },
  publicUrl: string,
): { subject: string; text: string; html: string } {
  const intro = `You have been invited to Countersign (${new URL(publicUrl).host}), where you approve or deny what AI agents ask to do.`;
  const how = `Open this link to create your passkey. It works once, until ${link.expires_at}; a newer link replaces it.`;
  const ignore = 'If you did not expect this invitation, ignore this mail: nothing happens unless the link is opened.';
  return {
    subject: '[Countersign] Create your passkey',
    text: [intro, '', how, link.url, '', ignore].join('\n'),
    html:
      `<!doctype html><html><head><meta charset="utf-8"><title>Create your passkey</title></head><body>` +
      `<h1>Create your passkey</h1><p>${escapeHtml(intro)}</p><p>${escapeHtml(how)}</p>` +
      `<p><a href="${escapeHtml(link.url)}">Create my passkey</a></p><p><small>${escapeHtml(ignore)}</small></p></body></html>`,
  };
}
