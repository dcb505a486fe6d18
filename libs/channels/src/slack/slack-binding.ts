import { type PersonRecord } from '@countersign/people';
import { type SlackIdentity, type SlackIdentityRepository } from './slack-identity.repository';

/** A Slack user as a signed request names them: user id, the workspace (team) and the Enterprise Grid org, if any. */
export interface SlackUserRef {
  userId: string;
  teamId: string | null;
  enterpriseId: string | null;
}

/** Why a Slack user is not taken as a person (audited with the request that named them). */
export type SlackBindingRefusal = 'no_user' | 'unknown_slack_user' | 'wrong_team' | 'wrong_enterprise' | 'person_disabled';

/**
 * The linked, active person behind a Slack user: the one rule every Slack door uses (clicks, the Home tab, the slash
 * command). The link is found by user id in the user's own team (`userTeamId`, which interaction payloads carry beside
 * the workspace's `teamId`; else the workspace); a link without an Enterprise Grid org must be in that same workspace,
 * and a link with one needs the request's org to be that org. A disabled person is refused.
 */
export async function bindSlackUser(
  identities: Pick<SlackIdentityRepository, 'personFor'>,
  user: { userId?: string | null; userTeamId?: string | null; teamId?: string | null; enterpriseId?: string | null },
): Promise<{ person: PersonRecord; identity: SlackIdentity } | { refusal: SlackBindingRefusal }> {
  const teamId = user.userTeamId ?? user.teamId;
  if (!user.userId || !teamId) return { refusal: 'no_user' };
  const linked = await identities.personFor(teamId, user.userId);
  if (!linked) return { refusal: 'unknown_slack_user' };
  if (user.teamId && user.teamId !== linked.identity.teamId && !linked.identity.enterpriseId) return { refusal: 'wrong_team' };
  if (linked.identity.enterpriseId && user.enterpriseId !== linked.identity.enterpriseId) return { refusal: 'wrong_enterprise' };
  if (linked.person.status !== 'active') return { refusal: 'person_disabled' };
  return linked;
}
