import { type INestApplicationContext, type LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { type CountersignConfig, loadConfig } from '@countersign/config';
import { createRootLogger, PinoNestLogger } from '@countersign/observability';
import { WorkerModule } from './worker.module';

export async function createWorkerApp(config: CountersignConfig, logger: LoggerService | false): Promise<INestApplicationContext> {
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config), { logger, abortOnError: false });
  app.enableShutdownHooks();
  return app;
}

/** Runs the worker alone (`countersign worker`). */
export async function runWorker(): Promise<void> {
  const config = loadConfig();
  await createWorkerApp(config, new PinoNestLogger(createRootLogger(config.logLevel, 'countersign-worker')));
}
