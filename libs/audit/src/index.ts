export { type ChainBreak, chainHash, GENESIS_HASH } from './audit-chain';
export { type Actor, type AuditEntry, AuditEventType, ADMIN_TOKEN, CLI, SYSTEM } from './audit-event-type';
export { AuditModule } from './audit.module';
export { AUDIT_CHAIN_LOCK, type AuditQuery, type OutboxEvent, type StoredAuditEvent } from './audit.repository';
export { AuditService, outboxEvents } from './audit.service';
