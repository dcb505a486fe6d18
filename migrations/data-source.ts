import { DataSource } from 'typeorm';
import { ENTITIES } from '../libs/database/src/entities';
import { InitialSchema1764000000000 } from './1764000000000-initial-schema';
import { PeopleAndDecisions1764100000000 } from './1764100000000-people-and-decisions';
import { TaxonomyAdmin1764200000000 } from './1764200000000-taxonomy-admin';
import { Channels1764300000000 } from './1764300000000-channels';
import { SlackDmChannel1764400000000 } from './1764400000000-slack-dm-channel';
import { AgentPendingCount1764500000000 } from './1764500000000-agent-pending-count';
import { DeliveryClaims1764600000000 } from './1764600000000-delivery-claims';
import { PersonPendingCount1764640000000 } from './1764640000000-person-pending-count';
import { DeliverySentAt1764700000000 } from './1764700000000-delivery-sent-at';

export const MIGRATIONS = [
  InitialSchema1764000000000, PeopleAndDecisions1764100000000, TaxonomyAdmin1764200000000, Channels1764300000000, SlackDmChannel1764400000000,
  AgentPendingCount1764500000000, DeliveryClaims1764600000000, PersonPendingCount1764640000000, DeliverySentAt1764700000000,
];

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

/** For the TypeORM CLI (`typeorm migration:generate -d dist/migrations/data-source.js`). */
export default createDataSource(process.env.DATABASE_URL ?? 'postgres://localhost/countersign');
