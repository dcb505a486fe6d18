import { Global, Module } from '@nestjs/common';
import { CONFIG, type CountersignConfig } from '@countersign/config';
import { createDataSource } from '../../../migrations/data-source';
import { Database } from './database';

@Global()
@Module({
  providers: [
    {
      provide: Database,
      inject: [CONFIG],
      useFactory: async (config: CountersignConfig) => {
        const dataSource = createDataSource(config.databaseUrl, config.databasePoolSize);
        await dataSource.initialize();
        return new Database(dataSource);
      },
    },
  ],
  exports: [Database],
})
export class DatabaseModule {}
