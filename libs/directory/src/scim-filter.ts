import { scimError } from './scim-error';

/** A filter Countersign answers: one attribute equal to one value (what directories send to find a resource). */
export interface EqualityFilter {
  attribute: string;
  value: string;
}

const OPERATORS = new Set(['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'lt', 'ge', 'le', 'pr']);
const LOGICAL = new Set(['and', 'or', 'not']);
const ATTRIBUTE_PATH = /^(?:urn:[A-Za-z0-9:._-]+:)?[A-Za-z][A-Za-z0-9_$-]*(?:\.[A-Za-z][A-Za-z0-9_$-]*)?$/;

/**
 * Parses a `filter` (RFC 7644 §3.4.2.2) of the one form Countersign supports: `<attribute> eq "<value>"`, with an
 * attribute from `supported` (matched case-insensitively, as SCIM attribute names are). A malformed filter and a
 * well-formed one using anything else (another operator, `and`/`or`, another attribute) are refused as
 * `invalidFilter`, naming what is wrong.
 */
export function parseFilter(filter: string, supported: readonly string[]): EqualityFilter {
  const text = filter.trim();
  const match = /^(\S+)\s+(\S+)(?:\s+([\s\S]*))?$/.exec(text);
  if (!match) throw scimError('invalidFilter', `filter ${JSON.stringify(filter)} is not "<attribute> <operator> <value>"`);
  const [, path, rawOperator, rest] = match;
  if (!ATTRIBUTE_PATH.test(path) || path.includes('['))
    throw scimError('invalidFilter', `filter: ${JSON.stringify(path)} is not an attribute`);
  const operator = rawOperator.toLowerCase();
  if (!OPERATORS.has(operator)) throw scimError('invalidFilter', `filter: ${JSON.stringify(rawOperator)} is not a SCIM operator`);
  const compared = operator === 'pr' ? { value: undefined, rest: rest ?? '' } : readValue(rest ?? '');
  const after = compared.rest.trim().split(/\s+/)[0].toLowerCase();
  if (LOGICAL.has(after)) throw scimError('invalidFilter', `filter: "${after}" is not supported; use one comparison`);
  if (after !== '') throw scimError('invalidFilter', `filter: unexpected ${JSON.stringify(after)} after the value`);
  if (operator !== 'eq') throw scimError('invalidFilter', `filter: operator "${operator}" is not supported; only "eq" is`);
  const attribute = supported.find((name) => name.toLowerCase() === path.toLowerCase());
  if (!attribute)
    throw scimError('invalidFilter', `filter: attribute ${JSON.stringify(path)} cannot be filtered on; use ${supported.join(', ')}`);
  if (typeof compared.value !== 'string') throw scimError('invalidFilter', `filter: ${attribute} is compared with a string`);
  return { attribute, value: compared.value };
}

/** A comparison's value: a JSON string, or true/false/null/a number (RFC 7644's compValue), and what follows it. */
function readValue(text: string): { value: unknown; rest: string } {
  if (text.startsWith('"')) {
    let end = 1;
    while (end < text.length && text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
    if (end >= text.length) throw scimError('invalidFilter', 'filter: the string value is not closed');
    try {
      return { value: JSON.parse(text.slice(0, end + 1)) as unknown, rest: text.slice(end + 1) };
    } catch {
      throw scimError('invalidFilter', 'filter: the string value is not a valid JSON string');
    }
  }
  const word = /^(\S+)([\s\S]*)$/.exec(text);
  if (!word) throw scimError('invalidFilter', 'filter: the comparison has no value');
  if (word[1] === 'true' || word[1] === 'false' || word[1] === 'null') return { value: JSON.parse(word[1]) as unknown, rest: word[2] };
  if (/^-?\d+(\.\d+)?$/.test(word[1])) return { value: Number(word[1]), rest: word[2] };
  throw scimError('invalidFilter', `filter: ${JSON.stringify(word[1])} is not a value (strings are quoted)`);
}
