export { agentFromRow, type AgentRecord } from './agent.repository';
export { AgentsModule, OAuthModule } from './agents.module';
export { type AgentView, type CreateAgent, type CreatedAgent, AgentsService } from './agents.service';
export { OAuthError, type OAuthErrorCode, OAuthService, type TokenRequest } from './oauth.service';
export { type ResourceServerView, ResourceServersService } from './resource-servers.service';
