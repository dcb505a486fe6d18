import { type PersonRecord } from '@countersign/people';
import { type SlackIdentity, type SlackIdentityRepository } from './slack-identity.repository';

/** A Slack user as a signed request names them: user id, the workspace (team) and the Enterprise Grid org, if any. */
export interface SlackUserRef {
  userId: string;
  teamId: string | null;
  enterpriseId: string | null;
}

/** Why a Slack user is not taken as a person (audited with the request that named them). */
export type SlackBindingRefusal = 'no_user' | 'unknown_slack_user' | 'wrong_team' | 'person_disabled';

/**
 * The linked, active person behind a Slack user: the one rule every Slack door uses (clicks, the Home tab, the slash
 * command). In an Enterprise Grid org the identity is (org, user id), whichever of its workspaces the request came
 * from; outside one it is (team, user id), and a link without an org must be in the workspace the request names
 * (`workspaceId`, which interaction payloads carry beside the user's own team). A link made inside a Grid never
 * matches a request without its org (`SlackIdentityRepository.personFor`). A disabled person is refused.
 */
export async function bindSlackUser(
  identities: Pick<SlackIdentityRepository, 'personFor'>,
  user: Partial<SlackUserRef> & { workspaceId?: string | null },
): Promise<{ person: PersonRecord; identity: SlackIdentity } | { refusal: SlackBindingRefusal }> {
  const { userId, teamId = null, enterpriseId = null, workspaceId = null } = user;
  if (!userId || (!teamId && !enterpriseId)) return { refusal: 'no_user' };
  const linked = await identities.personFor({ userId, teamId, enterpriseId });
  if (!linked) return { refusal: 'unknown_slack_user' };
  if (!linked.identity.enterpriseId && workspaceId && workspaceId !== linked.identity.teamId) return { refusal: 'wrong_team' };
  if (linked.person.status !== 'active') return { refusal: 'person_disabled' };
  return linked;
}
