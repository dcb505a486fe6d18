import { Module } from '@nestjs/common';
import { PeopleModule } from '@countersign/people';
import { ApprovalHistoryRepository } from './approval-history.repository';
import { TaxonomyReviewService } from './taxonomy-review.service';
import { TaxonomyRepository } from './taxonomy.repository';
import { TaxonomyService } from './taxonomy.service';

@Module({
  imports: [PeopleModule],
  providers: [TaxonomyRepository, ApprovalHistoryRepository, TaxonomyService, TaxonomyReviewService],
  exports: [TaxonomyService, TaxonomyReviewService],
})
export class TaxonomyModule {}
