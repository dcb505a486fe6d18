import canonicalize from 'canonicalize';
import { DomainError } from './errors';

/** RFC 8785 (JCS) serialization; throws on values JSON cannot carry exactly (NaN, Infinity, lone surrogates). */
export function canonicalJson(value: unknown): string {
  let result: string | undefined;
  try {
    result = canonicalize(value);
  } catch (error) {
    throw new DomainError('invalid_json', `cannot canonicalize: ${(error as Error).message}`);
  }
  if (result === undefined) {
    throw new DomainError('invalid_json', 'cannot canonicalize: the value has no JSON representation');
  }
  return result;
}
