import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

@Entity('approvals')
export class ApprovalEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ name: 'agent_id', type: 'uuid' }) agentId!: string;
  @Column({ name: 'on_behalf_of_id', type: 'uuid' }) onBehalfOfId!: string;
  @Column({ name: 'action_type', type: 'text' }) actionType!: string;
  @Column({ name: 'action_resource', type: 'text' }) actionResource!: string;
  /** Arguments with the taxonomy's sensitive paths already redacted: secrets are never stored. */
  @Column({ type: 'jsonb' }) args!: Record<string, unknown>;
  @Column({ type: 'text' }) audience!: string;
  @Column({ type: 'text', nullable: true }) reason!: string | null;
  @Column({ type: 'text', array: true, default: () => "'{}'" }) provenance!: string[];
  @Column({ type: 'text' }) tier!: string;
  @Column({ type: 'jsonb' }) classification!: Record<string, unknown>;
  @Column({ type: 'jsonb' }) requirement!: Record<string, unknown>;
  @Column({ name: 'taxonomy_version', type: 'int' }) taxonomyVersion!: number;
  @Column({ name: 'action_digest', type: 'text' }) actionDigest!: string;
  @Column({ type: 'text' }) status!: 'pending' | 'approved' | 'denied' | 'expired' | 'cancelled';
  @Column({ name: 'status_reason', type: 'text', nullable: true }) statusReason!: string | null;
  @Column({ name: 'expires_at', type: 'timestamptz' }) expiresAt!: Date;
  @Column({ name: 'idempotency_key', type: 'text', nullable: true }) idempotencyKey!: string | null;
  /** SHA-256 of the canonical request body, to tell a replay from a different request under the same key. */
  @Column({ name: 'request_hash', type: 'text' }) requestHash!: string;
  @Column({ name: 'callback_url', type: 'text', nullable: true }) callbackUrl!: string | null;
  /** 'due' once the status left pending with a callback URL, until delivered or abandoned. */
  @Column({ name: 'callback_state', type: 'text', nullable: true }) callbackState!: 'due' | 'delivered' | 'failed' | null;
  /** OpenID CIBA's binding_message: shown to the person on every channel, so they can match it to the agent's screen. */
  @Column({ name: 'binding_message', type: 'text', nullable: true }) bindingMessage!: string | null;
  /** Approver entries added by the escalation steps taken, in order: eligible like the requirement's own `approvers`. */
  @Column({ name: 'escalated_to', type: 'text', array: true, default: () => "'{}'" }) escalatedTo!: string[];
  /** How many steps of the requirement's escalation ladder have fired (0: none yet); `escalated_at` is the latest's time. */
  @Column({ name: 'escalation_step', type: 'int', default: 0 }) escalationStep!: number;
  /**
   * The members (person ids) of each `group:` approver entry when it was resolved, by group name: at the request
   * for the requirement's approvers, at the escalation step for the entries a step adds. Eligibility reads this,
   * not the live membership, so a later change is visible rather than silent.
   */
  @Column({ name: 'group_members', type: 'jsonb', default: () => "'{}'" }) groupMembers!: Record<string, string[]>;
  @Column({ name: 'decided_at', type: 'timestamptz', nullable: true }) decidedAt!: Date | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}
