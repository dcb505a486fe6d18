import { DomainError } from '../errors';
import { MANAGER_ENTRY } from '../escalation';
import { compilePattern, patternSpecificity } from '../patterns';
import { celReferences, compileCel } from './cel-environment';
import { compileTaxonomy } from './taxonomy-compiler';
import { readTaxonomy, type Locate, type TaxonomyErrorKind } from './taxonomy-parser';
import { formatPath, type DocumentPath } from './taxonomy-semantics';
import { runTaxonomyTests, testInput, type TaxonomyTestReport } from './taxonomy-tests';
import type { CompiledTaxonomy, TaxonomyAction, TaxonomyDocument } from './taxonomy.types';

/** Errors block an apply; warnings are reported beside it. */
export type LintSeverity = 'error' | 'warning';

export type LintCode =
  TaxonomyErrorKind | 'unreachable_rule' | 'shadowed_glob' | 'unused_sensitive_arg' | 'unknown_group' | 'escalation_may_reach_nobody';

export interface LintFinding {
  severity: LintSeverity;
  code: LintCode;
  line: number;
  column: number;
  /** Dot path into the document, e.g. "actions[3].rules[1]". */
  path: string;
  message: string;
}

export interface LintReport {
  errors: number;
  warnings: number;
  findings: LintFinding[];
}

/** Lint, and the file's own tests when it is valid: everything `taxonomy apply` checks before it stores a version. */
export interface TaxonomyCheck {
  lint: LintReport;
  /** Null when the file is invalid: its tests cannot run. */
  tests: TaxonomyTestReport | null;
  taxonomy: CompiledTaxonomy | null;
}

/** The refusal of a taxonomy with lint errors: each error by line, in the message and in the problem's `errors`. */
export function invalidTaxonomyError(lint: LintReport): DomainError {
  const errors = lint.findings
    .filter((finding) => finding.severity === 'error')
    .map(({ line, column, path, message }) => ({ line, column, path, message }));
  return new DomainError(
    'invalid_taxonomy',
    `invalid taxonomy: ${errors.map((error) => `line ${error.line}: ${error.message}`).join('; ')}`,
    {
      errors,
    },
  );
}

export interface CheckOptions {
  runTests: boolean;
  /**
   * The directory's group names, when the caller can read them: a `group:` entry naming another group is warned
   * about (it resolves to nobody). Undefined (a file checked without a database): groups are not checked.
   */
  knownGroups?: readonly string[];
}

export function lintTaxonomy(yamlText: string, knownGroups?: readonly string[]): LintReport {
  return checkTaxonomy(yamlText, { runTests: false, knownGroups }).lint;
}

export function checkTaxonomy(yamlText: string, options: CheckOptions = { runTests: true }): TaxonomyCheck {
  const reading = readTaxonomy(yamlText);
  if (reading.taxonomy === undefined) {
    const findings = reading.errors.map(({ kind, ...error }): LintFinding => ({ severity: 'error', code: kind, ...error }));
    return { lint: report(findings), tests: null, taxonomy: null };
  }
  const document = reading.taxonomy;
  const taxonomy = compileTaxonomy(document);
  const warning = (code: LintCode, path: DocumentPath, message: string): LintFinding => ({
    severity: 'warning',
    code,
    ...reading.locate(path),
    path: formatPath(path),
    message,
  });
  const findings = [
    ...unreachableRules(document, warning),
    ...shadowedGlobs(document, warning),
    ...unusedSensitiveArgs(taxonomy, warning),
    ...(options.knownGroups === undefined ? [] : unknownGroups(document, new Set(options.knownGroups), warning)),
    ...escalationsReachingNobody(document, warning),
  ];
  const tests = options.runTests ? withLines(runTaxonomyTests(taxonomy), reading.locate) : null;
  return { lint: report(findings), tests, taxonomy };
}

type Warn = (code: LintCode, path: DocumentPath, message: string) => LintFinding;

