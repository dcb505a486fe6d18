// Every migration, in order: register a new one here (libs/database's DataSource runs this list).
import { InitialSchema1764000000000 } from './1764000000000-initial-schema';
import { PeopleAndDecisions1764100000000 } from './1764100000000-people-and-decisions';
import { TaxonomyAdmin1764200000000 } from './1764200000000-taxonomy-admin';
import { Channels1764300000000 } from './1764300000000-channels';
import { SlackDmChannel1764400000000 } from './1764400000000-slack-dm-channel';
import { AgentPendingCount1764500000000 } from './1764500000000-agent-pending-count';
import { DeliveryClaims1764600000000 } from './1764600000000-delivery-claims';
import { PersonPendingCount1764640000000 } from './1764640000000-person-pending-count';
import { DeliverySentAt1764700000000 } from './1764700000000-delivery-sent-at';
import { Ciba1764800000000 } from './1764800000000-ciba';
import { Directory1764900000000 } from './1764900000000-directory';
import { SsoIdentities1764910000000 } from './1764910000000-sso-identities';
import { Delegations1764930000000 } from './1764930000000-delegations';
import { Scim1764920000000 } from './1764920000000-scim';
import { EscalationLadder1764940000000 } from './1764940000000-escalation-ladder';
import { EmailChannel1765090000000 } from './1765090000000-email-channel';
import { SlackEnterpriseIdentity1765100000000 } from './1765100000000-slack-enterprise-identity';
import { SlackHomeOpened1765110000000 } from './1765110000000-slack-home-opened';
import { TeamsChannel1765120000000 } from './1765120000000-teams-channel';
import { ChannelPreferences1765130000000 } from './1765130000000-channel-preferences';

export const MIGRATIONS = [
  InitialSchema1764000000000, PeopleAndDecisions1764100000000, TaxonomyAdmin1764200000000, Channels1764300000000, SlackDmChannel1764400000000,
  AgentPendingCount1764500000000, DeliveryClaims1764600000000, PersonPendingCount1764640000000, DeliverySentAt1764700000000,
  Ciba1764800000000, Directory1764900000000, SsoIdentities1764910000000, Scim1764920000000, Delegations1764930000000, EscalationLadder1764940000000,
  EmailChannel1765090000000, SlackEnterpriseIdentity1765100000000, SlackHomeOpened1765110000000, TeamsChannel1765120000000, ChannelPreferences1765130000000,
];
