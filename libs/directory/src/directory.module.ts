import { Module } from '@nestjs/common';
import { PeopleModule } from '@countersign/people';
import { ScimGroupsService } from './scim-groups.service';
import { ScimTokenRepository } from './scim-token.repository';
import { ScimTokensService } from './scim-tokens.service';
import { ScimUsersService } from './scim-users.service';

/** Provisioning from the organization's directory (SCIM 2.0) over the people library, and the directory's tokens. */
@Module({
  imports: [PeopleModule],
  providers: [ScimGroupsService, ScimTokenRepository, ScimTokensService, ScimUsersService],
  exports: [ScimGroupsService, ScimTokensService, ScimUsersService],
})
export class DirectoryModule {}
