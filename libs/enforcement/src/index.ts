export {
  APPROVAL_TOKEN_TYPE,
  DEFAULT_MAX_TOKEN_AGE_SECONDS,
  createApprovalVerifier,
  type ApprovalApprover,
  type ApprovalCall,
  type ApprovalRisk,
  type ApprovalTokenClaims,
  type ApprovalVerifier,
  type ApprovalVerifierOptions,
  type VerifiedApproval,
} from './verifier';
export type { ConsumeStrategy, CustomConsume, OnlineConsume, RedisConsume, RedisConsumeClient } from './consume';
export { APPROVAL_TOKEN_ERROR_CODES, ApprovalTokenError, isApprovalTokenError, type ApprovalTokenErrorCode } from './errors';
export { SUPPORTED_ALGORITHMS, type ApprovalAlgorithm } from './key-resolver';
export { computeActionDigest, type ActionDigestInput } from './action-digest';
