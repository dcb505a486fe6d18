import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Append-only: a trigger in the database refuses UPDATE, DELETE and TRUNCATE (see the initial migration). */
@Entity('audit_events')
export class AuditEventEntity {
  @PrimaryColumn({ type: 'bigint' }) seq!: string;
  @Column({ name: 'occurred_at', type: 'timestamptz' }) occurredAt!: Date;
  @Column({ name: 'actor_type', type: 'text' }) actorType!: string;
  @Column({ name: 'actor_id', type: 'text', nullable: true }) actorId!: string | null;
  @Column({ type: 'text' }) type!: string;
  @Column({ name: 'subject_type', type: 'text', nullable: true }) subjectType!: string | null;
  @Column({ name: 'subject_id', type: 'text', nullable: true }) subjectId!: string | null;
  @Column({ type: 'jsonb' }) data!: Record<string, unknown>;
  @Column({ name: 'prev_hash', type: 'text' }) prevHash!: string;
  @Column({ type: 'text' }) hash!: string;
}
