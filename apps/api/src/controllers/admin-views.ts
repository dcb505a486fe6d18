import {
  type Agent,
  type CibaRegistration,
  type ResourceServer,
  type TaxonomyVersion,
  type TaxonomyVersionSummary,
} from '@countersign/contract';
import { type AgentView, type CibaRegistration as CibaSettings, type ResourceServerView } from '@countersign/agents';
import { type TaxonomyVersionRecord } from '@countersign/taxonomy';

// The admin API's views on the wire (libs/contract): what the services return, timestamps as RFC 3339 strings.

export function agentView(agent: AgentView): Agent {
  const { ciba, ...rest } = agent;
  return {
    ...rest,
    ciba: ciba && {
      delivery_mode: ciba.deliveryMode,
      notification_endpoint: ciba.notificationEndpoint,
      authorization_details_types: ciba.authorizationDetailsTypes,
    },
    createdAt: agent.createdAt.toISOString(),
  };
}

/** The admin API's CIBA settings as the agents service takes them; `null` removes them on an update. */
export function cibaRegistration(ciba: CibaRegistration): CibaSettings;
export function cibaRegistration(ciba: CibaRegistration | null): CibaSettings | null;
export function cibaRegistration(ciba: CibaRegistration | null): CibaSettings | null {
  return (
    ciba && {
      deliveryMode: ciba.delivery_mode,
      notificationEndpoint: ciba.notification_endpoint ?? null,
      authorizationDetailsTypes: ciba.authorization_details_types,
    }
  );
}

export function resourceServerView(server: ResourceServerView): ResourceServer {
  return { ...server, createdAt: server.createdAt.toISOString() };
}

/** A stored version without its source (the list). */
export function taxonomyVersionSummary(version: Omit<TaxonomyVersionRecord, 'source'>): TaxonomyVersionSummary {
  const { version: number, active, checksum, createdBy, comment, createdAt } = version;
  return { version: number, active, checksum, createdBy, comment, createdAt: createdAt.toISOString() };
}

export function taxonomyVersionView(version: TaxonomyVersionRecord): TaxonomyVersion {
  return { ...taxonomyVersionSummary(version), source: version.source };
}
