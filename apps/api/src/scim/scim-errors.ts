import { type FastifyReply } from 'fastify';
import { SCIM, type ScimType } from '@countersign/directory';
import { type Problem } from '../http/problem';

/** The SCIM routes' prefix: errors under it are SCIM error bodies, not problem+json. */
export const SCIM_PREFIX = '/scim/';

export const SCIM_CONTENT_TYPE = 'application/scim+json; charset=utf-8';

/**
 * RFC 7644 §3.12: a problem as SCIM's error body. The `scimType` is the one the refusal named, else the one its code
 * means (a malformed body is `invalidSyntax`, a taken name or id `uniqueness`, other bad input `invalidValue`).
 */
export function sendScimError(reply: FastifyReply, problem: Problem): void {
  if (problem.status === 401) void reply.header('www-authenticate', 'Bearer realm="countersign-scim"');
  if (typeof problem.retry_after_seconds === 'number') void reply.header('retry-after', String(problem.retry_after_seconds));
  void reply
    .status(problem.status)
    .header('content-type', SCIM_CONTENT_TYPE)
    .header('cache-control', 'no-store')
    .send({
      schemas: [SCIM.error],
      status: String(problem.status),
      ...(scimTypeOf(problem) ? { scimType: scimTypeOf(problem) } : {}),
      detail: problem.detail,
    });
}

function scimTypeOf(problem: Problem): ScimType | undefined {
  if (typeof problem.scimType === 'string') return problem.scimType as ScimType;
  if (problem.code === 'invalid_json') return 'invalidSyntax';
  if (problem.code === 'conflict') return 'uniqueness';
  if (problem.status === 400) return 'invalidValue';
  return undefined;
}
