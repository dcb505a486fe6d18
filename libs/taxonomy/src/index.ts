export { type TaxonomyVersionRecord } from './taxonomy.repository';
export { TaxonomyModule } from './taxonomy.module';
export { type ActiveTaxonomy, TAXONOMY_REFRESH_MS, TaxonomyService } from './taxonomy.service';
