import { z } from 'zod';

/** The longest approval token a consume call takes; anything longer is not one of ours. */
export const MAX_APPROVAL_TOKEN_LENGTH = 8192;

const consumeRequest = z.object({ token: z.string().max(MAX_APPROVAL_TOKEN_LENGTH) });

/**
 * The token a resource server's consume call carries, or null when the body holds none (missing, not a string,
 * too long). Not a 400: like RFC 7662 introspection, an unusable token is answered `active: false` and audited.
 */
export function consumeRequestToken(body: unknown): string | null {
  const parsed = consumeRequest.safeParse(body);
  return parsed.success ? parsed.data.token : null;
}
