import { Module } from '@nestjs/common';
import { CredentialsRepository } from './credentials.repository';
import { DelegationService } from './delegation.service';
import { DelegationsRepository } from './delegations.repository';
import { EnrollmentService } from './enrollment.service';
import { GroupsRepository } from './groups.repository';
import { PasskeyService } from './passkey.service';
import { PeopleRepository } from './people.repository';
import { PeopleService } from './people.service';
import { SessionRepository } from './session.repository';
import { SessionService } from './session.service';

/** People and how they prove who they are: passkeys, enrollment links, sessions. */
@Module({
  providers: [
    CredentialsRepository,
    DelegationService,
    DelegationsRepository,
    EnrollmentService,
    GroupsRepository,
    PasskeyService,
    PeopleRepository,
    PeopleService,
    SessionRepository,
    SessionService,
  ],
  exports: [DelegationService, EnrollmentService, GroupsRepository, PasskeyService, PeopleService, SessionService],
})
export class PeopleModule {}
