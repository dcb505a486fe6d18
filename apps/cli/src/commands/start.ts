import { type LoggerService } from '@nestjs/common';
import { type NestFastifyApplication } from '@nestjs/platform-fastify';
import { type Logger } from 'pino';
import { createApiApp } from '../../../api/src';
import { WorkerFeatureModule } from '../../../worker/src';
import { loadConfig } from '@countersign/config';
import { PinoNestLogger } from '@countersign/observability';
import { prepareForStart } from '../local-environment';
import { runMigrations } from './migrate';

/**
 * `npm start`: fills in what is missing for an evaluation run, migrates, then serves the API and runs the worker in
 * one process (with the embedded database they must share its single connection). Production runs `api` and
 * `worker` as separate processes instead (docker-compose.yml).
 */
export async function start(root: Logger): Promise<void> {
  const embeddedLogger = {
    info: (message: string, context?: object) => root.info(context ?? {}, message),
    warn: (message: string, context?: object) => root.warn(context ?? {}, message),
  };
  const local = await prepareForStart(embeddedLogger);
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    root.info(`received ${signal}; shutting down`);
    await app?.close();
    await local.stop();
    process.exit(0);
  };
  process.once('SIGINT', (signal) => void shutdown(signal));
  process.once('SIGTERM', (signal) => void shutdown(signal));

  let app: NestFastifyApplication | undefined;
  try {
    const config = loadConfig(local.env);
    await runMigrations(config.databaseUrl, (message) => root.info(message));
    const logger: LoggerService = new PinoNestLogger(root);
    app = await createApiApp(config, logger, { alongside: [WorkerFeatureModule], shutdownHooks: false });
    await app.listen({ port: config.port, host: '0.0.0.0' });
    root.info(`Countersign is running: API ${config.publicUrl} (OpenAPI at ${config.publicUrl}/docs) with the worker in the same process`);
  } catch (error) {
    // The embedded database and a private Redis must not outlive a failed start.
    await app?.close().catch(() => undefined);
    await local.stop();
    throw error;
  }
}
