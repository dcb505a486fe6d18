export { type TaxonomyVersionRecord, type TaxonomyVersionSummary } from './taxonomy.repository';
export { TaxonomyModule } from './taxonomy.module';
export { type ActiveTaxonomy, type AppliedTaxonomy, TAXONOMY_REFRESH_MS, TaxonomyService } from './taxonomy.service';
export {
  REPLAY_MAX_APPROVALS,
  REVIEW_MAX_DAYS,
  type ReplayResult,
  type ReplayWindow,
  TaxonomyReviewService,
  type UnknownActionsReport,
} from './taxonomy-review.service';
