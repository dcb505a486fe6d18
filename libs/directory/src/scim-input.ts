import { z } from 'zod';
import { type ExplainIssue, issuePointer } from '@countersign/domain';
import { SCIM } from './scim-schemas';

/** Entra sends booleans as strings ("True", "False"); both forms are taken, any other value refused. */
export const scimBoolean = z.union([
  z.boolean(),
  z
    .string()
    .regex(/^(true|false)$/i, 'must be true or false')
    .transform((value) => value.toLowerCase() === 'true'),
]);

const text = (max: number) => z.string().max(max);

const ManagerValue = z.union([z.object({ value: text(256).nullish() }).passthrough(), text(256)]).nullish();

/** A User as POST and PUT carry it (RFC 7643 §4.1); attributes Countersign does not store pass through and are ignored. */
export const ScimUserBody = z
  .object({
    schemas: z.array(z.string()).min(1, 'must name the User schema'),
    userName: text(256).min(1, 'is required'),
    externalId: text(256).nullish(),
    displayName: text(256).nullish(),
    name: z
      .object({ formatted: text(256).nullish(), givenName: text(256).nullish(), familyName: text(256).nullish() })
      .passthrough()
      .nullish(),
    emails: z
      .array(z.object({ value: text(320), type: text(64).nullish(), primary: scimBoolean.nullish() }).passthrough())
      .max(20)
      .nullish(),
    active: scimBoolean.nullish(),
    [SCIM.enterpriseUser]: z.object({ manager: ManagerValue }).passthrough().nullish(),
  })
  .passthrough();
export type ScimUserBody = z.output<typeof ScimUserBody>;

const MemberValue = z.object({ value: text(256) }).passthrough();

/** A Group as POST and PUT carry it (RFC 7643 §4.2). */
export const ScimGroupBody = z
  .object({
    schemas: z.array(z.string()).min(1, 'must name the Group schema'),
    displayName: text(200).min(1, 'is required'),
    externalId: text(256).nullish(),
    members: z.array(MemberValue).max(10_000).nullish(),
  })
  .passthrough();
export type ScimGroupBody = z.output<typeof ScimGroupBody>;

/** RFC 7644 §3.5.2: a PatchOp's operations; `op` is matched case-insensitively (Entra sends "Replace"). */
export const ScimPatchBody = z
  .object({
    schemas: z.array(z.string()).min(1, 'must name the PatchOp schema'),
    Operations: z
      .array(
        z
          .object({
            op: z
              .string()
              .regex(/^(add|remove|replace)$/i, 'must be add, remove or replace')
              .transform((op) => op.toLowerCase() as 'add' | 'remove' | 'replace'),
            path: text(512).optional(),
            value: z.unknown().optional(),
          })
          .passthrough(),
      )
      .min(1, 'must hold at least one operation')
      .max(1_000),
  })
  .passthrough();
export type ScimPatchBody = z.output<typeof ScimPatchBody>;
export type ScimPatchOperation = ScimPatchBody['Operations'][number];

export { MemberValue };

/** SCIM bodies name the attribute at fault the way SCIM clients read it (`emails.0.value`), not as a JSON pointer. */
export const explainScimIssue: ExplainIssue = (issue) => {
  const pointer = issuePointer(issue);
  if (pointer === '') return { message: 'the body must be a JSON object' };
  const field = issue.path.map(String).join('.');
  return { message: `${field}: ${issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : issue.message}`, field };
};

/** `GET /Users` and `GET /Groups` query parameters (RFC 7644 §3.4.2): 1-based `startIndex`, `count`, one filter. */
export const ScimListQuery = z
  .object({
    filter: z.string().max(1_000).optional(),
    startIndex: z.coerce.number().int('must be an integer').optional(),
    count: z.coerce.number().int('must be an integer').optional(),
    attributes: z.string().max(1_000).optional(),
    excludedAttributes: z.string().max(1_000).optional(),
  })
  .passthrough();
export type ScimListQuery = z.output<typeof ScimListQuery>;
