import { Inject, Injectable } from '@nestjs/common';
import { CONFIG, type CountersignConfig } from '@countersign/config';
import { createRedisDpopReplayStore, DomainError, DpopProofError, type DpopReplayStore, verifyDpopProof } from '@countersign/domain';
import { RedisService } from '@countersign/queue';

/** The request a DPoP proof came with, as the transport read it. */
export interface DpopProofInput {
  /** The request's `DPoP` header(s) as the framework gives them; two headers are refused. */
  proof: string | readonly string[] | undefined;
  method: string;
  /** The endpoint's public absolute URL (from PUBLIC_URL, not the Host header); the query is ignored. */
  url: string;
  /** At a resource endpoint, the access token the proof must be bound to (`ath`); never at the token endpoint. */
  accessToken?: string;
  /** When the presented token is DPoP-bound, its `cnf.jkt`: the proof must be signed by that key. */
  expectedJkt?: string;
}

/**
 * RFC 9449 at Countersign's own endpoints: checks a request's DPoP proof (the SDK's checks, one implementation)
 * and returns the RFC 7638 thumbprint of its key, the `cnf.jkt` of the token it asks for. Proof ids are
 * remembered in Redis, across every API instance of the deployment, until the proof leaves the iat window.
 */
@Injectable()
export class DpopProofService {
  private readonly replayStore: DpopReplayStore;

  constructor(
    @Inject(CONFIG) private readonly config: CountersignConfig,
    redis: RedisService,
  ) {
    this.replayStore = createRedisDpopReplayStore(redis.client, `${redis.key('dpop', 'jti')}:`);
  }

  /** The proof key's thumbprint; `invalid_dpop_proof` (RFC 9449 §5) naming the failed check otherwise. */
  async verify(input: DpopProofInput): Promise<string> {
    try {
      const { jkt } = await verifyDpopProof(input, { replayStore: this.replayStore, iatWindowSeconds: this.config.dpopProofWindowSeconds });
      return jkt;
    } catch (error) {
      if (!(error instanceof DpopProofError)) throw error;
      // A Redis outage refuses the proof too: the replay check cannot be skipped (fail closed).
      throw new DomainError('invalid_dpop_proof', error.message, { reason: error.reason });
    }
  }
}
