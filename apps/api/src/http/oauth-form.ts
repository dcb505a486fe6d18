import { type FastifyReply, type FastifyRequest } from 'fastify';
import { type ClientCredentials, OAuthError } from '@countersign/agents';
import { basicCredentials } from './auth.guards';

/** An OAuth endpoint's form body, each parameter once, and the client's credentials (basic or post). */
export interface OAuthForm {
  form: Record<string, string>;
  client: ClientCredentials;
}

/**
 * The token and backchannel authentication endpoints' one reading of their request (RFC 6749 §2.3, §3.2):
 * application/x-www-form-urlencoded, no parameter twice, no NUL, and exactly one client authentication method.
 */
export function readOAuthForm(request: FastifyRequest): OAuthForm {
  if (!String(request.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
    throw new OAuthError('invalid_request', 'the request must be application/x-www-form-urlencoded');
  }
  const raw = (request.body ?? {}) as Record<string, string | string[]>;
  const repeated = Object.keys(raw).find((key) => Array.isArray(raw[key]));
  if (repeated) throw new OAuthError('invalid_request', `parameter ${repeated} is repeated`);
  const withNul = Object.keys(raw).find((key) => key.includes('\u0000') || (raw[key] as string).includes('\u0000'));
  if (withNul !== undefined) throw new OAuthError('invalid_request', `parameter ${JSON.stringify(withNul)} contains NUL`);
  const form = raw as Record<string, string>;
  const usedBasic = /^Basic /i.test(request.headers.authorization ?? '');
  const basic = basicCredentials(request.headers.authorization);
  if (usedBasic && !basic) throw new OAuthError('invalid_client', 'malformed HTTP Basic credentials');
  if (basic && ((form.client_id !== undefined && form.client_id !== basic.id) || form.client_secret !== undefined)) {
    throw new OAuthError('invalid_request', 'use exactly one client authentication method');
  }
  return {
    form,
    client: { clientId: basic?.id ?? form.client_id, clientSecret: basic?.secret ?? form.client_secret, remoteAddress: request.ip },
  };
}

/** Runs an OAuth endpoint: its answer as JSON, never cached; an OAuthError as its RFC 6749 §5.2 error body. */
export async function answerOAuth(reply: FastifyReply, handle: () => Promise<object>): Promise<void> {
  void reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
  try {
    void reply.status(200).send(await handle());
  } catch (error) {
    if (!(error instanceof OAuthError)) throw error;
    if (error.status === 401) void reply.header('www-authenticate', 'Basic realm="countersign"');
    if (error.retryAfterSeconds !== undefined) void reply.header('retry-after', String(error.retryAfterSeconds));
    void reply.status(error.status).send({ error: error.error, error_description: error.description });
  }
}
