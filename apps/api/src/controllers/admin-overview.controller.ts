import { Controller, Get, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { ApprovalReportsService, MAX_OVERVIEW_DAYS } from '@countersign/approvals';
import { type Overview, ref } from '@countersign/contract';
import { DomainError } from '@countersign/domain';
import { AdminGuard } from '../http/auth.guards';

/** The console's overview: approvals by tier and outcome, time to decision, fast decisions, failing deliveries. */
@ApiTags('admin')
@ApiBearerAuth()
@Controller('v1/admin/overview')
@UseGuards(AdminGuard)
export class AdminOverviewController {
  constructor(private readonly reports: ApprovalReportsService) {}

  @Get()
  @ApiOperation({ summary: 'Aggregates over the last `days` days (approvals created in the period), plus what is pending now' })
  @ApiQuery({ name: 'days', required: false, type: Number, description: `1-${MAX_OVERVIEW_DAYS}, default 7` })
  @ApiOkResponse({ schema: ref('Overview') })
  overview(@Query('days') days?: string): Promise<Overview> {
    if (days !== undefined && !/^\d{1,3}$/.test(days))
      throw new DomainError('invalid_request', `days must be 1-${MAX_OVERVIEW_DAYS}`, { field: 'days' });
    return this.reports.overview(days === undefined ? 7 : Number(days));
  }
}
