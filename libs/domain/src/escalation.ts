import type { EscalationStep, Requirement } from './taxonomy/taxonomy.types';

/*
 * The escalation ladder's rules, pure: which step comes next and when, and what a step's entries become once the
 * directory has been read. The approvals library reads the rows and the directory, and applies these.
 */

/** The approver entry that names the on-behalf-of person's manager in the directory, resolved when its step fires. */
export const MANAGER_ENTRY = 'manager';

/**
 * A requirement's ladder. Requirements stored before the ladder existed have only `escalate_after_seconds` and
 * `escalate_to`: they are one step, on the tier's channels.
 */
export function escalationLadder(
  requirement: Pick<Requirement, 'escalation' | 'escalate_after_seconds' | 'escalate_to' | 'channels'>,
): EscalationStep[] {
  if (requirement.escalation !== undefined) return requirement.escalation;
  if (!requirement.escalate_after_seconds || (requirement.escalate_to ?? []).length === 0) return [];
  return [{ after_seconds: requirement.escalate_after_seconds, to: requirement.escalate_to, channels: requirement.channels }];
}

/** Where an approval is on its ladder: steps taken, how many there are, and when the next one fires (null: none left). */
export interface EscalationProgress {
  step: number;
  steps: number;
  nextAt: Date | null;
}

export function escalationProgress(
  requirement: Parameters<typeof escalationLadder>[0],
  stepsTaken: number,
  createdAt: Date,
): EscalationProgress {
  const ladder = escalationLadder(requirement);
  const next = ladder[stepsTaken];
  return {
    step: stepsTaken,
    steps: ladder.length,
    nextAt: next === undefined ? null : new Date(createdAt.getTime() + next.after_seconds * 1000),
  };
}

/** What a step's entries need from the directory: the groups to snapshot, and whether it names the manager. */
export function directoryNeeds(step: EscalationStep): { groups: string[]; manager: boolean } {
  return {
    groups: [...new Set(step.to.filter((entry) => entry.startsWith('group:')).map((entry) => entry.slice('group:'.length)))],
    manager: step.to.includes(MANAGER_ENTRY),
  };
}

/**
 * The entries a step adds once resolved: `manager` becomes `person:<their id>` (or nothing when the directory
 * names no enabled manager); entries the approval already lists (its approvers, earlier steps) are not added twice.
 */
export function resolveStepEntries(step: EscalationStep, managerId: string | null, alreadyListed: readonly string[]): string[] {
  const listed = new Set(alreadyListed);
  const added: string[] = [];
  for (const entry of step.to) {
    const resolved = entry === MANAGER_ENTRY ? (managerId === null ? null : `person:${managerId}`) : entry;
    if (resolved === null || listed.has(resolved)) continue;
    listed.add(resolved);
    added.push(resolved);
  }
  return added;
}

/**
 * A snapshot of group members merged into the approval's: a group recorded earlier (at the request, or by an
 * earlier step) keeps the members it had then, so a step never rewrites who was eligible before it.
 */
export function mergeGroupMembers(
  recorded: Readonly<Record<string, readonly string[]>>,
  resolved: Readonly<Record<string, readonly string[]>>,
): Record<string, string[]> {
  const merged: Record<string, string[]> = Object.fromEntries(Object.entries(recorded).map(([name, members]) => [name, [...members]]));
  for (const [name, members] of Object.entries(resolved)) if (merged[name] === undefined) merged[name] = [...members];
  return merged;
}
