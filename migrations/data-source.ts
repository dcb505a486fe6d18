import { createDataSource } from '../libs/database/src/data-source';

// For the TypeORM CLI only (`typeorm migration:generate -d dist/migrations/data-source.js`): it builds a DataSource
// when imported, so nothing else imports this file (the code uses createDataSource from @countersign/database).
export default createDataSource(process.env.DATABASE_URL ?? 'postgres://localhost/countersign');
