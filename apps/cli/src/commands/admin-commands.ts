import { type INestApplicationContext } from '@nestjs/common';
import { AgentsService, type CibaRegistration, ResourceServersService } from '@countersign/agents';
import { DomainError } from '@countersign/domain';
import { AgentControlService, KillSwitchService } from '@countersign/approvals';
import { AuditService, CLI } from '@countersign/audit';
import { EnrollmentService, GroupsService, PeopleService, type Role } from '@countersign/people';
import { CONFIG, type CountersignConfig } from '@countersign/config';
import { ScimTokensService } from '@countersign/directory';
import { ACTIVE_KEY_CACHE_MS, announceRotation, SigningKeysService } from '@countersign/tokens';
import { type Output, splitList, table } from '../output';

/** Each admin command: one service call, then output. The services audit as the `cli` actor. */
export const adminCommands = {
  async agentsCreate(
    app: INestApplicationContext,
    out: Output,
    options: {
      name: string;
      capabilities: string;
      callbackSecret?: boolean;
      requestsPerMinute?: number;
      maxPending?: number;
      cibaMode?: string;
      cibaNotificationEndpoint?: string;
      cibaTypes?: string;
    },
  ) {
    const created = await app.get(AgentsService).create(CLI, {
      name: options.name,
      capabilities: splitList(options.capabilities),
      withCallbackSecret: options.callbackSecret === true,
      requestsPerMinute: options.requestsPerMinute,
      maxPending: options.maxPending,
      ciba: cibaOption(options),
    });
    out.result({ ...created.agent, client_secret: created.clientSecret, callback_secret: created.callbackSecret }, () =>
      [
        `Created agent ${created.agent.name}`,
        `  client id:       ${created.agent.clientId}`,
        `  client secret:   ${created.clientSecret}`,
        ...(created.callbackSecret ? [`  callback secret: ${created.callbackSecret}`] : []),
        ...(created.agent.ciba
          ? [`  CIBA:            ${created.agent.ciba.deliveryMode}, types ${created.agent.ciba.authorizationDetailsTypes.join(', ')}`]
          : []),
        'The secret is shown once and stored only as a hash: keep it now.',
      ].join('\n'),
    );
  },

  /**
   * The kill switch. With Redis (`live`) it is the API's: waiting long-polls wake and callbacks go out at once.
   * Without, the agent is suspended all the same (the kill switch never waits on Redis), the command says what
   * follows later and exits 1.
   */
  async agentsSuspend(
    app: INestApplicationContext,
    out: Output,
    reference: string,
    reason: string | undefined,
    live: boolean,
  ): Promise<boolean> {
    const { agent, cancelledApprovals } = live
      ? await app.get(AgentControlService).suspend(CLI, reference, reason)
      : await app.get(KillSwitchService).suspend(CLI, reference, reason);
    out.result({ ...agent, cancelled_approvals: cancelledApprovals }, () =>
      [
        `Agent ${agent.name} (${agent.clientId}) is suspended: its access and unconsumed approval tokens no longer work`,
        `  pending approvals cancelled: ${cancelledApprovals.length}${cancelledApprovals.length && live ? ' (their waiting agents were told, callbacks are on their way)' : ''}`,
      ].join('\n'),
    );
    if (live || cancelledApprovals.length === 0) return true;
    out.warn(
      `the agent is suspended, but Redis (REDIS_URL) could not be reached to tell the running instances: agents waiting on the ${cancelledApprovals.length} cancelled approval(s) ` +
        "learn it when their wait ends, and their callbacks go out with the worker's next sweep.",
    );
    return false;
  },

  async agentsResume(app: INestApplicationContext, out: Output, reference: string) {
    const agent = await app.get(AgentsService).resume(CLI, reference);
    out.result(agent, () => `Agent ${agent.name} (${agent.clientId}) is ${agent.status}`);
  },

  async agentsList(app: INestApplicationContext, out: Output) {
    const agents = await app.get(AgentsService).list();
    out.result(agents, () =>
      table(
        agents.map((agent) => ({
          name: agent.name,
          client_id: agent.clientId,
          status: agent.status,
          capabilities: agent.capabilities.join(','),
          'rpm/pending': `${agent.requestsPerMinute}/${agent.maxPending}`,
        })),
      ),
    );
  },

  async peopleAdd(
    app: INestApplicationContext,
    out: Output,
    options: { email: string; role: string; permissions?: string; name?: string },
  ) {
    const { person, enrollment } = await app.get(EnrollmentService).invite(CLI, {
      email: options.email,
      displayName: options.name,
      role: options.role as Role,
      permissions: splitList(options.permissions),
    });
    out.result({ ...person, enrollment }, () =>
      [
        `Added ${person.email} (${person.role}) with id ${person.id}`,
        enrollment
          ? `  enrollment link (once, until ${enrollment.expires_at}${enrollment.emailed ? `; emailed to ${person.email}` : ''}): ${enrollment.url}`
          : '  no enrollment link: this deployment requires single sign-on, so they sign in through their organization',
      ].join('\n'),
    );
  },

  async peopleEnrollLink(app: INestApplicationContext, out: Output, reference: string) {
    const enrollment = await app.get(EnrollmentService).issueLink(CLI, reference);
    out.result(
      enrollment,
      () =>
        `Enrollment link (once, until ${enrollment.expires_at}; earlier links stop working${enrollment.emailed ? '; emailed to the person' : ''}): ${enrollment.url}`,
    );
  },

  /**
   * Disabling deprovisions the person in one transaction (PeopleService.update). Without Redis it is done all the
   * same; agents waiting on their cancelled or expired approvals learn it when their wait ends, callbacks go out
   * with the worker's next sweep, and escalated approvers see the approval in their inbox without a message.
   */
  async peopleSetStatus(
    app: INestApplicationContext,
    out: Output,
    reference: string,
    status: 'active' | 'disabled',
    live: boolean,
  ): Promise<boolean> {
    const person = await app.get(PeopleService).update(CLI, reference, { status });
    out.result(person, () => `${person.email} is ${person.status === 'active' ? 'enabled' : 'disabled'}`);
    if (status === 'disabled' && !live)
      out.warn(
        "Redis (REDIS_URL) could not be reached: agents waiting on the person's cancelled or expired approvals learn it when their wait ends, " +
          "callbacks go out with the worker's next sweep, and approvers added by an escalation are not messaged.",
      );
    return true;
  },

  async peopleList(app: INestApplicationContext, out: Output) {
    const people = await app.get(PeopleService).list();
    out.result(people, () =>
      table(
        people.map((person) => ({
          id: person.id,
          email: person.email,
          role: person.role,
          status: person.status,
          permissions: person.permissions.join(','),
        })),
      ),
    );
  },

  async groupsList(app: INestApplicationContext, out: Output) {
    const { groups } = await app.get(GroupsService).list({ offset: 0, limit: 10_000 });
    out.result(
      groups.map((group) => ({ ...group, memberCount: group.memberIds.length })),
      () =>
        table(
          groups.map((group) => ({
            id: group.id,
            name: group.name,
            members: String(group.memberIds.length),
            permissions: group.permissions.join(','),
          })),
        ),
    );
  },

  /** A group by id or name; its permissions replaced (what every member may authorize, beside their own). */
  async groupsSetPermissions(app: INestApplicationContext, out: Output, reference: string, options: { permissions: string }) {
    const groups = app.get(GroupsService);
    const found = (await groups.find(reference)) ?? (await groups.list({ name: reference, offset: 0, limit: 1 })).groups[0];
    if (!found) throw new DomainError('not_found', `no group ${JSON.stringify(reference)} (give its id or name)`);
    const group = await groups.change(CLI, found.id, { permissions: splitList(options.permissions) });
    out.result(group, () => `Group ${group.name}: members may authorize ${group.permissions.join(', ') || 'nothing more than their own'}`);
  },

  async scimTokensCreate(app: INestApplicationContext, out: Output, options: { name: string }) {
    const { token, secret } = await app.get(ScimTokensService).create(CLI, options.name);
    out.result({ ...token, token: secret }, () =>
      [
        `Created SCIM token ${token.name} (${token.id})`,
        `  bearer token: ${secret}`,
        `  SCIM base URL: ${app.get<CountersignConfig>(CONFIG).publicUrl}/scim/v2`,
        'The token is shown once and stored only as a hash: paste it into the directory now.',
      ].join('\n'),
    );
  },

  async scimTokensList(app: INestApplicationContext, out: Output) {
    const tokens = await app.get(ScimTokensService).list();
    out.result(tokens, () =>
      table(
        tokens.map((token) => ({
          id: token.id,
          name: token.name,
          created: token.createdAt.toISOString(),
          last_used: token.lastUsedAt?.toISOString() ?? '',
          revoked: token.revokedAt?.toISOString() ?? '',
        })),
      ),
    );
  },

  async scimTokensRevoke(app: INestApplicationContext, out: Output, reference: string) {
    const token = await app.get(ScimTokensService).revoke(CLI, reference);
    out.result(token, () => `SCIM token ${token.name} (${token.id}) is revoked: the directory's requests with it are refused`);
  },

  async resourceServersCreate(app: INestApplicationContext, out: Output, options: { audience: string }) {
    const { server, clientSecret } = await app.get(ResourceServersService).create(CLI, { audience: options.audience });
    out.result({ ...server, client_secret: clientSecret }, () =>
      [
        `Created resource server for ${server.audience}`,
        `  client id:     ${server.clientId}`,
        `  client secret: ${clientSecret}`,
        'The secret is shown once: keep it now.',
      ].join('\n'),
    );
  },

  async resourceServersList(app: INestApplicationContext, out: Output) {
    const servers = await app.get(ResourceServersService).list();
    out.result(servers, () =>
      table(servers.map((server) => ({ audience: server.audience, client_id: server.clientId, status: server.status }))),
    );
  },

  /**
   * Rotates, then tells the running instances through Redis so they all sign with the new key at once. When Redis
   * cannot be reached the rotation stands; the command says so and exits 1 (the instances switch within their
   * cache period): never a silent half-success.
   */
  async keysRotate(app: INestApplicationContext, out: Output): Promise<boolean> {
    const rotated = await app.get(SigningKeysService).rotate(CLI);
    let announced: number | null = null;
    let problem: string | null = null;
    try {
      announced = await announceRotation(app.get<CountersignConfig>(CONFIG), rotated.kid);
    } catch (error) {
      problem = (error as Error).message;
    }
    out.result({ ...rotated, announced_to: announced }, () =>
      [
        `New signing key ${rotated.kid}${rotated.retired ? `; ${rotated.retired} stays published until its tokens have expired` : ''}`,
        ...(announced === null ? [] : [`  announced to ${announced} running process(es): they sign with it from now on`]),
      ].join('\n'),
    );
    if (problem === null) return true;
    out.warn(
      `the new key ${rotated.kid} is active, but Redis (REDIS_URL) could not be reached to tell the running instances (${problem}). ` +
        `They switch to it within ${ACTIVE_KEY_CACHE_MS / 1000} s on their own; do not rotate again for this.`,
    );
    return false;
  },

  async auditVerify(app: INestApplicationContext, out: Output): Promise<boolean> {
    const result = await app.get(AuditService).verify((checked) => out.progress(`verified ${checked} events...`));
    out.progressDone();
    out.result(result, () =>
      result.ok
        ? `Audit chain intact: ${result.checked} events verified`
        : `Audit chain BROKEN at event ${result.broken.seq}: ${result.broken.problem.replace(/_/g, ' ')} (${result.checked} events verified before it)`,
    );
    return result.ok;
  },
};

/** The CIBA options of `agents create`: none, or a mode with its types (the agents service checks the values). */
function cibaOption(options: { cibaMode?: string; cibaNotificationEndpoint?: string; cibaTypes?: string }): CibaRegistration | undefined {
  if (options.cibaMode === undefined && options.cibaNotificationEndpoint === undefined && options.cibaTypes === undefined) return undefined;
  if (options.cibaMode === undefined)
    throw new DomainError('invalid_request', '--ciba-mode (poll or ping) is required with the other --ciba options');
  return {
    deliveryMode: options.cibaMode as CibaRegistration['deliveryMode'],
    notificationEndpoint: options.cibaNotificationEndpoint ?? null,
    authorizationDetailsTypes: splitList(options.cibaTypes ?? ''),
  };
}
