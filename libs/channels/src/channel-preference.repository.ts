import { Injectable } from '@nestjs/common';
import { Database } from '@countersign/database';

/** Whether a person can be reached on the channels that need something of them first. */
export interface PersonChannelsSetUp {
  slackLinked: boolean;
  pushSubscribed: boolean;
  teamsLinked: boolean;
}

/** A person's channels per tier (table `channel_preferences`); the planning statement reads it in DeliveryRepository.plan. */
@Injectable()
export class ChannelPreferenceRepository {
  constructor(private readonly database: Database) {}

  /** Every stored preference of the person, tiers of the active taxonomy or not. */
  async ofPerson(personId: string): Promise<Map<string, string[]>> {
    const rows = await this.database.query<{ tier: string; channels: string[] }>(
      `SELECT tier, channels FROM channel_preferences WHERE person_id = $1 ORDER BY tier`,
      [personId],
    );
    return new Map(rows.map((row) => [row.tier, row.channels]));
  }

  /** Sets the given tiers' preferences (null removes one) in one statement; other tiers' rows are left alone. */
  async replace(personId: string, preferences: ReadonlyMap<string, readonly string[] | null>): Promise<void> {
    await this.database.query(
      `WITH input AS (
         SELECT * FROM jsonb_to_recordset($2::jsonb) AS x(tier text, channels text[])
       ), removed AS (
         DELETE FROM channel_preferences WHERE person_id = $1 AND tier IN (SELECT tier FROM input WHERE channels IS NULL)
       )
       INSERT INTO channel_preferences (person_id, tier, channels)
       SELECT $1, tier, channels FROM input WHERE channels IS NOT NULL
       ON CONFLICT (person_id, tier) DO UPDATE SET channels = EXCLUDED.channels, updated_at = now()`,
      [personId, JSON.stringify([...preferences].map(([tier, channels]) => ({ tier, channels })))],
    );
  }

  async setUp(personId: string): Promise<PersonChannelsSetUp> {
    const rows = await this.database.query<{ slack: boolean; push: boolean; teams: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM slack_identities WHERE person_id = $1) AS slack,
              EXISTS (SELECT 1 FROM push_subscriptions WHERE person_id = $1) AS push,
              EXISTS (SELECT 1 FROM teams_identities WHERE person_id = $1) AS teams`,
      [personId],
    );
    return { slackLinked: rows[0]?.slack ?? false, pushSubscribed: rows[0]?.push ?? false, teamsLinked: rows[0]?.teams ?? false };
  }
}
