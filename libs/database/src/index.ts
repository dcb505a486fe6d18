export { Database, postgresErrorCode, type Tx } from './database';
export { DatabaseModule } from './database.module';
export * from './entities';
export { createDataSource, MIGRATIONS } from '../../../migrations/data-source';
