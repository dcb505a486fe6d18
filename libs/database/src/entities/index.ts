import { AgentEntity } from './agent.entity';
import { ApprovalEntity } from './approval.entity';
import { AuditEventEntity } from './audit-event.entity';
import { IssuedTokenEntity } from './issued-token.entity';
import { PersonEntity } from './person.entity';
import { ResourceServerEntity } from './resource-server.entity';
import { SigningKeyEntity } from './signing-key.entity';
import { TaxonomyVersionEntity } from './taxonomy-version.entity';

export {
  AgentEntity,
  ApprovalEntity,
  AuditEventEntity,
  IssuedTokenEntity,
  PersonEntity,
  ResourceServerEntity,
  SigningKeyEntity,
  TaxonomyVersionEntity,
};

export const ENTITIES = [
  AgentEntity,
  ApprovalEntity,
  AuditEventEntity,
  IssuedTokenEntity,
  PersonEntity,
  ResourceServerEntity,
  SigningKeyEntity,
  TaxonomyVersionEntity,
];
