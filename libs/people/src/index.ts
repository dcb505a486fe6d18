export { delegationState, DelegationService, type NewDelegation } from './delegation.service';
export { type DelegationInForce, type DelegationParty, type DelegationRecord } from './delegations.repository';
export { ENROLLMENT_LINK_TTL_MS, type EnrollmentLink, EnrollmentService, type SignedIn } from './enrollment.service';
export { parseCredentialResponse, PasskeyService, type PasskeyView } from './passkey.service';
export { enabledMembersJsonSql, GroupsRepository } from './groups.repository';
export { PeopleModule } from './people.module';
export { personFromRow, type PersonRecord } from './people.repository';
export { type AddPerson, PeopleService, type PersonChanges, type Role, ROLES, validatePatterns } from './people.service';
export { type NewSession, type PersonSession, SessionService } from './session.service';
