import { parseDuration } from '../duration';
import { DomainError } from '../errors';
import { compilePattern, patternSpecificity, type PatternMatcher } from '../patterns';
import { compileCel, type CelProgram } from './cel-environment';
import { parseTaxonomy } from './taxonomy-parser';
import { DEFAULT_TTL, findSemanticProblems, formatPath } from './taxonomy-semantics';
import { TIERS, raiseTier, stricterTier, tierRank, type BlastRadius, type Reversibility, type Tier } from './tiers';
import type {
  Classification,
  ClassificationInput,
  CompiledTaxonomy,
  EscalationStep,
  Requirement,
  TaxonomyAction,
  TaxonomyDocument,
  TierConfig,
} from './taxonomy.types';

const DEFAULT_TOKEN_TTL = '5m';
const DEFAULT_CHANNELS: Requirement['channels'] = ['web_push', 'slack'];
const DEFAULT_APPROVERS = ['on_behalf_of'];
const RESOLUTION_CACHE_LIMIT = 10_000;

interface CompiledRule {
  id: string;
  label: string;
  expression: string;
  program: CelProgram;
  tier: Tier | undefined;
  reversibility: Reversibility | undefined;
  blastRadius: BlastRadius | undefined;
  audience: string | undefined;
}

interface CompiledAction {
  source: TaxonomyAction;
  type: string;
  matches: PatternMatcher;
  specificity: number;
  reversibility: Reversibility;
  blastRadius: BlastRadius;
  baseTier: Tier;
  audience: string | null;
  sensitiveArgs: string[];
  rules: CompiledRule[];
}

/** Parse + validate + compile; the one-call form for start-up and the admin CLI. */
export function loadTaxonomy(yamlText: string): CompiledTaxonomy {
  const parsed = parseTaxonomy(yamlText);
  if (!parsed.ok) {
    const summary = parsed.errors.map((error) => `line ${error.line}: ${error.message}`).join('; ');
    throw new DomainError('invalid_taxonomy', `invalid taxonomy: ${summary}`, { errors: parsed.errors });
  }
  return compileTaxonomy(parsed.taxonomy);
}

/** Pre-compiles patterns, CEL and requirements once, so `classify` only matches and evaluates. */
export function compileTaxonomy(doc: TaxonomyDocument): CompiledTaxonomy {
  const problems = findSemanticProblems(doc);
  if (problems.length > 0) {
    const errors = problems.map((problem) => ({ line: 0, column: 0, path: formatPath(problem.path), message: problem.message }));
    throw new DomainError('invalid_taxonomy', `invalid taxonomy: ${errors.map((error) => `${error.path}: ${error.message}`).join('; ')}`, {
      errors,
    });
  }
  return new TaxonomyClassifier(doc);
}

class TaxonomyClassifier implements CompiledTaxonomy {
  private readonly requirements = new Map<Tier, Requirement>();
  private readonly exact = new Map<string, CompiledAction>();
  private readonly globs: CompiledAction[] = [];
  private readonly resolved = new Map<string, CompiledAction | null>();
  private readonly trusted: ReadonlySet<string>;

  constructor(readonly document: TaxonomyDocument) {
    for (const tier of TIERS) {
      this.requirements.set(tier, buildRequirement(document.tiers[tier]));
    }
    this.trusted = new Set(document.trusted_provenance);
    for (const action of document.actions) {
      const compiled = this.compileAction(action);
      if (action.type.includes('*')) {
        this.globs.push(compiled);
      } else {
        this.exact.set(action.type, compiled);
      }
    }
    // Stable sort keeps declaration order among equally specific globs.
    this.globs.sort((a, b) => b.specificity - a.specificity);
  }

  requirementFor(tier: Tier): Requirement {
    return this.requirements.get(tier) as Requirement;
  }

  matchAction(type: string): TaxonomyAction | null {
    return this.resolve(type)?.source ?? null;
  }

