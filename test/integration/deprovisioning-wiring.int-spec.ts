import { type INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { KillSwitchModule } from '@countersign/approvals';
import { AuditModule, CLI } from '@countersign/audit';
import { ChannelsDeprovisioningModule } from '@countersign/channels';
import { ConfigModule, loadConfig } from '@countersign/config';
import { DatabaseModule } from '@countersign/database';
import { PeopleModule, PeopleService } from '@countersign/people';
import { TokensModule } from '@countersign/tokens';
import { TEST_REDIS_URL, testEnv, withClient } from '@countersign/testing';

/** Disabling a person in a process that lacks a deprovisioning part must refuse, not half-deprovision. */
describe('deprovisioning wiring: every part loaded, or nothing is written', () => {
  const config = loadConfig(testEnv({ REDIS_URL: TEST_REDIS_URL }));
  const contexts: INestApplicationContext[] = [];
  const open = async (...parts: Array<typeof KillSwitchModule | typeof ChannelsDeprovisioningModule>) => {
    @Module({ imports: [ConfigModule.forRoot(config), DatabaseModule, AuditModule, TokensModule, PeopleModule, ...parts] })
    class Context {}
    const context = await NestFactory.createApplicationContext(Context, { logger: false });
    contexts.push(context);
    return context.get(PeopleService);
  };
  afterAll(async () => {
    for (const context of contexts) await context.close();
  });

  const statusOf = (id: string) =>
    withClient(
      config.databaseUrl,
      async (client) => (await client.query<{ status: string }>(`SELECT status FROM people WHERE id = $1`, [id])).rows[0].status,
    );

  it.each([
    ['the channels part', [KillSwitchModule]],
    ['the approvals part', [ChannelsDeprovisioningModule]],
  ] as const)('refuses without %s, and the person stays enabled', async (missing, parts) => {
    const people = await open(...parts);
    const person = await people.add(CLI, { email: `wiring-${Date.now()}-${missing.length}@example.com`, role: 'member', permissions: [] });
    await expect(people.update(CLI, person.id, { status: 'disabled' })).rejects.toThrow(/not loaded/);
    expect(await statusOf(person.id)).toBe('active');
    // Other changes do not need the parts.
    expect((await people.update(CLI, person.id, { role: 'approver' })).role).toBe('approver');
  });

  it('disables with both parts loaded (the CLI has both, without Redis)', async () => {
    const people = await open(KillSwitchModule, ChannelsDeprovisioningModule);
    const person = await people.add(CLI, { email: `wiring-both-${Date.now()}@example.com`, role: 'member', permissions: [] });
    expect((await people.update(CLI, person.id, { status: 'disabled' })).status).toBe('disabled');
    expect(await statusOf(person.id)).toBe('disabled');
  });
});
