import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

@Entity('taxonomy_versions')
export class TaxonomyVersionEntity {
  @PrimaryColumn({ type: 'int' }) version!: number;
  @Column({ type: 'text' }) source!: string;
  @Column({ type: 'text' }) checksum!: string;
  @Column({ type: 'boolean', default: false }) active!: boolean;
  @Column({ name: 'created_by', type: 'text' }) createdBy!: string;
  @Column({ type: 'text', nullable: true }) comment!: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}
