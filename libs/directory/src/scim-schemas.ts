/** The URNs of RFC 7643/7644 that the SCIM endpoints speak. */
export const SCIM = {
  user: 'urn:ietf:params:scim:schemas:core:2.0:User',
  group: 'urn:ietf:params:scim:schemas:core:2.0:Group',
  enterpriseUser: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User',
  listResponse: 'urn:ietf:params:scim:api:messages:2.0:ListResponse',
  patchOp: 'urn:ietf:params:scim:api:messages:2.0:PatchOp',
  error: 'urn:ietf:params:scim:api:messages:2.0:Error',
  serviceProviderConfig: 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig',
  resourceType: 'urn:ietf:params:scim:schemas:core:2.0:ResourceType',
  schema: 'urn:ietf:params:scim:schemas:core:2.0:Schema',
  /** Microsoft Entra adds this to every group it sends; it carries nothing we read. */
  entraGroup: 'http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group',
} as const;

/** The most resources one list answers with (`count` above it is lowered, RFC 7644 §3.4.2.4). */
export const MAX_PAGE_SIZE = 200;

const string = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  type: 'string',
  multiValued: false,
  required: false,
  caseExact: false,
  mutability: 'readWrite',
  returned: 'default',
  uniqueness: 'none',
  ...extra,
});

const complex = (name: string, subAttributes: object[], extra: Record<string, unknown> = {}) => ({
  name,
  type: 'complex',
  multiValued: false,
  required: false,
  mutability: 'readWrite',
  returned: 'default',
  subAttributes,
  ...extra,
});

/** The attributes Countersign stores; others a directory sends are accepted and ignored (docs/adr/0017). */
const USER_SCHEMA = {
  id: SCIM.user,
  name: 'User',
  description: 'A person who may approve, or on whose behalf agents act',
  attributes: [
    string('userName', { required: true, uniqueness: 'server' }),
    complex('name', [string('formatted'), string('givenName'), string('familyName')]),
    string('displayName'),
    complex('emails', [string('value'), string('type'), { ...string('primary'), type: 'boolean' }], { multiValued: true }),
    { ...string('active'), type: 'boolean' },
  ],
};

const ENTERPRISE_SCHEMA = {
  id: SCIM.enterpriseUser,
  name: 'EnterpriseUser',
  description: "The person's manager, whom an escalation step may name",
  attributes: [complex('manager', [string('value', { caseExact: true }), string('displayName', { mutability: 'readOnly' })])],
};

const GROUP_SCHEMA = {
  id: SCIM.group,
  name: 'Group',
  description: 'A group of people; its permissions (set in the admin console) are added to each member’s',
  attributes: [
    string('displayName', { required: true, uniqueness: 'server' }),
    complex('members', [string('value', { caseExact: true, mutability: 'immutable' }), string('display', { mutability: 'readOnly' })], {
      multiValued: true,
    }),
  ],
};

function meta(base: string, resourceType: string, id: string) {
  return { resourceType, location: `${base}/${resourceType === 'Schema' ? 'Schemas' : 'ResourceTypes'}/${id}` };
}

export function serviceProviderConfig(base: string) {
  return {
    schemas: [SCIM.serviceProviderConfig],
    documentationUri: 'https://github.com/countersign/countersign/blob/main/docs/adr/0017-scim-provisioning.md',
    patch: { supported: true },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: true, maxResults: MAX_PAGE_SIZE },
    changePassword: { supported: false },
    sort: { supported: false },
    etag: { supported: false },
    authenticationSchemes: [
      {
        type: 'oauthbearertoken',
        name: 'Bearer token',
        description: 'A token made with `countersign scim-tokens create`; only its hash is stored',
        primary: true,
      },
    ],
    meta: { resourceType: 'ServiceProviderConfig', location: `${base}/ServiceProviderConfig` },
  };
}

export function resourceTypes(base: string) {
  return [
    {
      schemas: [SCIM.resourceType],
      id: 'User',
      name: 'User',
      endpoint: '/Users',
      schema: SCIM.user,
      schemaExtensions: [{ schema: SCIM.enterpriseUser, required: false }],
      meta: meta(base, 'ResourceType', 'User'),
    },
    {
      schemas: [SCIM.resourceType],
      id: 'Group',
      name: 'Group',
      endpoint: '/Groups',
      schema: SCIM.group,
      meta: meta(base, 'ResourceType', 'Group'),
    },
  ];
}

export function schemas(base: string) {
  return [USER_SCHEMA, ENTERPRISE_SCHEMA, GROUP_SCHEMA].map((schema) => ({
    schemas: [SCIM.schema],
    ...schema,
    meta: meta(base, 'Schema', schema.id),
  }));
}

/** A list response (RFC 7644 §3.4.2). */
export function listResponse<T>(resources: T[], totalResults: number, startIndex: number) {
  return { schemas: [SCIM.listResponse], totalResults, startIndex, itemsPerPage: resources.length, Resources: resources };
}

/** RFC 7644 §3.4.2.4: `startIndex` below 1 is 1, `count` below 0 is 0, above the page size the page size. */
export function page(query: { startIndex?: number; count?: number }): { startIndex: number; offset: number; limit: number } {
  const startIndex = Math.max(1, query.startIndex ?? 1);
  const limit = Math.min(MAX_PAGE_SIZE, Math.max(0, query.count ?? 100));
  return { startIndex, offset: startIndex - 1, limit };
}
