import { z } from 'zod';
import { DomainError, findNulCharacter, jsonPointer, parseInput } from '@countersign/domain';

// Slack's interaction payload, the parts Countersign reads: each member optional (Slack sends null for some), and
// members we do not read pass through. Slack's signature is checked over the raw body before this parse.
const id = z.string().nullish();
const slackPayload = z.looseObject({
  type: z.string().nullish(),
  challenge: z.string().nullish(),
  api_app_id: z.string().nullish(),
  trigger_id: z.string().nullish(),
  user: z.looseObject({ id, team_id: id }).nullish(),
  team: z.looseObject({ id }).nullish(),
  enterprise: z.looseObject({ id }).nullish(),
  channel: z.looseObject({ id }).nullish(),
  container: z.looseObject({ channel_id: id }).nullish(),
  actions: z.array(z.looseObject({ action_id: z.string().nullish(), value: z.string().nullish() })).nullish(),
  view: z
    .looseObject({
      callback_id: z.string().nullish(),
      private_metadata: z.string().nullish(),
      // The deny modal's reason: checked by the service against the modal's own cap, a refusal it audits.
      state: z
        .looseObject({ values: z.record(z.string(), z.record(z.string(), z.looseObject({ value: z.unknown() }))).nullish() })
        .nullish(),
    })
    .nullish(),
});

/** What Slack sends (the parts we read), as the Slack transport hands it on. */
export type SlackPayload = z.output<typeof slackPayload>;

/**
 * The Slack transport's edge: the body (JSON, or a form whose `payload` member is JSON) parsed and checked against
 * the payload's schema; a refusal names the field. U+0000 is refused anywhere: a deny reason or an id holding it
 * could not be stored or looked up (Postgres text cannot hold it).
 */
export function parseSlackPayload(raw: string): SlackPayload {
  let payload: unknown;
  try {
    const text = raw.trimStart().startsWith('{') ? raw : new URLSearchParams(raw).get('payload');
    payload = text ? JSON.parse(text) : {};
  } catch {
    throw new DomainError('invalid_request', 'the Slack payload is not JSON');
  }
  const nul = findNulCharacter(payload);
  if (nul !== undefined)
    throw new DomainError('invalid_request', `the Slack payload contains U+0000 (NUL) at ${jsonPointer(nul) || '/'}`, {
      field: jsonPointer(nul),
    });
  return parseInput(slackPayload, payload);
}