  classify(input: ClassificationInput): Classification {
    const type = input.action.type;
    const action = this.resolve(type);
    const reasons: string[] = [];
    let tier: Tier;
    let reversibility: Reversibility | null = null;
    let blastRadius: BlastRadius | null = null;
    let audience: string | null = null;
    let ruleId: string;

    if (action === null) {
      tier = this.document.unknown_action;
      ruleId = 'unknown_action';
      reasons.push(`Unknown action type "${type}": treated as ${tier}.`);
    } else {
      tier = action.baseTier;
      reversibility = action.reversibility;
      blastRadius = action.blastRadius;
      audience = action.audience;
      ruleId = action.type;
      reasons.push(
        `Action type "${type}" matched "${action.type}": ${action.reversibility}, ${action.blastRadius} blast radius, so ${action.baseTier}.`,
      );
      if (action.rules.length > 0) {
        const activation = {
          action: { type, resource: input.action.resource },
          args: input.action.args,
          agent: input.agent,
          person: input.person,
          context: input.context,
        };
        for (const rule of action.rules) {
          let outcome: unknown;
          let failure: string | undefined;
          try {
            outcome = rule.program(activation);
          } catch (error) {
            failure = firstLine((error as Error).message);
          }
          if (failure === undefined && typeof outcome !== 'boolean') {
            failure = `condition returned ${typeof outcome}, not a bool`;
          }
          if (failure === undefined && outcome === false) {
            continue;
          }
          const ruleReversibility = rule.reversibility ?? action.reversibility;
          const ruleBlastRadius = rule.blastRadius ?? action.blastRadius;
          const ruleTier = rule.tier ?? this.document.matrix[ruleReversibility][ruleBlastRadius];
          ruleId = rule.id;
          if (failure === undefined) {
            tier = ruleTier;
            reversibility = ruleReversibility;
            blastRadius = ruleBlastRadius;
            audience = rule.audience ?? audience;
            reasons.push(`Rule ${rule.label} matched (${rule.expression}): ${ruleTier}.`);
          } else {
            // An unevaluable condition must never make the action look safer than either possible outcome.
            const strict = stricterTier(ruleTier, action.baseTier);
            if (strict === ruleTier && tierRank(ruleTier) > tierRank(action.baseTier)) {
              reversibility = ruleReversibility;
              blastRadius = ruleBlastRadius;
            }
            tier = strict;
            reasons.push(
              `Rule ${rule.label} could not be evaluated (${failure}); treated as matched with the stricter outcome, ${strict}.`,
            );
          }
          break;
        }
      }
    }

    const untrusted = this.untrustedProvenance(input.context.provenance);
    if (untrusted !== null) {
      const raised = raiseTier(tier);
      reasons.push(
        raised === tier
          ? `Untrusted provenance (${untrusted.join(', ')}); the tier is already ${tier}.`
          : `Untrusted provenance (${untrusted.join(', ')}) raises the tier from ${tier} to ${raised}.`,
      );
      tier = raised;
    }

    return {
      tier,
      reversibility,
      blast_radius: blastRadius,
      rule: ruleId,
      reasons,
      requirement: this.requirementFor(tier),
      audience,
      sensitive_args: action === null ? [] : action.sensitiveArgs,
      matched_action: action === null ? null : action.type,
    };
  }

  private resolve(type: string): CompiledAction | null {
    const exact = this.exact.get(type);
    if (exact !== undefined) {
      return exact;
    }
    if (this.globs.length === 0) {
      return null;
    }
    const cached = this.resolved.get(type);
    if (cached !== undefined) {
      return cached;
    }
    let found: CompiledAction | null = null;
    for (const glob of this.globs) {
      if (glob.matches(type)) {
        found = glob;
        break;
      }
    }
    // Types come from agents, so the cache is bounded rather than trusted to stay small.
    if (this.resolved.size >= RESOLUTION_CACHE_LIMIT) {
      this.resolved.clear();
    }
    this.resolved.set(type, found);
    return found;
  }

  private untrustedProvenance(provenance: readonly string[] | undefined): string[] | null {
    if (provenance === undefined || provenance.length === 0) {
      return null;
    }
    let untrusted: string[] | null = null;
    for (const entry of provenance) {
      if (!this.trusted.has(entry)) {
        (untrusted ??= []).push(entry);
      }
    }
    return untrusted;
  }

