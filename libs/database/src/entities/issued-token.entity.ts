import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

@Entity('issued_tokens')
export class IssuedTokenEntity {
  @PrimaryColumn({ type: 'text' }) jti!: string;
  @Column({ name: 'approval_id', type: 'uuid' }) approvalId!: string;
  @Column({ type: 'text' }) audience!: string;
  /** The compact token sealed with the key-encryption secret, so the agent can fetch it again (long-poll). */
  @Column({ name: 'token_enc', type: 'text' }) tokenEnc!: string;
  @Column({ name: 'expires_at', type: 'timestamptz' }) expiresAt!: Date;
  @Column({ name: 'consumed_at', type: 'timestamptz', nullable: true }) consumedAt!: Date | null;
  @Column({ name: 'consumed_by', type: 'uuid', nullable: true }) consumedBy!: string | null;
  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true }) revokedAt!: Date | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}
