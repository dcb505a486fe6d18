import { parseDuration } from '../duration';
import { formatPath, type DocumentPath } from '../yaml-document';
import { compileCel } from './cel-environment';
import { BLAST_RADII, REVERSIBILITIES, TIERS, isTier } from './tiers';
import type { ApproveTierConfig, TaxonomyDocument } from './taxonomy.types';

export type { DocumentPath };
export { formatPath };

/** How long an approve tier's request stays pending when the tier sets no `ttl`. */
export const DEFAULT_TTL = '30m';

/** What kind of mistake a problem is; lint reports it as the finding's code. */
export type SemanticProblemKind = 'undefined_tier' | 'cel_syntax' | 'cel_type' | 'invalid';

export interface SemanticProblem {
  kind: SemanticProblemKind;
  path: DocumentPath;
  message: string;
  /** Point at the key rather than its value (e.g. an unknown tier name). */
  atKey?: boolean;
}

/** Cross-field rules zod cannot express: tier references, quorum feasibility, unique types, CEL that compiles. */
export function findSemanticProblems(doc: TaxonomyDocument): SemanticProblem[] {
  const problems: SemanticProblem[] = [];
  const tiers = doc.tiers as Record<string, TaxonomyDocument['tiers'][keyof TaxonomyDocument['tiers']] | undefined>;
  const definedList = TIERS.join(', ');
  const checkReference = (value: unknown, path: DocumentPath): void => {
    if (typeof value === 'string' && !(isTier(value) && tiers[value] !== undefined)) {
      problems.push({ kind: 'undefined_tier', path, message: `unknown tier "${value}" (tiers are ${definedList})` });
    }
  };

  for (const name of Object.keys(tiers)) {
    if (!isTier(name)) {
      problems.push({
        kind: 'undefined_tier',
        path: ['tiers', name],
        message: `unknown tier name "${name}" (tiers are ${definedList})`,
        atKey: true,
      });
    }
  }
  for (const name of TIERS) {
    const config = tiers[name];
    if (config === undefined) {
      problems.push({ kind: 'undefined_tier', path: ['tiers'], message: `tier "${name}" is not defined` });
      continue;
    }
    if (config.decision === 'approve') {
      const approvers = config.approvers ?? ['on_behalf_of'];
      const approvals = config.approvals ?? 1;
      if (approvals > 1 && approvers.every((approver) => approver === 'on_behalf_of')) {
        problems.push({
          kind: 'invalid',
          path: ['tiers', name, 'approvals'],
          message: `${approvals} distinct approvals can never be reached when the only approver is on_behalf_of; add a role or group`,
        });
      }
      for (const [entry, count] of Object.entries(config.approvals_from ?? {})) {
        const path = ['tiers', name, 'approvals_from', entry];
        if (![...approvers, ...(config.escalate_to ?? []), ...(config.escalation ?? []).flatMap((step) => step.to)].includes(entry)) {
          problems.push({
            kind: 'invalid',
            path,
            atKey: true,
            message: `approvals_from names ${entry}, which is not among the tier's approvers`,
          });
        } else if (count > approvals) {
          problems.push({
            kind: 'invalid',
            path,
            message: `${count} approvals from ${entry} is more than the tier's approvals (${approvals}); raise approvals`,
          });
        }
      }
      if (config.escalate_after !== undefined && config.escalate_to === undefined && config.escalation === undefined) {
        problems.push({ kind: 'invalid', path: ['tiers', name, 'escalate_after'], message: 'escalate_after needs escalate_to' });
      }
      problems.push(...ladderProblems(name, config, approvers));
      if (config.ttl !== undefined) {
        const ttl = parseDuration(config.ttl);
        for (const field of ['remind_after', 'escalate_after'] as const) {
          const value = config[field];
          if (value !== undefined && parseDuration(value) >= ttl) {
            problems.push({
              kind: 'invalid',
              path: ['tiers', name, field],
              message: `${field} (${value}) must be shorter than ttl (${config.ttl})`,
            });
          }
        }
      }
    }
  }

  checkReference(doc.unknown_action, ['unknown_action']);
  for (const reversibility of REVERSIBILITIES) {
    for (const blastRadius of BLAST_RADII) {
      checkReference(doc.matrix[reversibility][blastRadius], ['matrix', reversibility, blastRadius]);
    }
  }

  const seenTypes = new Map<string, number>();
  doc.actions.forEach((action, actionIndex) => {
    const earlier = seenTypes.get(action.type);
    if (earlier !== undefined) {
      problems.push({
        kind: 'invalid',
        path: ['actions', actionIndex, 'type'],
        message: `action type "${action.type}" is already defined by actions[${earlier}]`,
      });
    } else {
      seenTypes.set(action.type, actionIndex);
    }
    (action.rules ?? []).forEach((rule, ruleIndex) => {
      const path: DocumentPath = ['actions', actionIndex, 'rules', ruleIndex];
      checkReference(rule.tier, [...path, 'tier']);
      if (rule.tier === undefined && rule.reversibility === undefined && rule.blast_radius === undefined && rule.audience === undefined) {
        problems.push({ kind: 'invalid', path, message: 'rule changes nothing: set tier, reversibility, blast_radius or audience' });
      }
      const compiled = compileCel(rule.when);
      if (compiled.error !== undefined) {
        problems.push({
          kind: compiled.errorKind === 'type' ? 'cel_type' : 'cel_syntax',
          path: [...path, 'when'],
          message: `CEL condition does not compile: ${compiled.error}`,
        });
      }
    });
  });
  (doc.tests ?? []).forEach((testCase, index) => checkReference(testCase.expect.tier, ['tests', index, 'expect', 'tier']));
  return problems;
}

