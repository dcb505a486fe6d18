import { DomainError } from './errors';

export type IJsonErrorReason =
  | 'syntax'
  | 'duplicate_key'
  | 'integer_out_of_range'
  | 'non_finite_number'
  | 'lone_surrogate'
  | 'too_deep'
  | 'nul_character'
  | 'reserved_key';

export class IJsonError extends DomainError {
  constructor(
    readonly reason: IJsonErrorReason,
    readonly pointer: string,
    message: string,
    readonly position?: number,
  ) {
    super('invalid_json', message, { reason, pointer, ...(position === undefined ? {} : { position }) });
  }
}

export interface IJsonOptions {
  /** Maximum nesting of objects and arrays; the top-level container is depth 1. */
  maxDepth?: number;
}

export const DEFAULT_I_JSON_MAX_DEPTH = 32;

/**
 * Parses text as I-JSON (RFC 7493). JSON.parse silently keeps the last of duplicate keys and accepts integers it
 * cannot represent, which would let two parties disagree about what an action says; this parser refuses instead.
 * It also refuses what the rest of the way cannot keep: U+0000 in any string or key (Postgres text and jsonb cannot
 * hold it) and the key "__proto__" (libraries that copy objects drop or misread it, so it would vanish from
 * what is stored and digested while the sender's copy still has it).
 */
export function parseIJson(text: string, options: IJsonOptions = {}): unknown {
  return new IJsonParser(text, options.maxDepth ?? DEFAULT_I_JSON_MAX_DEPTH).parseDocument();
}

