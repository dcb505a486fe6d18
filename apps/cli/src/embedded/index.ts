export { type EmbeddedLogger, type EmbeddedService } from './embedded-logger';
export { startEmbeddedPostgres, type EmbeddedPostgresOptions } from './embedded-postgres';
export { ensureRedis, type EnsureRedisOptions } from './ensure-redis';
