/**
 * True when the text holds no control character. For single-line identifiers (an action's resource, the person
 * an agent names, a URL): a line break there would let one value pose as two lines in a message or a log, and no
 * real identifier needs one. Free text (args, reasons) keeps tabs and line breaks; renderers escape the rest.
 */
export function isSingleLine(text: string): boolean {
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    // C0 controls (U+0000-U+001F, tab and line breaks included) and DEL.
    if (code < 0x20 || code === 0x7f) return false;
  }
  return true;
}

/**
 * The path to the first string or key holding U+0000 in an already-parsed value (format it with `jsonPointer`), or
 * undefined. For input that did not come through `parseIJson`, which refuses it itself: Postgres text and jsonb
 * cannot store U+0000.
 */
export function findNulCharacter(value: unknown, path: (string | number)[] = []): (string | number)[] | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? path : undefined;
  if (typeof value !== 'object' || value === null) return undefined;
  const entries: [string | number, unknown][] = Array.isArray(value) ? value.map((item, index) => [index, item]) : Object.entries(value);
  for (const [key, item] of entries) {
    if (typeof key === 'string' && key.includes('\u0000')) return [...path, key];
    const found = findNulCharacter(item, [...path, key]);
    if (found !== undefined) return found;
  }
  return undefined;
}

const HTML_ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Makes text inert in HTML, in element content and in quoted attribute values alike (an email's HTML part). */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => HTML_ENTITIES[character]);
}

/**
 * One line for a mail header (a subject): control characters, line breaks included, become spaces, so a value
 * cannot start a header of its own or end the headers early.
 */
export function headerLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ').trim();
}
