import { type FastifyInstance } from 'fastify';
import { correlationIdFrom, runWithCorrelationId } from '@countersign/observability';

/** Every request runs inside its correlation id (X-Request-Id if plain, else a new one), echoed back. */
export function registerCorrelation(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    const correlationId = correlationIdFrom(request.headers['x-request-id']);
    void reply.header('x-request-id', correlationId);
    runWithCorrelationId(correlationId, done);
  });
}
