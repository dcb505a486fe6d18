export { DirectoryModule } from './directory.module';
export { scimError, type ScimType } from './scim-error';
export { explainScimIssue, ScimGroupBody, ScimListQuery, ScimPatchBody, ScimUserBody } from './scim-input';
export { listResponse, resourceTypes, SCIM, schemas, serviceProviderConfig } from './scim-schemas';
export { ScimGroupsService } from './scim-groups.service';
export { ScimTokensService, type ScimTokenView } from './scim-tokens.service';
export { ScimUsersService } from './scim-users.service';
