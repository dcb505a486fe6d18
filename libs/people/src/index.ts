export { PeopleModule } from './people.module';
export { personFromRow, type PersonRecord } from './people.repository';
export { type AddPerson, PeopleService, type Role, ROLES, validatePatterns } from './people.service';
