import { Global, Module } from '@nestjs/common';
import { AuditChainer } from './audit-chainer';
import { AuditRepository } from './audit.repository';
import { AuditService } from './audit.service';

@Global()
@Module({ providers: [AuditChainer, AuditRepository, AuditService], exports: [AuditService] })
export class AuditModule {}
