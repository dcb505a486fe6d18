import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { type FastifyReply, type FastifyRequest } from 'fastify';
import { DomainError, IJsonError } from '@countersign/domain';
import { currentCorrelationId } from '@countersign/observability';
import { SCIM_PREFIX, sendScimError } from '../scim/scim-errors';
import { problem, type Problem, STATUS_BY_CODE } from './problem';

/**
 * Renders every error as application/problem+json (as a SCIM error body on the SCIM routes, RFC 7644 §3.12); the
 * only place the API maps errors to HTTP.
 */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger(ProblemFilter.name);

  catch(error: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const body = toProblem(error, this.logger);
    if (host.switchToHttp().getRequest<FastifyRequest>().url.startsWith(SCIM_PREFIX)) sendScimError(reply, body);
    else sendProblem(reply, body);
  }
}

export function sendProblem(reply: FastifyReply, body: Problem): void {
  if (body.status === 401)
    reply.header('www-authenticate', typeof body.challenge === 'string' ? body.challenge : 'Bearer error="invalid_token"');
  const retryAfter = body.retry_after_seconds;
  if (typeof retryAfter === 'number') reply.header('retry-after', String(retryAfter));
  void reply.status(body.status).header('content-type', 'application/problem+json').header('cache-control', 'no-store').send(body);
}

export function toProblem(error: unknown, logger: Logger): Problem {
  const correlationId = currentCorrelationId();
  if (error instanceof IJsonError) {
    return problem(400, 'invalid_json', error.message, correlationId, { field: error.pointer, reason: error.reason });
  }
  if (error instanceof DomainError) {
    const { field, retryAfterSeconds, errors, ...rest } = error.details ?? {};
    return problem(STATUS_BY_CODE[error.code], error.code, error.message, correlationId, {
      ...(typeof field === 'string' ? { field } : {}),
      ...(typeof retryAfterSeconds === 'number' ? { retry_after_seconds: retryAfterSeconds } : {}),
      ...(Array.isArray(errors) ? { errors } : {}),
      ...pickScalars(rest),
    });
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    // Nest hands body-parser failures (too large, wrong media type) over as HttpExceptions too.
    const code =
      status === 404 ? 'not_found' : status === 413 ? 'body_too_large' : status === 415 ? 'unsupported_media_type' : 'http_error';
    return problem(status, code, error.message, correlationId);
  }
  const fastifyError = error as { statusCode?: unknown; code?: unknown; message?: unknown };
  if (typeof fastifyError.statusCode === 'number' && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    const code =
      fastifyError.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
        ? 'body_too_large'
        : fastifyError.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
          ? 'unsupported_media_type'
          : 'invalid_request';
    return problem(fastifyError.statusCode, code, String(fastifyError.message), correlationId);
  }
  logger.error({ err: error, message: 'unhandled error' });
  return problem(
    500,
    'internal_error',
    `internal error; quote correlation id ${correlationId ?? '(none)'} when reporting it`,
    correlationId,
  );
}

function pickScalars(values: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => ['string', 'number', 'boolean'].includes(typeof value)));
}
