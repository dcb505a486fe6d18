import { Module } from '@nestjs/common';
import { ApprovalHistoryRepository } from './approval-history.repository';
import { TaxonomyReviewService } from './taxonomy-review.service';
import { TaxonomyRepository } from './taxonomy.repository';
import { TaxonomyService } from './taxonomy.service';

@Module({
  providers: [TaxonomyRepository, ApprovalHistoryRepository, TaxonomyService, TaxonomyReviewService],
  exports: [TaxonomyService, TaxonomyReviewService],
})
export class TaxonomyModule {}
