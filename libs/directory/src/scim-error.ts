import { DomainError, type ErrorCode } from '@countersign/domain';

/** RFC 7644 §3.12 `scimType`s we answer with. */
export type ScimType =
  'invalidFilter' | 'invalidSyntax' | 'invalidPath' | 'invalidValue' | 'noTarget' | 'uniqueness' | 'mutability' | 'tooMany';

/**
 * A refusal in SCIM's terms: a coded domain error (its HTTP status comes from the code, as everywhere) carrying
 * the `scimType` the SCIM error body names. The API renders errors on /scim/ routes in SCIM's format.
 */
export function scimError(scimType: ScimType, message: string, code: ErrorCode = 'invalid_request'): DomainError {
  return new DomainError(code, message, { scimType });
}
