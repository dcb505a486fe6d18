import { z } from 'zod';
import { DomainError, findNulCharacter, jsonPointer, parseInput } from '@countersign/domain';

// What Slack sends (interactions, slash commands, Events API callbacks), the parts Countersign reads: each member
// optional (Slack sends null for some), and members we do not read pass through to Bolt. Over HTTP Slack's signature
// is checked over the raw body before this parse; over Socket Mode the envelope's payload is parsed the same way.
const id = z.string().nullish();
const slackPayload = z.looseObject({
  type: z.string().nullish(),
  challenge: z.string().nullish(),
  api_app_id: z.string().nullish(),
  trigger_id: z.string().nullish(),
  // Slash commands and Events API callbacks name the user and workspace at the top level.
  user_id: id,
  team_id: id,
  enterprise_id: id,
  command: z.string().nullish(),
  text: z.string().nullish(),
  event: z.looseObject({ type: z.string().nullish(), user: id }).nullish(),
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
 * The HTTP edge: the body (JSON, a form whose `payload` member is JSON, or a slash command's plain form) parsed and
 * checked as `checkSlackPayload` does.
 */
export function parseSlackPayload(raw: string): SlackPayload {
  let payload: unknown;
  try {
    if (raw.trimStart().startsWith('{')) payload = JSON.parse(raw);
    else {
      const form = new URLSearchParams(raw);
      const json = form.get('payload');
      payload = json ? JSON.parse(json) : Object.fromEntries(form);
    }
  } catch {
    throw new DomainError('invalid_request', 'the Slack payload is not JSON');
  }
  return checkSlackPayload(payload);
}

/**
 * A payload as either way in hands it on, checked against the schema; a refusal names the field. U+0000 is refused
 * anywhere: a deny reason or an id holding it could not be stored or looked up (Postgres text cannot hold it).
 */
export function checkSlackPayload(payload: unknown): SlackPayload {
  const nul = findNulCharacter(payload);
  if (nul !== undefined)
    throw new DomainError('invalid_request', `the Slack payload contains U+0000 (NUL) at ${jsonPointer(nul) || '/'}`, {
      field: jsonPointer(nul),
    });
  return parseInput(slackPayload, payload);
}
