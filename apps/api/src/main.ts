import { loadConfig } from '@countersign/config';
import { createRootLogger, PinoNestLogger } from '@countersign/observability';
import { createApiApp } from './app';

/** Runs the API alone (`countersign api`); `countersign start` runs it together with the worker. */
export async function runApi(): Promise<void> {
  const config = loadConfig();
  const logger = new PinoNestLogger(createRootLogger(config.logLevel, 'countersign-api'));
  const app = await createApiApp(config, logger);
  await app.listen({ port: config.port, host: '0.0.0.0' });
  logger.log(`API listening on port ${config.port}; public URL ${config.publicUrl}`, 'Main');
}
