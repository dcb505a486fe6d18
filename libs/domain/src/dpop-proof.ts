// The verifier SDK owns the one implementation of the DPoP proof checks (RFC 9449 §4.3), as it does the action
// digest's: the server's token endpoint and downstream services must refuse exactly the same proofs.
export {
  createMemoryDpopReplayStore,
  createRedisDpopReplayStore,
  DEFAULT_DPOP_IAT_WINDOW_SECONDS,
  DPOP_ALGORITHMS,
  DPOP_PROOF_TYPE,
  dpopAccessTokenHash,
  dpopHtu,
  type DpopFailure,
  DpopProofError,
  type DpopProofRequest,
  type DpopReplayStore,
  verifyDpopProof,
  type VerifiedDpopProof,
} from '../../enforcement/src/dpop';
