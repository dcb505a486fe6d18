export { DomainError, ERROR_CODES, type ErrorCode } from './errors';
export { parseIJson, jsonPointer, IJsonError, DEFAULT_I_JSON_MAX_DEPTH, type IJsonErrorReason, type IJsonOptions } from './i-json';
export { describeIssue, type ExplainIssue, type InputProblem, issuePointer, parseInput } from './parse-input';
export { escapeHtml, findNulCharacter, headerLine, isSingleLine } from './text';
export { canonicalJson } from './canonical-json';
export { computeActionDigest, type ActionDigestInput } from './action-digest';
export * from './dpop-proof';
export { compilePattern, matchesPattern, matchesAny, patternSpecificity, type PatternMatcher } from './patterns';
export { isDuration, MAX_EXPIRES_IN_SECONDS, parseDuration } from './duration';
export { redactArgs, REDACTED } from './redact';
export {
  directoryNeeds,
  escalationLadder,
  type EscalationProgress,
  escalationProgress,
  MANAGER_ENTRY,
  mergeGroupMembers,
  resolveStepEntries,
} from './escalation';
export * from './taxonomy';
export {
  APPROVAL_STATUSES,
  type ApprovalEvent,
  type ApprovalStatus,
  approverEntriesFor,
  type Approver,
  assertDecidable,
  assertFirstDecision,
  canStillBeApproved,
  type CastDecision,
  type DecidableApproval,
  type DecisionAttempt,
  decidingCapacity,
  type DecidingCapacity,
  decidingFor,
  deciderLabel,
  type Delegation,
  decisionLatency,
  decisionReason,
  eligibleEntries,
  FAST_DECISION_MS,
  groupMembersNamed,
  type GroupMembers,
  groupNames,
  isActiveDelegation,
  isEligibleApprover,
  isFastDecision,
  isFinal,
  MAX_DECISION_REASON,
  MAX_DELEGATION_DAYS,
  mayDecide,
  nextStatus,
  outcomeOf,
  type Quorum,
  type RecordedVerdict,
  type Settlement,
  settlementOf,
  stepUpChallenge,
  type Verdict,
} from './decision';
export { isInternalHost, isPrivateAddress, normaliseHost } from './network-address';
export { validateOutboundUrl } from './outbound-url';
export { formatPath, readYamlDocument, type DocumentPath, type Locate, type YamlProblem, type YamlReading } from './yaml-document';
export {
  type ChannelChoice,
  channelsToUse,
  checkChannelPreferences,
  isChannelType,
  tierChannels,
  type TierChannels,
} from './channel-preferences';
