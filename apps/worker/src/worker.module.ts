import { type DynamicModule, Module } from '@nestjs/common';
import { ApprovalsModule } from '@countersign/approvals';
import { AuditModule } from '@countersign/audit';
import { ChannelsModule } from '@countersign/channels';
import { ConfigModule, type CountersignConfig } from '@countersign/config';
import { DatabaseModule } from '@countersign/database';
import { ObservabilityModule } from '@countersign/observability';
import { QueueModule } from '@countersign/queue';
import { TokensModule } from '@countersign/tokens';
import { JobHandlers } from './job-handlers';
import { WorkerRunner } from './worker.runner';

/** The worker's feature set without config: `start` mounts it next to the API in one process. */
@Module({
  imports: [ApprovalsModule, ChannelsModule],
  providers: [JobHandlers, WorkerRunner],
})
export class WorkerFeatureModule {}

@Module({})
export class WorkerModule {
  static forRoot(config: CountersignConfig): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        ConfigModule.forRoot(config),
        ObservabilityModule,
        DatabaseModule,
        AuditModule,
        QueueModule,
        TokensModule,
        WorkerFeatureModule,
      ],
    };
  }
}
