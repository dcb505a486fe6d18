export { delegationState, DelegationService, type NewDelegation } from './delegation.service';
export { type DelegationInForce, type DelegationParty, type DelegationRecord } from './delegations.repository';
export {
  Deprovisioning,
  DEPROVISIONING_PARTS,
  type DeprovisioningOutcome,
  type DeprovisioningPart,
  type DeprovisioningStep,
} from './deprovisioning';
export { ENROLLMENT_LINK_TTL_MS, type EnrollmentLink, EnrollmentService, type SignedIn } from './enrollment.service';
export { parseCredentialResponse, PasskeyService, type PasskeyView } from './passkey.service';
export { type GroupQuery, type GroupRecord } from './group-admin.repository';
export { GroupsRepository } from './groups.repository';
export { type GroupChanges, GroupsService, type NewGroup } from './groups.service';
export { PeopleModule } from './people.module';
export { personFromRow, type PersonRecord } from './people.repository';
export { type AddPerson, PeopleService, type PersonChanges, type Role, ROLES, validatePatterns } from './people.service';
export { type NewSession, type PersonSession, SessionService } from './session.service';
export {
  safeReturnPath,
  SSO_LOGIN_TTL_MS,
  SsoRefused,
  type SsoRefusalReason,
  SsoService,
  type SsoSignedIn,
  type SsoStart,
  ssoStartQuery,
} from './sso.service';
