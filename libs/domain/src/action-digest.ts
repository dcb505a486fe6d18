// The verifier SDK owns the one implementation of the digest contract. Import the file directly rather than the
// SDK's index so the domain does not depend on (or cycle through) the rest of the publishable package.
export { computeActionDigest, type ActionDigestInput } from '../../enforcement/src/action-digest';