/** Rules that can never decide: a constant false condition, a repeat of an earlier condition, or after one always true. */
function unreachableRules(document: TaxonomyDocument, warn: Warn): LintFinding[] {
  const findings: LintFinding[] = [];
  document.actions.forEach((action, actionIndex) => {
    const seen = new Map<string, number>();
    let alwaysTrueAt: number | undefined;
    (action.rules ?? []).forEach((rule, ruleIndex) => {
      const path: DocumentPath = ['actions', actionIndex, 'rules', ruleIndex];
      const references = celReferences(rule.when);
      const label = `rule ${ruleIndex}${rule.name === undefined ? '' : ` "${rule.name}"`} of "${action.type}"`;
      if (alwaysTrueAt !== undefined) {
        findings.push(warn('unreachable_rule', path, `${label} can never match: rules[${alwaysTrueAt}] always matches first`));
        return;
      }
      const earlier = seen.get(references.canonical);
      if (earlier !== undefined) {
        findings.push(
          warn('unreachable_rule', path, `${label} can never match: rules[${earlier}] has the same condition and matches first`),
        );
        return;
      }
      seen.set(references.canonical, ruleIndex);
      if (references.variables.size === 0) {
        const constant = constantValue(rule.when);
        if (constant === false) findings.push(warn('unreachable_rule', path, `${label} can never match: its condition is always false`));
        if (constant === true) alwaysTrueAt = ruleIndex;
      }
    });
  });
  return findings;
}

