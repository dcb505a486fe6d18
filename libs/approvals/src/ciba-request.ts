import { z } from 'zod';
import { type OAuthErrorCode } from '@countersign/agents';
import { DomainError, IJsonError, isSingleLine, parseIJson, parseInput } from '@countersign/domain';

/** CIBA Core 1.0 §7.1: the binding message "SHOULD be relatively short"; a line the person can compare at a glance. */
export const MAX_BINDING_MESSAGE = 100;
/** CIBA Core 1.0 §7.1 (ping and push): the client_notification_token is at most 1024 characters. */
export const MAX_CLIENT_NOTIFICATION_TOKEN = 1024;
const MAX_REQUESTED_EXPIRY = 7 * 24 * 3600;
/** RFC 6750 §2.1 b64token: the notification token is sent back as `Authorization: Bearer <token>`. */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;
/** The only scope: an ID token for the person (everything else the agent may do is its capabilities). */
export const SUPPORTED_SCOPES = ['openid'] as const;
/** RFC 9396 common members that the mapping reads; every other member of a detail becomes an argument. */
const MAPPED_MEMBERS = new Set(['type', 'identifier', 'locations']);

const detail = z
  .object({
    type: z.string().min(1).max(200),
    identifier: z.string().min(1, 'identifier (the resource) is required').max(2000),
    locations: z.array(z.string().url().max(2000)).length(1, 'locations must name exactly one audience').optional(),
  })
  .catchall(z.unknown());

const authorizationDetails = z
  .string()
  .transform((text, context) => {
    try {
      return parseIJson(text);
    } catch (error) {
      if (!(error instanceof IJsonError)) throw error;
      context.addIssue({ code: 'custom', message: `is not I-JSON: ${error.message}` });
      return z.NEVER;
    }
  })
  .pipe(z.array(detail).length(1, 'must hold exactly one detail: one approval is one action'));

const optionalText = (max: number) => z.string().max(max).optional();

// Unknown parameters are ignored (RFC 6749 §3.2); client_id and client_secret were read with the client's credentials.
const schema = z
  .object({
    login_hint: optionalText(320),
    id_token_hint: optionalText(8192),
    login_hint_token: optionalText(8192),
    binding_message: z
      .string()
      .min(1)
      .max(MAX_BINDING_MESSAGE)
      .refine(isSingleLine, 'must be one line without control characters')
      .optional(),
    requested_expiry: z
      .string()
      .regex(/^[1-9][0-9]{0,6}$/, 'must be a positive number of seconds')
      .transform(Number)
      .pipe(z.number().max(MAX_REQUESTED_EXPIRY))
      .optional(),
    scope: optionalText(1000),
    client_notification_token: z
      .string()
      .min(1)
      .max(MAX_CLIENT_NOTIFICATION_TOKEN)
      .regex(B64TOKEN, 'must be a bearer token (RFC 6750 b64token)')
      .optional(),
    authorization_details: authorizationDetails.optional(),
    request: z.undefined({ error: 'signed request objects are not supported' }).optional(),
    user_code: z.undefined({ error: 'user codes are not supported (backchannel_user_code_parameter_supported is false)' }).optional(),
  })
  .superRefine((form, context) => {
    const hints = (['login_hint', 'id_token_hint', 'login_hint_token'] as const).filter((hint) => form[hint] !== undefined);
    if (hints.length !== 1)
      context.addIssue({
        code: 'custom',
        message: `exactly one of login_hint, id_token_hint, login_hint_token is required, got ${hints.length}`,
      });
  });

/** One RFC 9396 authorization detail, mapped to the action it asks for (README, "authorization_details"). */
export interface AuthorizationDetail {
  type: string;
  identifier: string;
  locations?: string[];
  [member: string]: unknown;
}

/** A backchannel authentication request, parsed (CIBA Core 1.0 §7.1). */
export interface BackchannelRequest {
  hint: { kind: 'login_hint' | 'id_token_hint' | 'login_hint_token'; value: string };
  bindingMessage: string | null;
  requestedExpiry: number | undefined;
  scopes: string[];
  clientNotificationToken: string | undefined;
  authorizationDetails: AuthorizationDetail[] | undefined;
}

/** Which CIBA error a refused parameter answers with (CIBA Core 1.0 §13, RFC 9396 §5). */
const FIELD_ERRORS: Record<string, OAuthErrorCode> = {
  '/binding_message': 'invalid_binding_message',
  '/authorization_details': 'invalid_authorization_details',
};

/** A refusal of a backchannel request: the CIBA error code, and the DomainError the intake audits. */
export class BackchannelRefusal extends Error {
  constructor(
    readonly error: OAuthErrorCode,
    readonly refusal: DomainError,
  ) {
    super(refusal.message);
  }
}

/** The form of `POST /oauth/bc-authorize`, parsed once, at the transport (ADR 0012). */
export function parseBackchannelRequest(form: Record<string, string>): BackchannelRequest {
  let parsed: z.output<typeof schema>;
  try {
    parsed = parseInput(schema, form);
  } catch (error) {
    if (!(error instanceof DomainError)) throw error;
    const field = typeof error.details?.field === 'string' ? error.details.field : '';
    const code = Object.entries(FIELD_ERRORS).find(([prefix]) => field === prefix || field.startsWith(`${prefix}/`))?.[1];
    throw new BackchannelRefusal(code ?? 'invalid_request', error);
  }
  const hint = (['login_hint', 'id_token_hint', 'login_hint_token'] as const).find((kind) => parsed[kind] !== undefined)!;
  return {
    hint: { kind: hint, value: parsed[hint]! },
    bindingMessage: parsed.binding_message ?? null,
    requestedExpiry: parsed.requested_expiry,
    scopes: parsed.scope === undefined ? [] : [...new Set(parsed.scope.split(' ').filter((scope) => scope !== ''))],
    clientNotificationToken: parsed.client_notification_token,
    authorizationDetails: parsed.authorization_details,
  };
}

/**
 * The action an authorization detail asks for: `type` is the action type, `identifier` the resource, the one
 * entry of `locations` (if any) the audience, and every other member an argument.
 */
export function actionOf(detail: AuthorizationDetail): {
  type: string;
  resource: string;
  args: Record<string, unknown>;
  audience?: string;
} {
  const args = Object.fromEntries(Object.entries(detail).filter(([member]) => !MAPPED_MEMBERS.has(member)));
  return { type: detail.type, resource: detail.identifier, args, ...(detail.locations ? { audience: detail.locations[0] } : {}) };
}
