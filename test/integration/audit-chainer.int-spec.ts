import { type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Client } from 'pg';
import { AUDIT_CHAIN_LOCK, AuditEventType, AuditService, CLI } from '@countersign/audit';
import { loadConfig } from '@countersign/config';
import { createMigratedDatabase, TEST_REDIS_URL, withClient } from '@countersign/testing';
import { CliModule } from '../../apps/cli/src';

/** Chaining the outbox while another process (here: a bare connection) holds the chain lock. */
describe('the audit chainer beside another chainer', () => {
  let database: { url: string; drop(): Promise<void> };
  let app: INestApplicationContext;
  let audit: AuditService;

  beforeAll(async () => {
    database = await createMigratedDatabase('audit_chainer');
    const config = loadConfig({
      DATABASE_URL: database.url,
      REDIS_URL: TEST_REDIS_URL,
      COUNTERSIGN_KEY_ENCRYPTION_SECRET: 'audit-chainer-secret-0123456789abcdef',
      LOG_LEVEL: 'silent',
    });
    app = await NestFactory.createApplicationContext(CliModule.forRoot(config), { logger: false });
    audit = app.get(AuditService);
  });
  afterAll(async () => {
    await app.close();
    await database.drop();
  });

  const outboxSize = () =>
    withClient(database.url, async (client) =>
      Number((await client.query<{ n: string }>('SELECT count(*) AS n FROM audit_outbox')).rows[0].n),
    );

  it('a tick gives way at once while the lock is held; flush waits for it; nothing is lost either way', async () => {
    const other = new Client({ connectionString: database.url });
    await other.connect();
    try {
      await other.query('BEGIN');
      await other.query('SELECT pg_advisory_xact_lock($1)', [AUDIT_CHAIN_LOCK]);
      await audit.record(CLI, [
        { type: AuditEventType.PersonCreated, subject: { type: 'person', id: 'p1' }, data: { email: 'p1@example.com' } },
      ]);

      const started = Date.now();
      await expect(audit.chainIfFree()).resolves.toBe(0);
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(await outboxSize()).toBe(1);

      let flushed = false;
      const flush = audit.flush().then((count) => {
        flushed = true;
        return count;
      });
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(flushed).toBe(false);

      await other.query('COMMIT');
      await flush;
      expect(await outboxSize()).toBe(0);
      await expect(audit.verify()).resolves.toEqual({ ok: true, checked: 1 });
    } finally {
      await other.end();
    }
  });

  it('a tick with the lock free chains everything pending', async () => {
    for (let i = 0; i < 3; i++)
      await audit.record(CLI, [{ type: AuditEventType.PersonCreated, subject: { type: 'person', id: `q${i}` }, data: { i } }]);
    await audit.chainIfFree();
    expect(await outboxSize()).toBe(0);
    await expect(audit.verify()).resolves.toEqual({ ok: true, checked: 4 });
  });
});
