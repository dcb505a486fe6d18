import { escapeHtml, findNulCharacter, headerLine, isSingleLine } from './text';

describe('isSingleLine', () => {
  it('accepts ordinary identifiers, Unicode included', () => {
    for (const text of ['order:7', 'alice@example.com', 'https://payments.internal/x?y=1', 'konto:café 😀', ''])
      expect(isSingleLine(text)).toBe(true);
  });

  it('refuses every C0 control character and DEL, line breaks and tabs included', () => {
    for (const code of [...Array.from({ length: 0x20 }, (_, index) => index), 0x7f]) {
      expect({ code, single: isSingleLine(`order:${String.fromCharCode(code)}7`) }).toEqual({ code, single: false });
    }
  });
});

describe('findNulCharacter', () => {
  it('gives the path to the first string or key holding U+0000', () => {
    expect(findNulCharacter({ view: { state: { values: { reason: { reason: { value: 'no\u0000' } } } } } })).toEqual([
      'view',
      'state',
      'values',
      'reason',
      'reason',
      'value',
    ]);
    expect(findNulCharacter({ list: ['a', { 'k\u0000': 1 }] })).toEqual(['list', 1, 'k\u0000']);
    expect(findNulCharacter('\u0000')).toEqual([]);
  });

  it('finds nothing in values without it', () => {
    expect(findNulCharacter({ a: ['x', 1, null, true, { b: 'tab\tand\nline' }] })).toBeUndefined();
    expect(findNulCharacter(42)).toBeUndefined();
  });
});

describe('escapeHtml', () => {
  it('makes markup, entities and attribute quotes inert', () => {
    expect(escapeHtml(`<script>alert("x")</script> & 'y'`)).toBe('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;');
    expect(escapeHtml('&lt;')).toBe('&amp;lt;');
    expect(escapeHtml('plain text, café')).toBe('plain text, café');
  });
});

describe('headerLine', () => {
  it('turns line breaks and other controls into spaces, so no header can be injected', () => {
    expect(headerLine('Approval\r\nBcc: eve@example.com')).toBe('Approval Bcc: eve@example.com');
    expect(headerLine('a\u0000b\u2028c\td')).toBe('a b c d');
    expect(headerLine('  ordinary subject ')).toBe('ordinary subject');
  });
});
