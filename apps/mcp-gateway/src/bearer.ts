import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import type { AuthorizationConfig } from './gateway-config';

/** RFC 9728's protected resource metadata, where an MCP client learns which authorization server to ask. */
export const RESOURCE_METADATA_PATH = '/.well-known/oauth-protected-resource';

/**
 * MCP authorization (2025-11-25) for the gateway as a resource server: a bearer JWT from the configured issuer, for
 * this gateway's audience, whose claim names the person the session's calls are approved for.
 */
export class BearerAuthorization {
  private readonly keys: ReturnType<typeof createRemoteJWKSet>;

  constructor(private readonly config: AuthorizationConfig) {
    this.keys = createRemoteJWKSet(new URL(config.jwksUri));
  }

  metadata(resource: string): Record<string, unknown> {
    return { resource, authorization_servers: [this.config.issuer], bearer_methods_supported: ['header'] };
  }

  /** The request's AuthInfo (the person in `extra.person`), or undefined once it has answered 401 itself. */
  async authenticate(request: IncomingMessage, response: ServerResponse, metadataUrl: string): Promise<AuthInfo | undefined> {
    const header = request.headers.authorization ?? '';
    const token = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/i.exec(header)?.[1];
    let failure = 'invalid_request", error_description="a bearer token is required';
    if (token !== undefined) {
      try {
        const { payload } = await jwtVerify(token, this.keys, { issuer: this.config.issuer, audience: this.config.audience });
        const person = payload[this.config.personClaim];
        if (typeof person === 'string' && person.length > 0) {
          const clientId = typeof payload.client_id === 'string' ? payload.client_id : (payload.sub ?? 'unknown');
          return { token, clientId, scopes: [], expiresAt: payload.exp, extra: { person } };
        }
        failure = `invalid_token", error_description="the token has no ${this.config.personClaim} claim`;
      } catch {
        failure = 'invalid_token", error_description="the token is not valid for this gateway';
      }
    }
    response.writeHead(401, {
      'www-authenticate': `Bearer error="${failure}", resource_metadata="${metadataUrl}"`,
      'content-type': 'text/plain',
    });
    response.end('unauthorized');
    return undefined;
  }
}