export function jsonPointer(segments: readonly (string | number)[]): string {
  let pointer = '';
  for (const segment of segments) {
    pointer += '/' + String(segment).replace(/~/g, '~0').replace(/\//g, '~1');
  }
  return pointer;
}

const MAX_EXACT_INTEGER = Number.MAX_SAFE_INTEGER;

// In unicode mode a surrogate class matches only surrogates that are not part of a pair.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;
const CHAR_QUOTE = 0x22;
const CHAR_BACKSLASH = 0x5c;

class IJsonParser {
  private position = 0;
  private readonly path: (string | number)[] = [];

  constructor(
    private readonly text: string,
    private readonly maxDepth: number,
  ) {}

  parseDocument(): unknown {
    this.skipWhitespace();
    const value = this.parseValue(0);
    this.skipWhitespace();
    if (this.position < this.text.length) {
      throw this.syntaxError('unexpected content after the JSON value');
    }
    return value;
  }

  private parseValue(depth: number): unknown {
    const char = this.text[this.position];
    switch (char) {
      case '{':
        return this.parseObject(depth + 1);
      case '[':
        return this.parseArray(depth + 1);
      case '"':
        return this.parseString();
      case 't':
        return this.parseLiteral('true', true);
      case 'f':
        return this.parseLiteral('false', false);
      case 'n':
        return this.parseLiteral('null', null);
      case undefined:
        throw this.syntaxError('unexpected end of input, expected a value');
      default:
        if (char === '-' || (char >= '0' && char <= '9')) {
          return this.parseNumber();
        }
        throw this.syntaxError(`unexpected character ${JSON.stringify(char)}, expected a value`);
    }
  }

  private parseObject(depth: number): Record<string, unknown> {
    this.checkDepth(depth);
    this.position++;
    const result: Record<string, unknown> = {};
    this.skipWhitespace();
    if (this.text[this.position] === '}') {
      this.position++;
      return result;
    }
    for (;;) {
      if (this.text[this.position] !== '"') {
        throw this.syntaxError('expected a string key');
      }
      const key = this.parseString(true);
      this.path.push(key);
      if (key === '__proto__') {
        throw new IJsonError(
          'reserved_key',
          this.pointer(),
          `key "__proto__" at ${this.pointer()} is not accepted: it would be lost on the way to storage`,
        );
      }
      if (Object.prototype.hasOwnProperty.call(result, key)) {
        const parent = jsonPointer(this.path.slice(0, -1)) || '/';
        throw new IJsonError('duplicate_key', this.pointer(), `duplicate key ${JSON.stringify(key)} at ${parent}`);
      }
      this.skipWhitespace();
      if (this.text[this.position] !== ':') {
        throw this.syntaxError('expected ":" after an object key');
      }
      this.position++;
      this.skipWhitespace();
      result[key] = this.parseValue(depth);
      this.path.pop();
      if (this.closes('}', 'an object')) return result;
    }
  }

  private parseArray(depth: number): unknown[] {
    this.checkDepth(depth);
    this.position++;
    const result: unknown[] = [];
    this.skipWhitespace();
    if (this.text[this.position] === ']') {
      this.position++;
      return result;
    }
    for (;;) {
      this.path.push(result.length);
      result.push(this.parseValue(depth));
      this.path.pop();
      if (this.closes(']', 'an array')) return result;
    }
  }

  /** After a member or an element: true at the closing bracket, false after a comma (both consumed). */
  private closes(close: '}' | ']', container: string): boolean {
    this.skipWhitespace();
    const separator = this.text[this.position];
    if (separator === ',') {
      this.position++;
      this.skipWhitespace();
      return false;
    }
    if (separator === close) {
      this.position++;
      return true;
    }
    throw this.syntaxError(`expected "," or "${close}" in ${container}`);
  }

  private parseString(isKey = false): string {
    const text = this.text;
    const start = this.position;
    let position = start + 1;
    let result = '';
    let chunkStart = position;
    for (;;) {
      if (position >= text.length) {
        this.position = position;
        throw this.syntaxError('unterminated string');
      }
      const code = text.charCodeAt(position);
      if (code === CHAR_QUOTE) {
        result += text.slice(chunkStart, position);
        this.position = position + 1;
        break;
      }
      if (code < 0x20) {
        this.position = position;
        throw this.syntaxError('unescaped control character in a string');
      }
      if (code !== CHAR_BACKSLASH) {
        position++;
        continue;
      }
      result += text.slice(chunkStart, position);
      const escape = text[position + 1];
      switch (escape) {
        case '"':
          result += '"';
          break;
        case '\\':
          result += '\\';
          break;
        case '/':
          result += '/';
          break;
        case 'b':
          result += '\b';
          break;
        case 'f':
          result += '\f';
          break;
        case 'n':
          result += '\n';
          break;
        case 'r':
          result += '\r';
          break;
        case 't':
          result += '\t';
          break;
        case 'u': {
          const hex = text.slice(position + 2, position + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
            this.position = position;
            throw this.syntaxError('invalid \\u escape');
          }
          result += String.fromCharCode(parseInt(hex, 16));
          position += 6;
          chunkStart = position;
          continue;
        }
        default:
          this.position = position;
          throw this.syntaxError('invalid escape sequence');
      }
      position += 2;
      chunkStart = position;
    }
    // Checked on the decoded string so raw and escaped surrogates, and mixtures of both, are judged alike.
    if (LONE_SURROGATE.test(result)) {
      const pointer = isKey ? jsonPointer([...this.path, result]) : this.pointer();
      const what = isKey ? 'key' : 'string';
      throw new IJsonError('lone_surrogate', pointer, `${what} at ${pointer || '/'} contains a lone surrogate`, start);
    }
    // A raw NUL is already a syntax error (an unescaped control character); this catches \u0000.
    if (result.includes('\u0000')) {
      const pointer = isKey ? jsonPointer([...this.path, result]) : this.pointer();
      const what = isKey ? 'key' : 'string';
      throw new IJsonError('nul_character', pointer, `${what} at ${pointer || '/'} contains U+0000 (NUL), which cannot be stored`, start);
    }
    return result;
  }

  private parseNumber(): number {
    const text = this.text;
    const start = this.position;
    let position = start;
    if (text[position] === '-') {
      position++;
    }
    if (text[position] === '0') {
      position++;
      if (isDigit(text, position)) {
        this.position = position;
        throw this.syntaxError('leading zeros are not allowed');
      }
    } else if (isDigit(text, position)) {
      while (isDigit(text, position)) position++;
    } else {
      this.position = position;
      throw this.syntaxError('invalid number');
    }
    let integerLiteral = true;
    if (text[position] === '.') {
      integerLiteral = false;
      position++;
      if (!isDigit(text, position)) {
        this.position = position;
        throw this.syntaxError('expected a digit after the decimal point');
      }
      while (isDigit(text, position)) position++;
    }
    if (text[position] === 'e' || text[position] === 'E') {
      integerLiteral = false;
      position++;
      if (text[position] === '+' || text[position] === '-') position++;
      if (!isDigit(text, position)) {
        this.position = position;
        throw this.syntaxError('expected a digit in the exponent');
      }
      while (isDigit(text, position)) position++;
    }
    const literal = text.slice(start, position);
    const value = Number(literal);
    if (!Number.isFinite(value)) {
      throw new IJsonError(
        'non_finite_number',
        this.pointer(),
        `number ${literal} at ${this.pointer() || '/'} is not a finite double`,
        start,
      );
    }
    if (integerLiteral && Math.abs(value) > MAX_EXACT_INTEGER) {
      throw new IJsonError(
        'integer_out_of_range',
        this.pointer(),
        `integer ${literal} at ${this.pointer() || '/'} is outside ±(2^53-1); send it as a string`,
        start,
      );
    }
    this.position = position;
    return value;
  }

  private parseLiteral<T>(word: string, value: T): T {
    if (!this.text.startsWith(word, this.position)) {
      throw this.syntaxError(`unexpected token, expected ${word}`);
    }
    this.position += word.length;
    return value;
  }

  private skipWhitespace(): void {
    const text = this.text;
    let position = this.position;
    for (;;) {
      const code = text.charCodeAt(position);
      if (code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09) {
        position++;
      } else {
        break;
      }
    }
    this.position = position;
  }

  private checkDepth(depth: number): void {
    if (depth > this.maxDepth) {
      throw new IJsonError(
        'too_deep',
        this.pointer(),
        `nesting deeper than ${this.maxDepth} levels at ${this.pointer() || '/'}`,
        this.position,
      );
    }
  }

  private pointer(): string {
    return jsonPointer(this.path);
  }

  private syntaxError(problem: string): IJsonError {
    return new IJsonError('syntax', this.pointer(), `invalid JSON at position ${this.position}: ${problem}`, this.position);
  }
}

function isDigit(text: string, position: number): boolean {
  const code = text.charCodeAt(position);
  return code >= 0x30 && code <= 0x39;
}
