import { Global, Module } from '@nestjs/common';
import { AccessTokenService } from './access-token.service';
import { ApprovalTokenService } from './approval-token.service';
import { IssuedTokenRepository } from './issued-token.repository';
import { OwnTokenVerifier } from './own-token-verifier';
import { SigningKeyRepository } from './signing-key.repository';
import { SigningKeysService } from './signing-keys.service';

@Global()
@Module({
  providers: [AccessTokenService, ApprovalTokenService, IssuedTokenRepository, OwnTokenVerifier, SigningKeyRepository, SigningKeysService],
  exports: [AccessTokenService, ApprovalTokenService, SigningKeysService],
})
export class TokensModule {}
