import { createHmac, timingSafeEqual } from 'node:crypto';

/** Slack's window for a request's timestamp, in both directions (Bolt alone accepts any future timestamp). */
export const SLACK_MAX_SKEW_SECONDS = 300;

export type SlackSignatureProblem = 'missing_headers' | 'stale_timestamp' | 'bad_signature';

/**
 * Slack request signing (v0): HMAC-SHA256 with the signing secret over `v0:<timestamp>:<raw body>`, compared in
 * constant time, and |now − timestamp| ≤ 300 s. The raw bytes, before any parsing: a re-serialized body differs.
 */
export function checkSlackSignature(
  signingSecret: string,
  rawBody: string,
  timestampHeader: string | undefined,
  signatureHeader: string | undefined,
  nowSeconds = Math.floor(Date.now() / 1000),
): SlackSignatureProblem | null {
  if (!timestampHeader || !signatureHeader || !/^\d{1,12}$/.test(timestampHeader)) return 'missing_headers';
  if (Math.abs(nowSeconds - Number(timestampHeader)) > SLACK_MAX_SKEW_SECONDS) return 'stale_timestamp';
  const expected = Buffer.from(signSlackRequest(signingSecret, rawBody, timestampHeader), 'utf8');
  const presented = Buffer.from(signatureHeader, 'utf8');
  if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) return 'bad_signature';
  return null;
}

/** The `X-Slack-Signature` value for a body and timestamp (what Slack sends; also what test clients sign with). */
export function signSlackRequest(signingSecret: string, rawBody: string, timestamp: string): string {
  return 'v0=' + createHmac('sha256', signingSecret).update(`v0:${timestamp}:${rawBody}`, 'utf8').digest('hex');
}
