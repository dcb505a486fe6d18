import { Body, Controller, Get, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ResourceServersService } from '@countersign/agents';
import { type Actor } from '@countersign/audit';
import { type CreatedResourceServer, CreateResourceServerRequest, ref, type ResourceServers } from '@countersign/contract';
import { parseAdminBody } from '../http/admin-body';
import { AdminGuard, CurrentAdmin } from '../http/auth.guards';
import { resourceServerView } from './admin-views';

/** Downstream services that consume approval tokens. */
@ApiTags('admin')
@ApiBearerAuth()
@Controller('v1/admin/resource-servers')
@UseGuards(AdminGuard)
export class AdminResourceServersController {
  constructor(private readonly servers: ResourceServersService) {}

  @Get()
  @ApiOkResponse({ schema: ref('ResourceServers') })
  async list(): Promise<ResourceServers> {
    return { resource_servers: (await this.servers.list()).map(resourceServerView) };
  }

  @Post()
  @ApiOperation({ summary: 'Register an audience → client id and secret (shown once)' })
  @ApiBody({ schema: ref('CreateResourceServerRequest') })
  @ApiCreatedResponse({ schema: ref('CreatedResourceServer') })
  async create(@CurrentAdmin() actor: Actor, @Body() body: unknown): Promise<CreatedResourceServer> {
    const { server, clientSecret } = await this.servers.create(actor, parseAdminBody(CreateResourceServerRequest, body));
    return { ...resourceServerView(server), client_secret: clientSecret };
  }
}
