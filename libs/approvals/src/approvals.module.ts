import { Module } from '@nestjs/common';
import { AgentsModule } from '@countersign/agents';
import { PeopleModule } from '@countersign/people';
import { TaxonomyModule } from '@countersign/taxonomy';
import { DpopModule } from '@countersign/tokens';
import { AgentControlService } from './agent-control.service';
import { ApprovalEscalation } from './approval-escalation';
import { ApprovalEvents } from './approval-events';
import { ApprovalLifecycleService } from './approval-lifecycle.service';
import { ApprovalReportsRepository } from './approval-reports.repository';
import { ApprovalReportsService } from './approval-reports.service';
import { ApprovalRepository } from './approval.repository';
import { ApprovalsService } from './approvals.service';
import { ApproverService } from './approver.service';
import { CallbacksService } from './callbacks.service';
import { CibaRepository } from './ciba.repository';
import { CibaService } from './ciba.service';
import { DecisionRepository } from './decision.repository';
import { DecisionService } from './decision.service';
import { DeprovisioningFollowUps } from './deprovisioning-follow-ups';
import { IntakeWriter } from './intake-writer';
import { LiveEvents } from './live-events';
import { IntakeService } from './intake.service';
import { KillSwitchService } from './kill-switch.service';
import { PartiesRepository } from './parties.repository';
import { PersonDeprovisioningService } from './person-deprovisioning.service';
import { QuotaService } from './quota.service';

/**
 * The admin transactions that need Postgres only, so the CLI runs them without Redis: the kill switch, and the
 * approvals' part of disabling a person (it registers itself with the people library's Deprovisioning).
 */
@Module({
  imports: [AgentsModule, PeopleModule],
  providers: [ApprovalEscalation, ApprovalRepository, DecisionRepository, KillSwitchService, PersonDeprovisioningService],
  exports: [ApprovalEscalation, ApprovalRepository, DecisionRepository, KillSwitchService, PersonDeprovisioningService],
})
export class KillSwitchModule {}

@Module({
  imports: [AgentsModule, DpopModule, KillSwitchModule, PeopleModule, TaxonomyModule],
  providers: [
    AgentControlService,
    ApprovalEvents,
    ApprovalLifecycleService,
    ApprovalReportsRepository,
    ApprovalReportsService,
    ApprovalsService,
    ApproverService,
    CallbacksService,
    CibaRepository,
    CibaService,
    DecisionService,
    DeprovisioningFollowUps,
    IntakeService,
    IntakeWriter,
    LiveEvents,
    PartiesRepository,
    QuotaService,
  ],
  exports: [
    LiveEvents,
    AgentControlService,
    ApprovalLifecycleService,
    ApprovalReportsService,
    ApprovalsService,
    ApproverService,
    CallbacksService,
    CibaService,
    DecisionService,
    IntakeService,
  ],
})
export class ApprovalsModule {}
