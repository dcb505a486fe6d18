import { Controller, Get, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { AuditService } from '@countersign/audit';
import { type AuditPage, type ChainCheck, ref } from '@countersign/contract';
import { DomainError } from '@countersign/domain';
import { AdminGuard } from '../http/auth.guards';

const MAX_PAGE = 200;

/** Read-only audit log for admins; keyset pagination on the sequence number (`before`). */
@ApiTags('admin')
@ApiBearerAuth()
@Controller('v1/admin/audit')
@UseGuards(AdminGuard)
export class AdminAuditController {
  constructor(private readonly audit: AuditService) {}

  @Get('verify')
  @ApiOperation({ summary: 'Walk the hash chain from the first event; names the first broken link' })
  @ApiOkResponse({ schema: ref('ChainCheck') })
  async verify(): Promise<ChainCheck> {
    const result = await this.audit.verify();
    return { ok: result.ok, checked: result.checked, broken: result.ok ? null : result.broken, verified_at: new Date().toISOString() };
  }

  @Get()
  @ApiOperation({ summary: 'Audit events, newest first' })
  @ApiQuery({ name: 'type', required: false })
  @ApiQuery({ name: 'subject_id', required: false })
  @ApiQuery({ name: 'actor_id', required: false })
  @ApiQuery({ name: 'before', required: false, description: 'next_before of the previous page' })
  @ApiQuery({ name: 'limit', required: false, type: Number })
  @ApiOkResponse({ schema: ref('AuditPage') })
  async list(
    @Query('type') type?: string,
    @Query('subject_id') subjectId?: string,
    @Query('actor_id') actorId?: string,
    @Query('before') before?: string,
    @Query('limit') limit?: string,
  ): Promise<AuditPage> {
    if (before !== undefined && !/^\d{1,19}$/.test(before))
      throw new DomainError('invalid_request', 'before must be a sequence number', { field: 'before' });
    const size = limit === undefined ? 50 : Number(limit);
    if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE)
      throw new DomainError('invalid_request', `limit must be 1-${MAX_PAGE}`, { field: 'limit' });
    const events = await this.audit.search({ type, subjectId, actorId, beforeSeq: before, limit: size });
    return {
      events,
      next_before: events.length === size ? events[events.length - 1].seq : null,
    };
  }
}
