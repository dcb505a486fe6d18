import { Inject, Injectable } from '@nestjs/common';
import webpush from 'web-push';
import { CONFIG, type CountersignConfig } from '@countersign/config';
import { KeyEncryption } from '@countersign/tokens';
import { PushSubscriptionRepository } from './push-subscription.repository';

export interface VapidKeys {
  publicKey: string;
  privateKey: string;
  subject: string;
}

/** The deployment's VAPID key pair: from config, or generated on first start and stored with the private key sealed. */
@Injectable()
export class VapidKeysService {
  private cached: Promise<VapidKeys> | null = null;

  constructor(
    @Inject(CONFIG) private readonly config: CountersignConfig,
    private readonly repository: PushSubscriptionRepository,
  ) {}

  keys(): Promise<VapidKeys> {
    this.cached ??= this.load().catch((error: unknown) => {
      this.cached = null;
      throw error;
    });
    return this.cached;
  }

  private async load(): Promise<VapidKeys> {
    const subject = this.config.vapidSubject;
    if (this.config.vapidKeys) return { ...this.config.vapidKeys, subject };
    const sealer = new KeyEncryption(this.config.keyEncryptionSecret);
    let stored = await this.repository.vapidKeys();
    if (!stored) {
      const generated = webpush.generateVAPIDKeys();
      await this.repository.storeVapidKeysOnce(generated.publicKey, sealer.seal(generated.privateKey));
      stored = (await this.repository.vapidKeys())!;
    }
    return { publicKey: stored.publicKey, privateKey: sealer.open(stored.privateKeyEnc).toString('utf8'), subject };
  }
}
