export { agentFromRow, type AgentRecord } from './agent.repository';
export { AgentsModule, OAuthModule } from './agents.module';
export { type AgentView, AgentsService, type CibaRegistration, cibaOf, type CreateAgent, type CreatedAgent } from './agents.service';
export { CIBA_GRANT_TYPE, type ClientCredentials, OAuthError, type OAuthErrorCode, OAuthService, type TokenRequest } from './oauth.service';
export { type ResourceServerView, ResourceServersService } from './resource-servers.service';
