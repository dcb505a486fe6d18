import { type DynamicModule, Injectable, Module, type OnApplicationBootstrap, type Type } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { AgentsModule, OAuthModule } from '@countersign/agents';
import { ApprovalsModule } from '@countersign/approvals';
import { AuditModule, SYSTEM } from '@countersign/audit';
import { ConfigModule, type CountersignConfig } from '@countersign/config';
import { DatabaseModule } from '@countersign/database';
import { ObservabilityModule } from '@countersign/observability';
import { QueueModule } from '@countersign/queue';
import { TaxonomyModule, TaxonomyService } from '@countersign/taxonomy';
import { SigningKeysService, TokensModule } from '@countersign/tokens';
import { AdminAuditController } from './controllers/admin-audit.controller';
import { AdminTaxonomyController } from './controllers/admin-taxonomy.controller';
import { ApprovalTokensController } from './controllers/approval-tokens.controller';
import { ApprovalsController } from './controllers/approvals.controller';
import { HealthController } from './controllers/health.controller';
import { JwksController } from './controllers/jwks.controller';
import { MetricsController } from './controllers/metrics.controller';
import { OAuthController } from './controllers/oauth.controller';
import { AdminTokenGuard, AgentAuthGuard, ResourceServerAuthGuard } from './http/auth.guards';
import { ProblemFilter } from './http/problem.filter';

/** First start: a signing key and the default taxonomy exist before the first request. Idempotent across instances. */
@Injectable()
class FirstStart implements OnApplicationBootstrap {
  constructor(
    private readonly keys: SigningKeysService,
    private readonly taxonomy: TaxonomyService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.keys.ensureActiveKey(SYSTEM);
    await this.taxonomy.ensureBootstrapped(SYSTEM);
  }
}

@Module({})
export class ApiModule {
  /** `alongside`: modules to run in the same process (the CLI's `start` adds the worker's). */
  static forRoot(config: CountersignConfig, alongside: Array<Type | DynamicModule> = []): DynamicModule {
    return {
      module: ApiModule,
      imports: [
        ConfigModule.forRoot(config),
        ObservabilityModule,
        DatabaseModule,
        AuditModule,
        QueueModule,
        TokensModule,
        AgentsModule,
        OAuthModule,
        TaxonomyModule,
        ApprovalsModule,
        TerminusModule,
        ...alongside,
      ],
      controllers: [
        AdminAuditController,
        AdminTaxonomyController,
        ApprovalTokensController,
        ApprovalsController,
        HealthController,
        JwksController,
        MetricsController,
        OAuthController,
      ],
      providers: [FirstStart, AgentAuthGuard, ResourceServerAuthGuard, AdminTokenGuard, { provide: APP_FILTER, useClass: ProblemFilter }],
    };
  }
}
