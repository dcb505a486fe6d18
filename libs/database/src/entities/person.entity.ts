import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

@Entity('people')
export class PersonEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ type: 'text', unique: true }) email!: string;
  @Column({ name: 'display_name', type: 'text' }) displayName!: string;
  @Column({ type: 'text' }) role!: 'admin' | 'approver' | 'member';
  @Column({ type: 'text', array: true, default: () => "'{}'" }) permissions!: string[];
  @Column({ type: 'text', default: 'active' }) status!: 'active' | 'disabled';
  /** The person's manager, from the directory (SCIM's enterprise extension); an escalation step may name them. */
  @Column({ name: 'manager_id', type: 'uuid', nullable: true }) managerId!: string | null;
  /** What the directory calls the person (SCIM `userName`) and its own id for them (`externalId`). */
  @Column({ name: 'user_name', type: 'text', nullable: true }) userName!: string | null;
  @Column({ name: 'external_id', type: 'text', nullable: true }) externalId!: string | null;
  /** The directory deleted the person: the row stays, disabled, for the audit log; SCIM no longer finds it. */
  @Column({ name: 'directory_deleted_at', type: 'timestamptz', nullable: true }) directoryDeletedAt!: Date | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}
