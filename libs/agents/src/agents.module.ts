import { Module } from '@nestjs/common';
import { AgentRepository } from './agent.repository';
import { AgentsService } from './agents.service';
import { OAuthService } from './oauth.service';
import { ResourceServerRepository } from './resource-server.repository';
import { ResourceServersService } from './resource-servers.service';
import { SecretChecker } from './secret-checker';

/** Agents and resource servers; needs Postgres only (the CLI uses it without Redis). */
@Module({
  providers: [AgentRepository, AgentsService, ResourceServerRepository, ResourceServersService, SecretChecker],
  exports: [AgentRepository, AgentsService, ResourceServersService, SecretChecker],
})
export class AgentsModule {}

/** The token endpoint's logic; needs Redis too (failed-attempt throttling), so only the API imports it. */
@Module({ imports: [AgentsModule], providers: [OAuthService], exports: [OAuthService] })
export class OAuthModule {}
