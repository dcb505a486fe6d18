import { DomainError } from './errors';

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };
const DURATION = /^([1-9][0-9]{0,8})([smhd])$/;

/** "30s" | "5m" | "2h" | "1d" -> seconds. One unit, positive integer; anything else is a configuration mistake. */
export function parseDuration(text: string): number {
  const match = typeof text === 'string' ? DURATION.exec(text) : null;
  if (match === null) {
    throw new DomainError(
      'invalid_duration',
      `invalid duration ${JSON.stringify(text)}: use a positive integer with s, m, h or d, e.g. "30m"`,
      {
        value: text,
      },
    );
  }
  return Number(match[1]) * UNIT_SECONDS[match[2]];
}

export function isDuration(text: string): boolean {
  return typeof text === 'string' && DURATION.test(text);
}

/**
 * The most an agent may ask for as an approval's `expires_in`, in seconds (a week). Countersign caps the request
 * at the tier's own TTL anyway; this bound is what the request schema and the MCP gateway's mapping accept.
 */
export const MAX_EXPIRES_IN_SECONDS = 7 * 24 * 3600;
