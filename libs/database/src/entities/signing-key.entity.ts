import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

@Entity('signing_keys')
export class SigningKeyEntity {
  @PrimaryColumn({ type: 'text' }) kid!: string;
  @Column({ type: 'text' }) alg!: string;
  @Column({ name: 'public_jwk', type: 'jsonb' }) publicJwk!: Record<string, unknown>;
  /** PKCS#8 private key sealed with AES-256-GCM under a key derived from the key-encryption secret. */
  @Column({ name: 'private_key_enc', type: 'text' }) privateKeyEnc!: string;
  @Column({ type: 'text' }) state!: 'active' | 'retiring' | 'retired';
  /** For a retiring key: when the last token it signed expires; published until then. */
  @Column({ name: 'publish_until', type: 'timestamptz', nullable: true }) publishUntil!: Date | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}
