import { z } from 'zod';
import { DomainError, isSingleLine, jsonPointer } from '@countersign/domain';

const ACTION_TYPE = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;
// Identifiers are one line: a control character there could pose as a second line in Slack, the web app or a log.
const SINGLE_LINE = [isSingleLine, 'must not contain control characters (line breaks and tabs included)'] as const;

// Unknown fields are dropped, not refused: agents may send risk labels of their own, and those are ignored.
const schema = z.object({
  action: z.object({
    type: z.string().min(1).max(200).regex(ACTION_TYPE, 'must be a dotted action type such as "payments.transfer"'),
    resource: z
      .string()
      .min(1)
      .max(2000)
      .refine(...SINGLE_LINE),
    args: z.record(z.string(), z.unknown()),
  }),
  on_behalf_of: z
    .string()
    .min(1)
    .max(320)
    .refine(...SINGLE_LINE),
  audience: z
    .string()
    .url()
    .max(2000)
    .refine(...SINGLE_LINE)
    .optional(),
  reason: z.string().max(2000).optional(),
  context: z
    .object({
      provenance: z
        .array(
          z
            .string()
            .min(1)
            .max(64)
            .refine(...SINGLE_LINE),
        )
        .max(32)
        .optional(),
    })
    .optional(),
  callback_url: z
    .string()
    .max(2048)
    .refine(...SINGLE_LINE)
    .optional(),
  expires_in: z
    .number()
    .int()
    .min(1)
    .max(7 * 24 * 3600)
    .optional(),
});

export type ApprovalRequest = z.infer<typeof schema>;

/** Shape validation of an already I-JSON-parsed body; the first problem is reported, naming its field. */
export function parseApprovalRequest(body: unknown): ApprovalRequest {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = jsonPointer(issue.path.map((segment) => (typeof segment === 'symbol' ? String(segment) : segment)));
  const message = issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : issue.message;
  throw new DomainError('invalid_request', `${field || 'body'}: ${message}`, { field: field || '/' });
}

/**
 * The request body as JSON Schema (draft 7), for clients that are told the shape rather than read the API
 * document (the MCP endpoint's `request_approval` tool). The refinements zod cannot express stay server-side.
 */
export function approvalRequestJsonSchema(): { properties: Record<string, Record<string, unknown>>; required: string[] } {
  const json = z.toJSONSchema(schema, { io: 'input', target: 'draft-7' }) as {
    properties?: Record<string, Record<string, unknown>>;
    required?: string[];
  };
  return { properties: json.properties ?? {}, required: json.required ?? [] };
}
