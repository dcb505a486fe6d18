import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

@Entity('agents')
export class AgentEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ type: 'text', unique: true }) name!: string;
  @Column({ name: 'client_id', type: 'text', unique: true }) clientId!: string;
  /** scrypt hash of the client secret (`scrypt$N$r$p$salt$hash`). */
  @Column({ name: 'secret_hash', type: 'text' }) secretHash!: string;
  @Column({ type: 'text', default: 'active' }) status!: 'active' | 'suspended';
  @Column({ type: 'text', array: true, default: () => "'{}'" }) capabilities!: string[];
  @Column({ name: 'owner_id', type: 'uuid', nullable: true }) ownerId!: string | null;
  @Column({ name: 'requests_per_minute', type: 'int', nullable: true }) requestsPerMinute!: number | null;
  @Column({ name: 'max_pending', type: 'int', nullable: true }) maxPending!: number | null;
  /** Encrypted at rest with the key-encryption secret; used to HMAC callback bodies. */
  @Column({ name: 'callback_secret_enc', type: 'text', nullable: true }) callbackSecretEnc!: string | null;
  /** OpenID CIBA: how the agent learns of a decision (null: the agent does not use CIBA). */
  @Column({ name: 'ciba_delivery_mode', type: 'text', nullable: true }) cibaDeliveryMode!: 'poll' | 'ping' | null;
  /** CIBA ping mode: where Countersign POSTs `{auth_req_id}` when a request is decided. */
  @Column({ name: 'ciba_notification_endpoint', type: 'text', nullable: true }) cibaNotificationEndpoint!: string | null;
  /** The RFC 9396 authorization_details types (action types) the agent may send through CIBA. */
  @Column({ name: 'ciba_authorization_details_types', type: 'text', array: true, default: () => "'{}'" })
  cibaAuthorizationDetailsTypes!: string[];
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}
