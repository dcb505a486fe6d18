export * from './tiers';
export * from './taxonomy.types';
export { parseTaxonomy } from './taxonomy-parser';
export { MAX_TOKEN_TTL_SECONDS } from './taxonomy.schema';
export { compileTaxonomy, loadTaxonomy } from './taxonomy-compiler';
export { CEL_VARIABLES } from './cel-environment';
export { findDefaultTaxonomyPath } from './default-taxonomy-path';
export {
  checkTaxonomy,
  type CheckOptions,
  invalidTaxonomyError,
  lintTaxonomy,
  type LintCode,
  type LintFinding,
  type LintReport,
  type LintSeverity,
  type TaxonomyCheck,
} from './taxonomy-lint';
export {
  describeRule,
  runTaxonomyTests,
  type TaxonomyTestFailure,
  type TaxonomyTestOutcome,
  type TaxonomyTestReport,
} from './taxonomy-tests';
export {
  diffTaxonomies,
  type ActionDiff,
  type FieldChange,
  type MatrixDiff,
  type RuleDiff,
  type TaxonomyDiff,
  type TierChange,
  type TierMove,
  type TierRequirementDiff,
} from './taxonomy-diff';
export { compareOversight, oversightOf, type Oversight, type Strictness } from './taxonomy-strictness';
export {
  ReplayComparison,
  replayRelaxes,
  REPLAY_EXAMPLES_PER_CATEGORY,
  type RecordedApproval,
  type ReplayCategory,
  type ReplayExample,
  type ReplayReport,
} from './taxonomy-replay';
