import { z } from 'zod';
import { DomainError, isSingleLine, MAX_EXPIRES_IN_SECONDS, parseInput } from '@countersign/domain';

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
  expires_in: z.number().int().min(1).max(MAX_EXPIRES_IN_SECONDS).optional(),
});

export type ApprovalRequest = z.infer<typeof schema>;

/** Shape validation of an already I-JSON-parsed body; the first problem is reported, naming its field by JSON pointer. */
export function parseApprovalRequest(body: unknown): ApprovalRequest {
  return parseInput(schema, body);
}

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/** The Idempotency-Key header: absent, or 1-255 visible ASCII characters. */
export function parseIdempotencyKey(header: string | undefined): string | undefined {
  if (header !== undefined && !IDEMPOTENCY_KEY.test(header)) {
    throw new DomainError('invalid_request', 'Idempotency-Key must be 1-255 visible ASCII characters', { field: 'Idempotency-Key' });
  }
  return header;
}

/** The header first, then the body, as the transport hands them to `IntakeService.request`. */
export function parseIntake(
  body: unknown,
  idempotencyKeyHeader: string | undefined,
): { request: ApprovalRequest; idempotencyKey?: string } {
  const idempotencyKey = parseIdempotencyKey(idempotencyKeyHeader);
  return { request: parseApprovalRequest(body), idempotencyKey };
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