/**
 * A tier's `escalation` ladder: not beside `escalate_after`/`escalate_to` (two ladders), delays strictly increasing
 * and shorter than the ttl (a step after expiry never fires), and each step adding an entry the tier and the
 * steps before it do not list (a step that adds nobody only looks like oversight).
 */
function ladderProblems(name: string, config: ApproveTierConfig, approvers: readonly string[]): SemanticProblem[] {
  const ladder = config.escalation;
  if (ladder === undefined) return [];
  const problems: SemanticProblem[] = [];
  if (config.escalate_after !== undefined || config.escalate_to !== undefined) {
    const field = config.escalate_after !== undefined ? 'escalate_after' : 'escalate_to';
    problems.push({
      kind: 'invalid',
      path: ['tiers', name, field],
      message: `${field} is the one-step form of escalation: write the step into escalation instead of using both`,
    });
  }
  const ttl = parseDuration(config.ttl ?? DEFAULT_TTL);
  const listed = new Set(approvers);
  let previous: { after: string; seconds: number } | undefined;
  ladder.forEach((step, index) => {
    const path: DocumentPath = ['tiers', name, 'escalation', index];
    const seconds = parseDuration(step.after);
    if (previous !== undefined && seconds <= previous.seconds) {
      problems.push({
        kind: 'invalid',
        path: [...path, 'after'],
        message: `escalation step ${index + 1} (after ${step.after}) must come later than step ${index} (after ${previous.after}): delays increase strictly`,
      });
    }
    if (seconds >= ttl) {
      problems.push({
        kind: 'invalid',
        path: [...path, 'after'],
        message: `escalation step ${index + 1} (after ${step.after}) must fire before the tier's ttl (${config.ttl ?? DEFAULT_TTL})`,
      });
    }
    if (step.to.every((entry) => listed.has(entry))) {
      problems.push({
        kind: 'invalid',
        path: [...path, 'to'],
        message: `escalation step ${index + 1} adds nobody: ${step.to.join(', ')} ${step.to.length === 1 ? 'is' : 'are'} already an approver or in an earlier step`,
      });
    }
    for (const entry of step.to) listed.add(entry);
    previous = { after: step.after, seconds };
  });
  return problems;
}
