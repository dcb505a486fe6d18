import { Global, Module } from '@nestjs/common';
import { CONFIG, type CountersignConfig } from '@countersign/config';
import { AccessTokenService } from './access-token.service';
import { ApprovalEventSigner } from './approval-event-signer';
import { ApprovalTokenService } from './approval-token.service';
import { IdTokenService } from './id-token.service';
import { KeyEncryption } from './key-encryption';
import { IssuedTokenRepository } from './issued-token.repository';
import { OwnTokenVerifier } from './own-token-verifier';
import { SigningKeyRepository } from './signing-key.repository';
import { SigningKeyRotations } from './signing-key-rotations';
import { SigningKeysService } from './signing-keys.service';

@Global()
@Module({
  providers: [
    { provide: KeyEncryption, inject: [CONFIG], useFactory: (config: CountersignConfig) => new KeyEncryption(config.keyEncryptionSecret) },
    AccessTokenService,
    ApprovalEventSigner,
    ApprovalTokenService,
    IdTokenService,
    IssuedTokenRepository,
    OwnTokenVerifier,
    SigningKeyRepository,
    SigningKeysService,
    SigningKeyRotations,
  ],
  exports: [AccessTokenService, ApprovalEventSigner, ApprovalTokenService, IdTokenService, KeyEncryption, SigningKeysService],
})
export class TokensModule {}
