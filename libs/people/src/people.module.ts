import { Module } from '@nestjs/common';
import { CredentialsRepository } from './credentials.repository';
import { EnrollmentService } from './enrollment.service';
import { GroupsRepository } from './groups.repository';
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
    EnrollmentService,
    GroupsRepository,
    PasskeyService,
    PeopleRepository,
    PeopleService,
    SessionRepository,
    SessionService,
    SsoRepository,
    SsoService,
  ],
  exports: [EnrollmentService, GroupsRepository, PasskeyService, PeopleService, SessionService, SsoService],
})
export class PeopleModule {}
