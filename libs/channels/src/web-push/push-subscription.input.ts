import { createECDH } from 'node:crypto';
import { z } from 'zod';
import { parseInput } from '@countersign/domain';
import { pushEndpointRefusal, type PushEndpointPolicy } from './push-endpoint';

/** A browser's subscription as `PushSubscriptionsService.subscribe` takes it: the endpoint and both keys, base64url. */
export interface PushSubscriptionInput {
  endpoint: string;
  p256dh: string;
  auth: string;
}

// The refusals name their fields as they always have: the endpoint by JSON pointer, the keys by dotted path.
const FIELDS: Record<string, string> = { endpoint: '/endpoint', 'keys.p256dh': 'keys.p256dh', 'keys.auth': 'keys.auth' };

/**
 * The browser's PushSubscription JSON: an https endpoint on a known push service (`pushEndpointRefusal`) and keys.p256dh
 * (an uncompressed point ON P-256, 65 bytes) and keys.auth (16 bytes), both base64url. A key on another curve, or
 * not a point at all, is refused. Members missing or of the wrong type are refused as the member's own problem.
 */
export function pushSubscriptionInput(policy: PushEndpointPolicy) {
  return z.preprocess(
    objectOrEmpty,
    z.object({
      endpoint: z.unknown().transform(
        checked(
          (value) => endpointRefusal(value, policy),
          (value) => new URL(value as string).href,
        ),
      ),
      keys: z.preprocess(
        objectOrEmpty,
        z.object({
          p256dh: z.unknown().transform(checked(p256dhRefusal, (value) => base64url(value)!.toString('base64url'))),
          auth: z.unknown().transform(checked(authRefusal, (value) => base64url(value)!.toString('base64url'))),
        }),
      ),
    }),
  );
}

/** Parses the PushSubscription JSON at the transport; a refusal names the field. */
export function parseSubscription(body: unknown, policy: PushEndpointPolicy): PushSubscriptionInput {
  const { endpoint, keys } = parseInput(pushSubscriptionInput(policy), body, (issue) => ({
    message: issue.message,
    field: FIELDS[issue.path.join('.')],
  }));
  return { endpoint, ...keys };
}

function endpointRefusal(value: unknown, policy: PushEndpointPolicy): string | null {
  let endpoint: URL;
  try {
    endpoint = new URL(typeof value === 'string' ? value : '');
  } catch {
    return 'endpoint must be the push service URL';
  }
  if (endpoint.protocol !== 'https:' || endpoint.href.length > 2048) return 'endpoint must be an https URL';
  if (endpoint.username || endpoint.password) return 'endpoint must not carry credentials';
  return pushEndpointRefusal(endpoint, policy);
}

function p256dhRefusal(value: unknown): string | null {
  const point = base64url(value);
  return point && point.length === 65 && point[0] === 0x04 && onP256(point)
    ? null
    : 'keys.p256dh must be an uncompressed P-256 public key (65 bytes, base64url)';
}

function authRefusal(value: unknown): string | null {
  return base64url(value)?.length === 16 ? null : 'keys.auth must be 16 bytes, base64url';
}

/** A transform that refuses with the check's message, or maps the accepted value. */
function checked(refusal: (value: unknown) => string | null, map: (value: unknown) => string) {
  return (value: unknown, context: z.RefinementCtx): string => {
    const message = refusal(value);
    if (message === null) return map(value);
    context.addIssue({ code: 'custom', message });
    return z.NEVER;
  };
}

/** What is not an object is taken as an empty one, so each member reports its own problem (as it always has). */
function objectOrEmpty(value: unknown): unknown {
  return typeof value === 'object' && value !== null ? value : {};
}

function base64url(value: unknown): Buffer | null {
  if (typeof value !== 'string' || !/^[A-Za-z0-9_-]+=*$/.test(value)) return null;
  return Buffer.from(value.replace(/=+$/, ''), 'base64url');
}

function onP256(point: Buffer): boolean {
  try {
    const ecdh = createECDH('prime256v1');
    ecdh.generateKeys();
    ecdh.computeSecret(point);
    return true;
  } catch {
    return false;
  }
}
