import { Module } from '@nestjs/common';
import { AgentRepository } from './agent.repository';
import { AgentsService } from './agents.service';
import { OAuthService } from './oauth.service';
import { ResourceServerRepository } from './resource-server.repository';
import { ResourceServersService } from './resource-servers.service';
import { SecretChecker } from './secret-checker';

@Module({
  providers: [AgentRepository, AgentsService, OAuthService, ResourceServerRepository, ResourceServersService, SecretChecker],
  exports: [AgentsService, OAuthService, ResourceServersService],
})
export class AgentsModule {}
