export {
  APPROVAL_TOKEN_TYPE,
  DEFAULT_MAX_TOKEN_AGE_SECONDS,
  createApprovalVerifier,
  type ApprovalApprover,
  type ApprovalCall,
  type ApprovalDpopOptions,
  type ApprovalDpopRequest,
  type ApprovalRisk,
  type ApprovalTokenClaims,
  type ApprovalVerifier,
  type ApprovalVerifierOptions,
  type VerifiedApproval,
} from './verifier.js';
export type { ConsumeStrategy, CustomConsume, OnlineConsume, RedisConsume, RedisConsumeClient } from './consume.js';
export { APPROVAL_TOKEN_ERROR_CODES, ApprovalTokenError, isApprovalTokenError, type ApprovalTokenErrorCode } from './errors.js';
export { SUPPORTED_ALGORITHMS, type ApprovalAlgorithm } from './key-resolver.js';
export { computeActionDigest, type ActionDigestInput } from './action-digest.js';
export {
  createMemoryDpopReplayStore,
  createRedisDpopReplayStore,
  DEFAULT_DPOP_IAT_WINDOW_SECONDS,
  DPOP_ALGORITHMS,
  DPOP_PROOF_TYPE,
  dpopAccessTokenHash,
  dpopHtu,
  DpopProofError,
  verifyDpopProof,
  type DpopFailure,
  type DpopProofOptions,
  type DpopProofRequest,
  type DpopReplayStore,
  type VerifiedDpopProof,
} from './dpop.js';
export {
  MCP_APPROVAL_HEADER,
  MCP_APPROVAL_META_KEY,
  mcpApprovalToken,
  mcpResource,
  verifyMcpToolCall,
  type McpToolAction,
  type McpToolCallContext,
} from './mcp.js';
