import { Global, Module } from '@nestjs/common';
import { CONFIG, type CountersignConfig } from '@countersign/config';
import { createDataSource } from './data-source';
import { type DataSource } from 'typeorm';
import { Database, postgresErrorCode } from './database';

const CONNECT_ATTEMPTS = 20;
const CONNECT_RETRY_MS = 500;

/** Postgres may still be starting (compose) or busy with its one connection (embedded): retry for ~10 s. */
async function initializeWithRetry(dataSource: DataSource): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await dataSource.initialize();
      return;
    } catch (error) {
      // A SQLSTATE means the server answered (bad database, bad role): retrying cannot help.
      if (attempt >= CONNECT_ATTEMPTS || /^[0-9A-Z]{5}$/.test(postgresErrorCode(error) ?? '')) throw error;
      await new Promise((resolve) => setTimeout(resolve, CONNECT_RETRY_MS));
    }
  }
}

@Global()
@Module({
  providers: [
    {
      provide: Database,
      inject: [CONFIG],
      useFactory: async (config: CountersignConfig) => {
        const dataSource = createDataSource(config.databaseUrl, config.databasePoolSize, config.databaseIdleTimeoutMs);
        await initializeWithRetry(dataSource);
        return new Database(dataSource, { preparedStatements: config.databasePreparedStatements });
      },
    },
  ],
  exports: [Database],
})
export class DatabaseModule {}
