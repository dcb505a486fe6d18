import { type FastifyInstance, type FastifyRequest } from 'fastify';
import { DomainError, parseIJson } from '@countersign/domain';

/** The largest request body the API reads (the limit for approval requests). */
export const BODY_LIMIT_BYTES = 64 * 1024;

/** Taxonomy files sent to the admin API as YAML, the way they live in version control; larger than a request. */
export const TAXONOMY_BODY_LIMIT_BYTES = 1024 * 1024;
const TAXONOMY_ROUTES = '/v1/admin/taxonomy/';
/** Slack signs the raw bytes: its routes keep the body as received, beside the parsed value. */
const RAW_BODY_ROUTES = '/slack/';
const rawBodies = new WeakMap<FastifyRequest, string>();

/** The body exactly as received, for routes that verify a signature over it (Slack). */
export function rawBodyOf(request: FastifyRequest): string | undefined {
  return rawBodies.get(request);
}

function keepRaw(request: FastifyRequest, body: string): void {
  if (request.url.startsWith(RAW_BODY_ROUTES)) rawBodies.set(request, body);
}

/**
 * A percent-encoded NUL in the path or query would reach Postgres as U+0000, which text cannot hold: refused before
 * routing, naming the query parameter. (Node refuses a raw NUL in the request line and headers itself; JSON bodies
 * refuse it in `parseIJson`.)
 */
export function registerUrlGuard(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', (request, _reply, done) => {
    const url = request.url;
    if (!/%00/i.test(url)) return done();
    const queryStart = url.indexOf('?');
    const path = queryStart < 0 ? url : url.slice(0, queryStart);
    if (/%00/i.test(path)) return done(new DomainError('invalid_request', 'the request path contains %00 (NUL)'));
    let field: string | undefined;
    for (const [key, value] of new URLSearchParams(url.slice(queryStart + 1))) {
      if (key.includes('\u0000') || value.includes('\u0000')) {
        field = key;
        break;
      }
    }
    done(
      new DomainError(
        'invalid_request',
        `query parameter ${JSON.stringify(field ?? '')} contains %00 (NUL)`,
        field === undefined ? {} : { field },
      ),
    );
  });
}

/**
 * JSON bodies are parsed as I-JSON (RFC 7493): duplicate keys, unsafe integers, lone surrogates and deep nesting
 * are refused with the JSON pointer of the offending value, before anything is canonicalized or stored; so are
 * U+0000 and the key "__proto__", on every JSON route.
 * Form bodies keep repeated parameters visible so the token endpoint can refuse them (RFC 6749 §3.2).
 */
export function registerBodyParsers(fastify: FastifyInstance): void {
  fastify.removeContentTypeParser(['application/json', 'text/plain']);
  // SCIM clients send application/scim+json (RFC 7644 §3.1); it is JSON, parsed the same way.
  fastify.addContentTypeParser(
    ['application/json', 'application/scim+json'],
    { parseAs: 'string', bodyLimit: BODY_LIMIT_BYTES },
    (request, body, done) => {
      const text = body as string;
      keepRaw(request, text);
      if (text.trim() === '') return done(null, undefined);
      try {
        done(null, parseIJson(text));
      } catch (error) {
        done(error as Error, undefined);
      }
    },
  );
  fastify.addContentTypeParser(
    ['application/yaml', 'text/yaml'],
    { parseAs: 'string', bodyLimit: TAXONOMY_BODY_LIMIT_BYTES },
    (request, body, done) => {
      if (!request.url.startsWith(TAXONOMY_ROUTES)) {
        done(
          Object.assign(new Error('YAML bodies are accepted by the taxonomy admin API only'), {
            statusCode: 415,
            code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE',
          }),
          undefined,
        );
        return;
      }
      done(null, body);
    },
  );
  fastify.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: BODY_LIMIT_BYTES },
    (request, body, done) => {
      keepRaw(request, body as string);
      // A repeated parameter becomes an array; the token endpoint refuses it in RFC 6749's own error format.
      const form: Record<string, string | string[]> = {};
      for (const [key, value] of new URLSearchParams(body as string)) {
        const existing = form[key];
        form[key] = existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value];
      }
      done(null, form);
    },
  );
}
