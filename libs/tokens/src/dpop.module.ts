import { Module } from '@nestjs/common';
import { DpopProofService } from './dpop-proof.service';

/**
 * DPoP proof checking for the API's OAuth endpoints. Not part of TokensModule: it needs Redis (QueueModule), which
 * the CLI's offline commands do not start.
 */
@Module({ providers: [DpopProofService], exports: [DpopProofService] })
export class DpopModule {}