function constantValue(expression: string): boolean | undefined {
  const program = compileCel(expression).program;
  try {
    const value = program?.({});
    return typeof value === 'boolean' ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Globs are tried most specific first (declaration order among equals). A glob whose every match is taken by a glob
 * tried before it never decides anything: e.g. "deploy*" before "deploy**", or "*.delete" twice in other spellings.
 */
function shadowedGlobs(document: TaxonomyDocument, warn: Warn): LintFinding[] {
  const globs = document.actions
    .map((action, index) => ({ action, index, specificity: patternSpecificity(action.type) }))
    .filter(({ action }) => action.type.includes('*'))
    .sort((a, b) => b.specificity - a.specificity);
  const findings: LintFinding[] = [];
  globs.forEach((glob, position) => {
    const shadow = globs.slice(0, position).find((earlier) => globCovers(earlier.action.type, glob.action.type));
    if (shadow !== undefined) {
      findings.push(
        warn(
          'shadowed_glob',
          ['actions', glob.index, 'type'],
          `"${glob.action.type}" never matches: every type it matches is taken first by "${shadow.action.type}" (actions[${shadow.index}])`,
        ),
      );
    }
  });
  return findings;
}

/**
 * Whether every type `specific` matches is also matched by `general`. For `*`-only globs this holds exactly when
 * `general` matches `specific` with each `*` read as a character no type contains.
 */
export function globCovers(general: string, specific: string): boolean {
  return compilePattern(general)(specific.replaceAll('*', '\u0000'));
}

/**
 * A sensitive path that no rule of its action reads and no test case sends is usually misspelt, and a misspelt path
 * leaves the real field unredacted. A test case that sends the field shows the path is the one agents use.
 */
function unusedSensitiveArgs(taxonomy: CompiledTaxonomy, warn: Warn): LintFinding[] {
  const document = taxonomy.document;
  const sentByTests = new Map<TaxonomyAction, Array<Record<string, unknown>>>();
  for (const testCase of document.tests ?? []) {
    const action = taxonomy.matchAction(testCase.action.type);
    if (action !== null) sentByTests.set(action, [...(sentByTests.get(action) ?? []), testInput(testCase).action.args]);
  }
  const findings: LintFinding[] = [];
  document.actions.forEach((action, actionIndex) => {
    const read = (action.rules ?? []).flatMap((rule) => celReferences(rule.when).argPaths);
    (action.sensitive_args ?? []).forEach((sensitive, argIndex) => {
      const used =
        read.some((path) => pathsOverlap(sensitive, path)) ||
        (sentByTests.get(action) ?? []).some((args) => hasPath(args, sensitive.split('.')));
      if (!used) {
        findings.push(
          warn(
            'unused_sensitive_arg',
            ['actions', actionIndex, 'sensitive_args', argIndex],
            `sensitive arg "${sensitive}" of "${action.type}" is used nowhere: no rule reads it and no test case sends it (misspelt? a test case that sends it shows it is not)`,
          ),
        );
      }
    });
  });
  return findings;
}

/** A `group:NAME` approver (or escalation entry) naming no group in the directory resolves to nobody. */
function unknownGroups(document: TaxonomyDocument, known: ReadonlySet<string>, warn: Warn): LintFinding[] {
  const findings: LintFinding[] = [];
  for (const [tier, config] of Object.entries(document.tiers)) {
    if (config.decision !== 'approve') continue;
    for (const field of ['approvers', 'escalate_to'] as const) {
      (config[field] ?? []).forEach((entry, index) => {
        const name = entry.startsWith('group:') ? entry.slice('group:'.length) : null;
        if (name !== null && !known.has(name))
          findings.push(
            warn('unknown_group', ['tiers', tier, field, index], `${entry} names no group in the directory: it resolves to nobody`),
          );
      });
    }
    (config.escalation ?? []).forEach((step, stepIndex) =>
      step.to.forEach((entry, index) => {
        const name = entry.startsWith('group:') ? entry.slice('group:'.length) : null;
        if (name !== null && !known.has(name))
          findings.push(
            warn(
              'unknown_group',
              ['tiers', tier, 'escalation', stepIndex, 'to', index],
              `${entry} names no group in the directory: it resolves to nobody`,
            ),
          );
      }),
    );
  }
  return findings;
}

/** "a.*.c" and "a.b" overlap: one is a prefix of the other, segment by segment, `*` matching any segment. */
function pathsOverlap(sensitive: string, read: string): boolean {
  const a = sensitive.split('.');
  const b = read.split('.');
  const length = Math.min(a.length, b.length);
  for (let index = 0; index < length; index++) {
    if (a[index] !== '*' && b[index] !== '*' && a[index] !== b[index]) return false;
  }
  return true;
}

function hasPath(node: unknown, segments: readonly string[]): boolean {
  if (segments.length === 0) return true;
  if (node === null || typeof node !== 'object') return false;
  const container = node as Record<string, unknown>;
  const [segment, ...rest] = segments;
  const keys = segment === '*' ? Object.keys(container) : Object.prototype.hasOwnProperty.call(container, segment) ? [segment] : [];
  return keys.some((key) => hasPath(container[key], rest));
}

/**
 * An escalation step whose only entry is `manager` reaches nobody for a person the directory names no enabled
 * manager for (people added by hand, the top of the organization): the step is then audited as resolved to nobody
 * and the approval waits for the next one. A fallback entry beside it (`role:`, `person:`) keeps the step useful.
 */
function escalationsReachingNobody(document: TaxonomyDocument, warn: Warn): LintFinding[] {
  const findings: LintFinding[] = [];
  for (const [name, config] of Object.entries(document.tiers)) {
    if (config.decision !== 'approve') continue;
    const steps = config.escalation ?? (config.escalate_to === undefined ? [] : [{ to: config.escalate_to }]);
    steps.forEach((step, index) => {
      if (!step.to.every((entry) => entry === MANAGER_ENTRY)) return;
      const path: DocumentPath =
        config.escalation === undefined ? ['tiers', name, 'escalate_to'] : ['tiers', name, 'escalation', index, 'to'];
      findings.push(
        warn(
          'escalation_may_reach_nobody',
          path,
          `escalation step ${index + 1} of tier "${name}" names only the manager: it reaches nobody when the directory names no enabled manager for the person; add a fallback such as "role:admin"`,
        ),
      );
    });
  }
  return findings;
}

function withLines(tests: TaxonomyTestReport, locate: Locate): TaxonomyTestReport {
  return { ...tests, failures: tests.failures.map((failure) => ({ ...failure, line: locate(['tests', failure.index]).line })) };
}

function report(findings: LintFinding[]): LintReport {
  const sorted = findings.sort((a, b) => a.line - b.line || a.column - b.column);
  return {
    errors: sorted.filter((finding) => finding.severity === 'error').length,
    warnings: sorted.filter((finding) => finding.severity === 'warning').length,
    findings: sorted,
  };
}
