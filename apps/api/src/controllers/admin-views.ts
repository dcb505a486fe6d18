import { type Agent, type ResourceServer, type TaxonomyVersion, type TaxonomyVersionSummary } from '@countersign/contract';
import { type AgentView, type ResourceServerView } from '@countersign/agents';
import { type TaxonomyVersionRecord } from '@countersign/taxonomy';

// The admin API's views on the wire (libs/contract): what the services return, timestamps as RFC 3339 strings.

export function agentView(agent: AgentView): Agent {
  return { ...agent, createdAt: agent.createdAt.toISOString() };
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
