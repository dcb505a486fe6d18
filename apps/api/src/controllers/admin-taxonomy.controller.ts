import { Body, Controller, Get, HttpCode, Param, Post, Query, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { type FastifyReply } from 'fastify';
import { type Actor } from '@countersign/audit';
import {
  ActivateTaxonomyRequest,
  type ActivatedTaxonomy,
  type AppliedTaxonomy,
  ref,
  type ReplayResult,
  type TaxonomyCheck,
  type TaxonomyDiff,
  type TaxonomyVersion,
  type TaxonomyVersionSummary,
  type UnknownActions,
} from '@countersign/contract';
import { DomainError } from '@countersign/domain';
import { TaxonomyReviewService, TaxonomyService } from '@countersign/taxonomy';
import { parseAdminBody } from '../http/admin-body';
import { AdminGuard, CurrentAdmin } from '../http/auth.guards';
import { taxonomyVersionSummary, taxonomyVersionView } from './admin-views';

const YAML_BODY = { description: 'a taxonomy file (Content-Type: application/yaml)', schema: { type: 'string' } };

/**
 * Taxonomy administration: versions, rollback, and the checks a candidate file goes through (lint, its own tests,
 * a diff, a replay against stored approvals). Candidate files are sent as YAML bodies, as they live in git.
 */
@ApiTags('admin')
@ApiBearerAuth()
@Controller('v1/admin/taxonomy')
@UseGuards(AdminGuard)
export class AdminTaxonomyController {
  constructor(
    private readonly taxonomy: TaxonomyService,
    private readonly review: TaxonomyReviewService,
  ) {}

  @Get('versions')
  @ApiOperation({ summary: 'Stored versions, newest first' })
  @ApiOkResponse({ schema: { type: 'array', items: ref('TaxonomyVersionSummary') } })
  async list(): Promise<TaxonomyVersionSummary[]> {
    return (await this.taxonomy.list()).map(taxonomyVersionSummary);
  }

  @Get('versions/:version')
  @ApiOperation({ summary: 'One version, with its source' })
  @ApiOkResponse({ schema: ref('TaxonomyVersion') })
  async get(@Param('version') version: string): Promise<TaxonomyVersion> {
    return taxonomyVersionView(await this.taxonomy.get(integer(version, 'version')));
  }

  @Post('versions')
  @ApiOperation({ summary: 'Apply a taxonomy file as the next version (lint errors and failing tests refuse it)' })
  @ApiConsumes('application/yaml')
  @ApiBody(YAML_BODY)
  @ApiQuery({ name: 'comment', required: false })
  @ApiCreatedResponse({ schema: ref('AppliedTaxonomy') })
  apply(
    @CurrentAdmin() actor: Actor,
    @Body() source: unknown,
    @Query('comment') comment: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<AppliedTaxonomy> {
    void reply.status(201);
    return this.taxonomy.apply(actor, yamlBody(source), comment);
  }

  @Post('versions/:version/activate')
  @HttpCode(200)
  @ApiOperation({ summary: 'Activate a stored version (rollback); audited with the reason' })
  @ApiBody({ schema: ref('ActivateTaxonomyRequest') })
  @ApiOkResponse({ schema: ref('ActivatedTaxonomy') })
  activate(@CurrentAdmin() actor: Actor, @Param('version') version: string, @Body() body: unknown): Promise<ActivatedTaxonomy> {
    const { reason } = parseAdminBody(ActivateTaxonomyRequest, body);
    return this.taxonomy.activate(actor, integer(version, 'version'), reason);
  }

  @Get('diff')
  @ApiOperation({ summary: 'What changed between two stored versions (to defaults to the active one)' })
  @ApiQuery({ name: 'from', type: Number })
  @ApiQuery({ name: 'to', type: Number, required: false })
  @ApiOkResponse({ schema: ref('TaxonomyDiff') })
  diffVersions(@Query('from') from: string | undefined, @Query('to') to?: string): Promise<TaxonomyDiff> {
    return this.review.diffVersions(integer(from, 'from'), optionalInteger(to, 'to'));
  }

  @Post('diff')
  @HttpCode(200)
  @ApiOperation({ summary: 'What a candidate file changes from a stored version (the active one by default)' })
  @ApiConsumes('application/yaml')
  @ApiBody(YAML_BODY)
  @ApiQuery({ name: 'against', type: Number, required: false })
  @ApiOkResponse({ schema: ref('TaxonomyDiff') })
  diffCandidate(@Body() source: unknown, @Query('against') against?: string): Promise<TaxonomyDiff> {
    return this.review.diffCandidate(yamlBody(source), optionalInteger(against, 'against'));
  }

  @Post('lint')
  @HttpCode(200)
  @ApiOperation({ summary: 'Lint a candidate file and run its tests (nothing is stored)' })
  @ApiConsumes('application/yaml')
  @ApiBody(YAML_BODY)
  @ApiOkResponse({ schema: ref('TaxonomyCheck') })
  check(@Body() source: unknown): Promise<TaxonomyCheck> {
    return this.review.check(yamlBody(source));
  }

  @Post('replay')
  @HttpCode(200)
  @ApiOperation({ summary: 'Classify stored approvals with a candidate file and report what would change' })
  @ApiConsumes('application/yaml')
  @ApiBody(YAML_BODY)
  @ApiQuery({ name: 'last', type: Number, required: false, description: 'the newest N approvals (default 1000)' })
  @ApiQuery({ name: 'days', type: Number, required: false, description: 'approvals of the last N days' })
  @ApiOkResponse({ schema: ref('ReplayResult') })
  replay(@Body() source: unknown, @Query('last') last?: string, @Query('days') days?: string): Promise<ReplayResult> {
    return this.review.replay(yamlBody(source), { last: optionalInteger(last, 'last'), days: optionalInteger(days, 'days') });
  }

  @Get('unknown-actions')
  @ApiOperation({ summary: 'Action types requested recently that matched nothing, with counts and agents' })
  @ApiQuery({ name: 'days', type: Number, required: false, description: 'default 7' })
  @ApiOkResponse({ schema: ref('UnknownActions') })
  unknownActions(@Query('days') days?: string): Promise<UnknownActions> {
    return this.review.unknownActions(optionalInteger(days, 'days') ?? 7);
  }
}

function yamlBody(body: unknown): string {
  if (typeof body !== 'string' || body.trim() === '')
    throw new DomainError('invalid_request', 'send the taxonomy file as the body, with Content-Type: application/yaml');
  return body;
}

function optionalInteger(value: string | undefined, field: string): number | undefined {
  return value === undefined ? undefined : integer(value, field);
}

function integer(value: string | undefined, field: string): number {
  if (value === undefined || !/^\d{1,9}$/.test(value))
    throw new DomainError('invalid_request', `${field} must be a positive integer`, { field });
  return Number(value);
}
