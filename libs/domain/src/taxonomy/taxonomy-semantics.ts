import { parseDuration } from '../duration';
import { formatPath, type DocumentPath } from '../yaml-document';
import { compileCel } from './cel-environment';
import { BLAST_RADII, REVERSIBILITIES, TIERS, isTier } from './tiers';
import type { TaxonomyDocument } from './taxonomy.types';

export type { DocumentPath };
export { formatPath };

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
        if (![...approvers, ...(config.escalate_to ?? [])].includes(entry)) {
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
      if (config.escalate_after !== undefined && config.escalate_to === undefined) {
        problems.push({ kind: 'invalid', path: ['tiers', name, 'escalate_after'], message: 'escalate_after needs escalate_to' });
      }
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
