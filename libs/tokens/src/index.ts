export { ACCESS_TOKEN_TYPE, AccessTokenService, type AgentPrincipal } from './access-token.service';
export { APPROVAL_EVENT_TYPE, ApprovalEventSigner } from './approval-event-signer';
export {
  APPROVAL_TOKEN_TYPE,
  ApprovalTokenService,
  type ConsumeResult,
  type IssuedTokenRow,
  type MintApprovalToken,
  type PreparedApprovalToken,
} from './approval-token.service';
export { type DpopProofInput, DpopProofService } from './dpop-proof.service';
export { DpopModule } from './dpop.module';
export { consumeRequestToken, MAX_APPROVAL_TOKEN_LENGTH } from './consume-request.input';
export { IdTokenService } from './id-token.service';
export { KeyEncryption } from './key-encryption';
export { InvalidTokenError } from './own-token-verifier';
export { generateSecret, hashSecret, verifySecret } from './secret-hash';
export { announceRotation, SIGNING_KEYS_CHANNEL } from './signing-key-rotations';
export {
  ACTIVE_KEY_CACHE_MS,
  CLOCK_SKEW_SECONDS,
  RETIRING_KEY_PUBLISH_SECONDS,
  SIGNING_ALGORITHM,
  SigningKeysService,
} from './signing-keys.service';
export { TokensModule } from './tokens.module';
