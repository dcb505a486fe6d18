import { type DynamicModule, Module } from '@nestjs/common';
import { AgentsModule } from '@countersign/agents';
import { AuditModule } from '@countersign/audit';
import { ConfigModule, type CountersignConfig } from '@countersign/config';
import { DatabaseModule } from '@countersign/database';
import { PeopleModule } from '@countersign/people';
import { TaxonomyModule } from '@countersign/taxonomy';
import { TokensModule } from '@countersign/tokens';

/** What the admin commands need: Postgres and the feature services, no HTTP, no Redis. */
@Module({})
export class CliModule {
  static forRoot(config: CountersignConfig): DynamicModule {
    return {
      module: CliModule,
      imports: [ConfigModule.forRoot(config), DatabaseModule, AuditModule, TokensModule, AgentsModule, PeopleModule, TaxonomyModule],
    };
  }
}
