import { type DynamicModule, type LoggerService, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { type CountersignConfig } from '@countersign/config';
import { openApiComponents } from '@countersign/contract';
import { Metrics } from '@countersign/observability';
import { ApiModule } from './api.module';
import { BODY_LIMIT_BYTES, registerBodyParsers, registerUrlGuard } from './http/body-parsers';
import { registerCorrelation } from './http/correlation';
import { registerWebApp } from './http/web-app';
import { RedisIoAdapter } from './live/redis-io.adapter';

/** Builds the API (not yet listening): `main.ts`, the CLI's `start` and the tests all go through here. */
export interface ApiAppOptions {
  /** Modules run in the same process (the CLI's `start` adds the worker's). */
  alongside?: Array<Type | DynamicModule>;
  /** Close on SIGTERM/SIGINT; off when the caller owns shutdown (start, tests). */
  shutdownHooks?: boolean;
}

export async function createApiApp(
  config: CountersignConfig,
  logger: LoggerService | false,
  options: ApiAppOptions = {},
): Promise<NestFastifyApplication> {
  // Behind TRUST_PROXY_HOPS proxies request.ip is the client's (from X-Forwarded-For); never believed otherwise.
  // (Fastify's own hop count, written as the function it compiles to; Nest's options type does not take the number.)
  const trustProxy = config.trustProxyHops > 0 ? (_address: string, hop: number) => hop < config.trustProxyHops : false;
  const adapter = new FastifyAdapter({ bodyLimit: BODY_LIMIT_BYTES, trustProxy });
  const app = await NestFactory.create<NestFastifyApplication>(ApiModule.forRoot(config, options.alongside), adapter, {
    logger: logger === false ? false : logger,
    bufferLogs: false,
    abortOnError: false,
    // Our own parsers (I-JSON, strict forms) replace Nest's.
    bodyParser: false,
  });
  const fastify = app.getHttpAdapter().getInstance();
  registerCorrelation(fastify);
  registerUrlGuard(fastify);
  registerBodyParsers(fastify);
  const web = await registerWebApp(fastify, config);
  if (!web && logger) logger.warn?.('the web app is not built (no index.html in WEB_ROOT or dist/web): serving the API only', 'WebApp');

  const metrics = app.get(Metrics);
  fastify.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.httpRequests.inc({ method: request.method, route, status: String(reply.statusCode) });
    metrics.httpDuration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
    done();
  });

  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Countersign')
      .setDescription('Human approval for AI agents: the agent API, the token endpoint, token consumption and the admin API.')
      .setVersion('0.1.0')
      .setOpenAPIVersion('3.1.0')
      .addBearerAuth()
      .addBasicAuth()
      .build(),
  );
  // The wire contract's schemas (libs/contract), which the controllers' responses refer to by `$ref`.
  document.components = { ...document.components, schemas: { ...document.components?.schemas, ...openApiComponents() } };
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs/openapi.json' });
  app.useWebSocketAdapter(new RedisIoAdapter(app, config));
  if (options.shutdownHooks ?? true) app.enableShutdownHooks();
  await app.init();
  return app;
}
