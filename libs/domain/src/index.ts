export { DomainError, ERROR_CODES, type ErrorCode } from './errors';
export { parseIJson, jsonPointer, IJsonError, DEFAULT_I_JSON_MAX_DEPTH, type IJsonErrorReason, type IJsonOptions } from './i-json';
export { canonicalJson } from './canonical-json';
export { computeActionDigest, type ActionDigestInput } from './action-digest';
export { compilePattern, matchesPattern, matchesAny, patternSpecificity, type PatternMatcher } from './patterns';
export { parseDuration, isDuration } from './duration';
export { redactArgs, REDACTED } from './redact';
export { nextStatus, isFinal, APPROVAL_STATUSES, type ApprovalStatus, type ApprovalEvent } from './approval-state';
export * from './taxonomy';
