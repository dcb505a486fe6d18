export * from './tiers';
export * from './taxonomy.types';
export { parseTaxonomy } from './taxonomy-parser';
export { compileTaxonomy, loadTaxonomy } from './taxonomy-compiler';
export { CEL_VARIABLES } from './cel-environment';
export { findDefaultTaxonomyPath } from './default-taxonomy-path';
