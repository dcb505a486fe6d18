import { Injectable } from '@nestjs/common';
import { type Actor } from '@countersign/audit';
import { type Tx } from '@countersign/database';
import { type PersonRecord } from './people.repository';

/**
 * The libraries that hold something of a person and must take it away when the person is disabled. People cannot
 * import them (they import people), so each registers its part here when its module starts
 * (docs/adr/0020-deprovisioning.md).
 */
export const DEPROVISIONING_PARTS = ['approvals', 'channels'] as const;
export type DeprovisioningPart = (typeof DEPROVISIONING_PARTS)[number];

/** What one part did, recorded in the `person.updated` audit event, and the work it leaves for after the commit. */
export interface DeprovisioningOutcome {
  summary: Record<string, unknown>;
  /** Runs after the transaction committed (wake waiters, enqueue jobs); Postgres already holds the truth. */
  afterCommit?: () => Promise<void>;
}

export interface DeprovisioningStep {
  /**
   * Inside the transaction that disables the person, with their row locked FOR UPDATE: removes what they held,
   * audits each removal in `tx`. Idempotent: run again for a person already disabled it finds nothing to do.
   */
  deprovision(tx: Tx, actor: Actor, person: PersonRecord): Promise<DeprovisioningOutcome>;
}

/** The parts of deprovisioning, registered by their owners; disabling a person runs every one in its transaction. */
@Injectable()
export class Deprovisioning {
  private readonly steps = new Map<DeprovisioningPart, DeprovisioningStep>();

  register(part: DeprovisioningPart, step: DeprovisioningStep): void {
    this.steps.set(part, step);
  }

  /**
   * Refuses before anything is written when a part is not loaded in this process (a wiring mistake, not bad input):
   * a person disabled with their Slack link or their pending decisions left behind is worse than one not disabled.
   */
  assertComplete(): void {
    const missing = DEPROVISIONING_PARTS.filter((part) => !this.steps.has(part));
    if (missing.length > 0) throw new Error(`cannot disable a person in this process: the ${missing.join(' and ')} part is not loaded`);
  }

  async run(tx: Tx, actor: Actor, person: PersonRecord): Promise<{ summary: Record<string, unknown>; afterCommit: () => Promise<void> }> {
    this.assertComplete();
    const summary: Record<string, unknown> = {};
    const followUps: Array<() => Promise<void>> = [];
    // One part after the other, in one order: the statements share the transaction's connection.
    for (const part of DEPROVISIONING_PARTS) {
      const outcome = await this.steps.get(part)!.deprovision(tx, actor, person);
      Object.assign(summary, outcome.summary);
      if (outcome.afterCommit) followUps.push(outcome.afterCommit);
    }
    return {
      summary,
      afterCommit: async () => {
        for (const followUp of followUps) await followUp();
      },
    };
  }
}
