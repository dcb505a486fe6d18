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
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}
