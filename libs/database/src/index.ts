export { Database, postgresErrorCode, type Tx } from './database';
export { DatabaseModule } from './database.module';
export { MicroBatch } from './micro-batch';
export * from './entities';
export { createDataSource } from './data-source';
export { MIGRATIONS } from '../../../migrations';
