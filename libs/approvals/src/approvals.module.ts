import { Module } from '@nestjs/common';
import { AgentsModule } from '@countersign/agents';
import { PeopleModule } from '@countersign/people';
import { TaxonomyModule } from '@countersign/taxonomy';
import { ApprovalEvents } from './approval-events';
import { ApprovalLifecycleService } from './approval-lifecycle.service';
import { ApprovalRepository } from './approval.repository';
import { ApprovalsService } from './approvals.service';
import { CallbacksService } from './callbacks.service';
import { IntakeWriter } from './intake-writer';
import { IntakeService } from './intake.service';
import { PartiesRepository } from './parties.repository';
import { QuotaService } from './quota.service';

@Module({
  imports: [AgentsModule, PeopleModule, TaxonomyModule],
  providers: [ApprovalEvents, ApprovalLifecycleService, ApprovalRepository, ApprovalsService, CallbacksService, IntakeService, IntakeWriter, PartiesRepository, QuotaService],
  exports: [ApprovalLifecycleService, ApprovalsService, CallbacksService, IntakeService],
})
export class ApprovalsModule {}
