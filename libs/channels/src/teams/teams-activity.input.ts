import { z } from 'zod';
import { DomainError, findNulCharacter, jsonPointer, parseInput } from '@countersign/domain';

// A Bot Framework activity, the parts Countersign reads: each member optional, and members we do not read pass
// through (botbuilder gets the activity whole). Its token is verified after this parse, by botbuilder.
const text = z.string().max(2000).nullish();
const teamsActivity = z.looseObject({
  type: z.string().max(100),
  id: text,
  name: text,
  action: text,
  channelId: text,
  serviceUrl: text,
  replyToId: text,
  from: z.looseObject({ id: text, aadObjectId: text }).nullish(),
  recipient: z.looseObject({ id: text }).nullish(),
  conversation: z.looseObject({ id: text, tenantId: text, conversationType: text }).nullish(),
  channelData: z.looseObject({ tenant: z.looseObject({ id: text }).nullish() }).nullish(),
  membersAdded: z.array(z.looseObject({ id: text })).nullish(),
  value: z
    .looseObject({
      action: z
        .looseObject({
          type: text,
          verb: text,
          // The reason is checked by the service against the card input's own cap, a refusal it audits.
          data: z.looseObject({ approval_id: text, reason: z.unknown().optional() }).nullish(),
        })
        .nullish(),
    })
    .nullish(),
});

/** What the Bot Framework sends (the parts we read), as the Teams transport hands it on. */
export type TeamsActivity = z.output<typeof teamsActivity>;

/** The Teams transport's edge: the activity checked against its schema; U+0000 is refused anywhere (Postgres text). */
export function parseTeamsActivity(body: unknown): TeamsActivity {
  const nul = findNulCharacter(body);
  if (nul !== undefined)
    throw new DomainError('invalid_request', `the activity contains U+0000 (NUL) at ${jsonPointer(nul) || '/'}`, {
      field: jsonPointer(nul),
    });
  return parseInput(teamsActivity, body);
}
