// The verifier SDK owns the one implementation of the DPoP proof checks (RFC 9449 §4.3), as it does the action
// digest's: the server's token endpoint and downstream services must refuse exactly the same proofs.
export * from '../../enforcement/src/dpop';
