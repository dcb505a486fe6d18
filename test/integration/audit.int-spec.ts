import { type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AuditEventType, AuditService, CLI } from '@countersign/audit';
import { loadConfig } from '@countersign/config';
import { createMigratedDatabase, TEST_REDIS_URL, withClient } from '@countersign/testing';
import { CliModule } from '../../apps/cli/src';
import { SigningKeysService } from '@countersign/tokens';
import { type JWK } from 'jose';

describe('the audit log', () => {
  let database: { url: string; drop(): Promise<void> };
  let app: INestApplicationContext;
  let audit: AuditService;

  beforeAll(async () => {
    // A database of its own: this suite tampers with the chain on purpose.
    database = await createMigratedDatabase('audit');
    const config = loadConfig({
      DATABASE_URL: database.url,
      REDIS_URL: TEST_REDIS_URL,
      COUNTERSIGN_KEY_ENCRYPTION_SECRET: 'audit-suite-secret-0123456789abcdef',
      LOG_LEVEL: 'silent',
    });
    app = await NestFactory.createApplicationContext(CliModule.forRoot(config), { logger: false });
    audit = app.get(AuditService);
    for (let i = 0; i < 12; i++) {
      await audit.record(CLI, [
        { type: AuditEventType.PersonCreated, subject: { type: 'person', id: `p${i}` }, data: { email: `p${i}@example.com`, i } },
      ]);
    }
  });
  afterAll(async () => {
    await app.close();
    await database.drop();
  });

  it('chains every event to the one before it', async () => {
    const result = await audit.verify();
    expect(result).toEqual({ ok: true, checked: 12 });
  });

  it.each([
    ['UPDATE', `UPDATE audit_events SET data = '{}'::jsonb WHERE seq = 3`],
    ['DELETE', `DELETE FROM audit_events WHERE seq = 12`],
    ['TRUNCATE', `TRUNCATE audit_events`],
  ])('refuses %s from the database role the application uses', async (_verb, sql) => {
    await expect(withClient(database.url, (client) => client.query(sql))).rejects.toThrow(/append-only/);
    await expect(audit.verify()).resolves.toEqual({ ok: true, checked: 12 });
  });

  it('names the first broken link when a row is edited behind the triggers', async () => {
    await withClient(database.url, async (client) => {
      // Only an owner who disables the trigger can do this; verification must still notice.
      await client.query('ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update_delete');
      await client.query(`UPDATE audit_events SET data = jsonb_set(data, '{email}', '"mallory@example.com"') WHERE seq = 7`);
      await client.query('ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_update_delete');
    });
    const result = await audit.verify();
    expect(result).toMatchObject({ ok: false, checked: 6, broken: { seq: '7', problem: 'hash_mismatch' } });
  });

  it('keeps a rotated key published until its tokens can have expired', async () => {
    const keys = app.get(SigningKeysService);
    await keys.ensureActiveKey(CLI);
    const before = (await keys.jwks()).keys.map((key: JWK) => key.kid);
    const rotated = await keys.rotate(CLI);
    const after = (await keys.jwks()).keys.map((key: JWK) => key.kid);
    expect(after).toEqual(expect.arrayContaining([...before, rotated.kid]));
    await withClient(database.url, (client) =>
      client.query(`UPDATE signing_keys SET publish_until = now() - interval '1 second' WHERE kid = $1`, [rotated.retired]),
    );
    expect((await keys.jwks()).keys.map((key: JWK) => key.kid)).toEqual([rotated.kid]);
    const stored = await withClient(
      database.url,
      async (client) =>
        (await client.query<{ private_key_enc: string }>('SELECT private_key_enc FROM signing_keys WHERE kid = $1', [rotated.kid])).rows[0]
          .private_key_enc,
    );
    expect(stored).toMatch(/^v1\./);
    expect(stored).not.toContain('PRIVATE KEY');
  });
});
