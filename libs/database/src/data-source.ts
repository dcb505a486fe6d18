import { DataSource } from 'typeorm';
import { MIGRATIONS } from '../../../migrations';
import { ENTITIES } from './entities';

/** The one DataSource definition, shared by the API, the worker, the CLI and the tests. */
export function createDataSource(url: string, poolSize = 10, idleTimeoutMs = 10_000): DataSource {
  return new DataSource({
    type: 'postgres',
    url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    logging: false,
    extra: { max: poolSize, idleTimeoutMillis: idleTimeoutMs, application_name: 'countersign' },
  });
}