  private compileAction(action: TaxonomyAction): CompiledAction {
    const rules = (action.rules ?? []).map((rule, index): CompiledRule => {
      const id = `${action.type}#rules[${index}]`;
      const compiled = compileCel(rule.when);
      if (compiled.program === undefined) {
        // findSemanticProblems already rejected this; kept as a guard for the type checker.
        throw new DomainError('invalid_taxonomy', `${id}: ${compiled.error ?? 'CEL does not compile'}`);
      }
      return {
        id,
        label: rule.name === undefined ? id : `${id} "${rule.name}"`,
        expression: rule.when,
        program: compiled.program,
        tier: rule.tier,
        reversibility: rule.reversibility,
        blastRadius: rule.blast_radius,
        audience: rule.audience,
      };
    });
    return {
      source: action,
      type: action.type,
      matches: compilePattern(action.type),
      specificity: patternSpecificity(action.type),
      reversibility: action.reversibility,
      blastRadius: action.blast_radius,
      baseTier: this.document.matrix[action.reversibility][action.blast_radius],
      audience: action.audience ?? null,
      sensitiveArgs: Object.freeze([...(action.sensitive_args ?? [])]) as string[],
      rules,
    };
  }
}

function buildRequirement(config: TierConfig): Requirement {
  let requirement: Requirement;
  switch (config.decision) {
    case 'auto_approve':
      requirement = {
        decision: 'auto_approve',
        approvals_required: 0,
        approvers: [],
        step_up: 'none',
        channels: [],
        ttl_seconds: 0,
        token_ttl_seconds: parseDuration(config.token_ttl ?? DEFAULT_TOKEN_TTL),
        remind_after_seconds: null,
        escalate_after_seconds: null,
        escalate_to: [],
        escalation: [],
      };
      break;
    case 'approve':
      requirement = {
        decision: 'approve',
        approvals_required: config.approvals ?? 1,
        approvers: [...(config.approvers ?? DEFAULT_APPROVERS)],
        ...(config.approvals_from === undefined ? {} : { approvals_from: Object.freeze({ ...config.approvals_from }) }),
        step_up: config.step_up ?? 'none',
        channels: [...(config.channels ?? DEFAULT_CHANNELS)],
        ttl_seconds: parseDuration(config.ttl ?? DEFAULT_TTL),
        token_ttl_seconds: parseDuration(config.token_ttl ?? DEFAULT_TOKEN_TTL),
        remind_after_seconds: config.remind_after === undefined ? null : parseDuration(config.remind_after),
        ...escalationFields(config),
        ...(config.fast_decision_seconds === undefined ? {} : { fast_decision_seconds: config.fast_decision_seconds }),
      };
      break;
    case 'deny':
      requirement = {
        decision: 'deny',
        approvals_required: 0,
        approvers: [],
        step_up: 'none',
        channels: [],
        ttl_seconds: 0,
        token_ttl_seconds: 0,
        remind_after_seconds: null,
        escalate_after_seconds: null,
        escalate_to: [],
        escalation: [],
      };
      break;
  }
  // Shared by every classification of this tier, so it must not be mutable by one caller.
  Object.freeze(requirement.approvers);
  Object.freeze(requirement.channels);
  Object.freeze(requirement.escalate_to);
  for (const step of requirement.escalation ?? []) {
    Object.freeze(step.to);
    Object.freeze(step.channels);
    Object.freeze(step);
  }
  Object.freeze(requirement.escalation);
  return Object.freeze(requirement);
}

/**
 * The ladder of an approve tier: its `escalation` steps, or the one step `escalate_after` + `escalate_to` (on the
 * tier's channels). The first step is also kept as `escalate_after_seconds`/`escalate_to`, which requirements
 * stored before the ladder carried.
 */
function escalationFields(
  config: Extract<TierConfig, { decision: 'approve' }>,
): Pick<Requirement, 'escalate_after_seconds' | 'escalate_to' | 'escalation'> {
  const tierChannels = config.channels ?? DEFAULT_CHANNELS;
  const written =
    config.escalation ??
    (config.escalate_after !== undefined && config.escalate_to !== undefined
      ? [{ after: config.escalate_after, to: config.escalate_to }]
      : []);
  const escalation: EscalationStep[] = written.map((step) => ({
    after_seconds: parseDuration(step.after),
    to: [...step.to],
    channels: [...(step.channels ?? tierChannels)],
  }));
  return {
    escalate_after_seconds: escalation[0]?.after_seconds ?? null,
    escalate_to: [...(escalation[0]?.to ?? [])],
    escalation,
  };
}

function firstLine(message: string): string {
  return message.split('\n', 1)[0].trim();
}
