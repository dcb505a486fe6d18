import { Module } from '@nestjs/common';
import { CredentialsRepository } from './credentials.repository';
import { DelegationService } from './delegation.service';
import { DelegationsRepository } from './delegations.repository';
import { Deprovisioning } from './deprovisioning';
import { EnrollmentService } from './enrollment.service';
import { GroupAdminRepository } from './group-admin.repository';
import { GroupsRepository } from './groups.repository';
import { GroupsService } from './groups.service';
import { PasskeyService } from './passkey.service';
import { PeopleRepository } from './people.repository';
import { PeopleService } from './people.service';
import { SessionRepository } from './session.repository';
import { SessionService } from './session.service';
import { SsoRepository } from './sso.repository';
import { SsoService } from './sso.service';

/** People and how they prove who they are: passkeys, enrollment links, single sign-on, sessions. */
@Module({
  providers: [
    CredentialsRepository,
    DelegationService,
    DelegationsRepository,
    Deprovisioning,
    EnrollmentService,
    GroupAdminRepository,
    GroupsRepository,
    GroupsService,
    PasskeyService,
    PeopleRepository,
    PeopleService,
    SessionRepository,
    SessionService,
    SsoRepository,
    SsoService,
  ],
  exports: [
    DelegationService,
    Deprovisioning,
    EnrollmentService,
    GroupsRepository,
    GroupsService,
    PasskeyService,
    PeopleService,
    SessionService,
    SsoService,
  ],
})
export class PeopleModule {}
