import { type DynamicModule, Injectable, Module, type OnApplicationBootstrap, type Type } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { AgentsModule, OAuthModule } from '@countersign/agents';
import { ApprovalsModule } from '@countersign/approvals';
import { AuditModule, SYSTEM } from '@countersign/audit';
import { ChannelsModule } from '@countersign/channels';
import { ConfigModule, type CountersignConfig } from '@countersign/config';
import { DatabaseModule } from '@countersign/database';
import { DirectoryModule } from '@countersign/directory';
import { ObservabilityModule } from '@countersign/observability';
import { EnrollmentService, PeopleModule } from '@countersign/people';
import { QueueModule } from '@countersign/queue';
import { TaxonomyModule, TaxonomyService } from '@countersign/taxonomy';
import { DpopModule, SigningKeysService, TokensModule } from '@countersign/tokens';
import { AdminAgentsController } from './controllers/admin-agents.controller';
import { AdminAuditController } from './controllers/admin-audit.controller';
import { AdminGroupsController } from './controllers/admin-groups.controller';
import { AdminOverviewController } from './controllers/admin-overview.controller';
import { AdminPeopleController } from './controllers/admin-people.controller';
import { AdminResourceServersController } from './controllers/admin-resource-servers.controller';
import { AdminTaxonomyController } from './controllers/admin-taxonomy.controller';
import { ApprovalTokensController } from './controllers/approval-tokens.controller';
import { ApprovalsController } from './controllers/approvals.controller';
import { AuthController } from './controllers/auth.controller';
import { SsoController } from './controllers/sso.controller';
import { AdminSlackController, MeChannelsController, PushController } from './controllers/channels.controller';
import { HealthController } from './controllers/health.controller';
import { JwksController } from './controllers/jwks.controller';
import { MeController } from './controllers/me.controller';
import { MetricsController } from './controllers/metrics.controller';
import { DiscoveryController, OAuthController } from './controllers/oauth.controller';
import { SlackController } from './controllers/slack.controller';
import { TeamsController } from './controllers/teams.controller';
import { LiveGateway } from './live/live.gateway';
import { ApprovalTools } from './mcp/approval-tools';
import { McpController } from './mcp/mcp.controller';
import { McpSessions } from './mcp/mcp-sessions';
import { AdminGuard, AgentAuthGuard, PeopleOnlyGuard, ResourceServerAuthGuard, SessionGuard } from './http/auth.guards';
import { ProblemFilter } from './http/problem.filter';
import { SignInThrottleGuard } from './http/sign-in-throttle.guard';
import { ScimAuthGuard } from './scim/scim-auth.guard';
import { ScimController } from './scim/scim.controller';

/**
 * First start: a signing key and the default taxonomy exist before the first request, and someone can become admin.
 * Idempotent across instances.
 */
@Injectable()
class FirstStart implements OnApplicationBootstrap {
  constructor(
    private readonly keys: SigningKeysService,
    private readonly taxonomy: TaxonomyService,
    private readonly enrollment: EnrollmentService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.keys.ensureActiveKey(SYSTEM);
    await this.taxonomy.ensureBootstrapped(SYSTEM);
    await this.enrollment.ensureFirstAdmin();
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
        DpopModule,
        AgentsModule,
        OAuthModule,
        TaxonomyModule,
        PeopleModule,
        DirectoryModule,
        ApprovalsModule,
        ChannelsModule,
        TerminusModule,
        ...alongside,
      ],
      controllers: [
        AdminAgentsController,
        AdminAuditController,
        AdminGroupsController,
        AdminOverviewController,
        AdminSlackController,
        AdminPeopleController,
        AdminResourceServersController,
        AdminTaxonomyController,
        ApprovalTokensController,
        ApprovalsController,
        AuthController,
        SsoController,
        HealthController,
        JwksController,
        MeChannelsController,
        MeController,
        McpController,
        MetricsController,
        DiscoveryController,
        OAuthController,
        PushController,
        ScimController,
        SlackController,
        TeamsController,
      ],
      providers: [
        FirstStart,
        LiveGateway,
        ApprovalTools,
        McpSessions,
        AgentAuthGuard,
        ResourceServerAuthGuard,
        AdminGuard,
        SessionGuard,
        PeopleOnlyGuard,
        SignInThrottleGuard,
        ScimAuthGuard,
        { provide: APP_FILTER, useClass: ProblemFilter },
      ],
    };
  }
}
