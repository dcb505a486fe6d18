import { Body, Controller, Delete, Get, Header, HttpCode, Inject, Param, Patch, Post, Put, Query, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiExcludeController } from '@nestjs/swagger';
import { type FastifyReply } from 'fastify';
import { type z } from 'zod';
import { type Actor } from '@countersign/audit';
import {
  explainScimIssue,
  listResponse,
  resourceTypes,
  ScimGroupBody,
  ScimGroupsService,
  ScimListQuery,
  ScimPatchBody,
  ScimUserBody,
  ScimUsersService,
  scimError,
  schemas,
  serviceProviderConfig,
} from '@countersign/directory';
import { CONFIG, type CountersignConfig } from '@countersign/config';
import { DomainError } from '@countersign/domain';
import { parseBody } from '../http/parse';
import { CurrentDirectory, ScimAuthGuard } from './scim-auth.guard';
import { SCIM_CONTENT_TYPE } from './scim-errors';

/**
 * SCIM 2.0 (RFC 7643/7644) for the organization's directory: Users and Groups, and the discovery documents. Errors
 * on these routes are SCIM error bodies (the problem filter renders them). docs/adr/0017-scim-provisioning.md
 */
@ApiExcludeController()
@ApiBearerAuth()
@Controller('scim/v2')
@UseGuards(ScimAuthGuard)
export class ScimController {
  private readonly base: string;

  constructor(
    @Inject(CONFIG) config: CountersignConfig,
    private readonly users: ScimUsersService,
    private readonly groups: ScimGroupsService,
  ) {
    this.base = `${config.publicUrl}/scim/v2`;
  }

  @Get('ServiceProviderConfig')
  @Header('content-type', SCIM_CONTENT_TYPE)
  serviceProviderConfig() {
    return serviceProviderConfig(this.base);
  }

  @Get('ResourceTypes')
  @Header('content-type', SCIM_CONTENT_TYPE)
  resourceTypes() {
    const all = resourceTypes(this.base);
    return listResponse(all, all.length, 1);
  }

  @Get('ResourceTypes/:id')
  @Header('content-type', SCIM_CONTENT_TYPE)
  resourceType(@Param('id') id: string) {
    return found(
      resourceTypes(this.base).find((type) => type.id === id),
      `no ResourceType ${JSON.stringify(id)}`,
    );
  }

  @Get('Schemas')
  @Header('content-type', SCIM_CONTENT_TYPE)
  schemas() {
    const all = schemas(this.base);
    return listResponse(all, all.length, 1);
  }

  @Get('Schemas/:id')
  @Header('content-type', SCIM_CONTENT_TYPE)
  schema(@Param('id') id: string) {
    return found(
      schemas(this.base).find((schema) => schema.id === id),
      `no Schema ${JSON.stringify(id)}`,
    );
  }

  @Get('Users')
  @Header('content-type', SCIM_CONTENT_TYPE)
  listUsers(@Query() query: unknown) {
    return this.users.list(parseBody(ScimListQuery, query, explainScimIssue));
  }

  @Get('Users/:id')
  @Header('content-type', SCIM_CONTENT_TYPE)
  getUser(@Param('id') id: string) {
    return this.users.get(id);
  }

  @Post('Users')
  @Header('content-type', SCIM_CONTENT_TYPE)
  async createUser(@CurrentDirectory() actor: Actor, @Body() body: unknown, @Res({ passthrough: true }) reply: FastifyReply) {
    const user = await this.users.create(actor, scimBody(ScimUserBody, body));
    void reply.header('location', user.meta.location);
    return user;
  }

  @Put('Users/:id')
  @Header('content-type', SCIM_CONTENT_TYPE)
  replaceUser(@CurrentDirectory() actor: Actor, @Param('id') id: string, @Body() body: unknown) {
    return this.users.replace(actor, id, scimBody(ScimUserBody, body));
  }

  @Patch('Users/:id')
  @Header('content-type', SCIM_CONTENT_TYPE)
  patchUser(@CurrentDirectory() actor: Actor, @Param('id') id: string, @Body() body: unknown) {
    return this.users.patch(actor, id, scimBody(ScimPatchBody, body));
  }

  @Delete('Users/:id')
  @HttpCode(204)
  async deleteUser(@CurrentDirectory() actor: Actor, @Param('id') id: string): Promise<void> {
    await this.users.remove(actor, id);
  }

  @Get('Groups')
  @Header('content-type', SCIM_CONTENT_TYPE)
  listGroups(@Query() query: unknown) {
    return this.groups.list(parseBody(ScimListQuery, query, explainScimIssue));
  }

  @Get('Groups/:id')
  @Header('content-type', SCIM_CONTENT_TYPE)
  getGroup(@Param('id') id: string, @Query() query: unknown) {
    return this.groups.get(id, parseBody(ScimListQuery, query, explainScimIssue));
  }

  @Post('Groups')
  @Header('content-type', SCIM_CONTENT_TYPE)
  async createGroup(@CurrentDirectory() actor: Actor, @Body() body: unknown, @Res({ passthrough: true }) reply: FastifyReply) {
    const group = await this.groups.create(actor, scimBody(ScimGroupBody, body));
    void reply.header('location', group.meta.location);
    return group;
  }

  @Put('Groups/:id')
  @Header('content-type', SCIM_CONTENT_TYPE)
  replaceGroup(@CurrentDirectory() actor: Actor, @Param('id') id: string, @Body() body: unknown) {
    return this.groups.replace(actor, id, scimBody(ScimGroupBody, body));
  }

  @Patch('Groups/:id')
  @HttpCode(204)
  async patchGroup(@CurrentDirectory() actor: Actor, @Param('id') id: string, @Body() body: unknown): Promise<void> {
    await this.groups.patch(actor, id, scimBody(ScimPatchBody, body));
  }

  @Delete('Groups/:id')
  @HttpCode(204)
  async deleteGroup(@CurrentDirectory() actor: Actor, @Param('id') id: string): Promise<void> {
    await this.groups.remove(actor, id);
  }
}

/** A SCIM request body: a JSON object (else `invalidSyntax`), parsed with its schema (a bad member is `invalidValue`). */
function scimBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw scimError('invalidSyntax', 'the body must be a JSON object');
  return parseBody(schema, body, explainScimIssue);
}

function found<T>(value: T | undefined, message: string): T {
  if (value === undefined) throw new DomainError('not_found', message);
  return value;
}
