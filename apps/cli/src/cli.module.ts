import { type DynamicModule, Module } from '@nestjs/common';
import { AgentsModule } from '@countersign/agents';
import { ApprovalsModule, KillSwitchModule } from '@countersign/approvals';
import { AuditModule } from '@countersign/audit';
import { ChannelsDeprovisioningModule } from '@countersign/channels';
import { ConfigModule, type CountersignConfig } from '@countersign/config';
import { DatabaseModule } from '@countersign/database';
import { DirectoryModule } from '@countersign/directory';
import { ObservabilityModule } from '@countersign/observability';
import { PeopleModule } from '@countersign/people';
import { QueueModule } from '@countersign/queue';
import { TaxonomyModule } from '@countersign/taxonomy';
import { TokensModule } from '@countersign/tokens';

/**
 * What the admin commands need: Postgres and the feature services (the kill switch's and deprovisioning's
 * transactions among them), no HTTP. With `live`, also Redis and the approvals library, for the commands whose effect the running instances must
 * see at once (the kill switch wakes long-polls and sends callbacks as the API's does).
 */
@Module({})
export class CliModule {
  static forRoot(config: CountersignConfig, options: { live?: boolean } = {}): DynamicModule {
    return {
      module: CliModule,
      imports: [
        ConfigModule.forRoot(config),
        DatabaseModule,
        AuditModule,
        TokensModule,
        AgentsModule,
        PeopleModule,
        DirectoryModule,
        TaxonomyModule,
        KillSwitchModule,
        ChannelsDeprovisioningModule,
        ...(options.live ? [ObservabilityModule, QueueModule, ApprovalsModule] : []),
      ],
    };
  }
}
