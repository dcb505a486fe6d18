import { Body, Controller, Get, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ResourceServersService, type ResourceServerView } from '@countersign/agents';
import { type Actor } from '@countersign/audit';
import { AdminGuard, CurrentAdmin } from '../http/auth.guards';
import { RequestBody } from '../http/request-body';

/** Downstream services that consume approval tokens. */
@ApiTags('admin')
@ApiBearerAuth()
@Controller('v1/admin/resource-servers')
@UseGuards(AdminGuard)
export class AdminResourceServersController {
  constructor(private readonly servers: ResourceServersService) {}

  @Get()
  async list(): Promise<{ resource_servers: ResourceServerView[] }> {
    return { resource_servers: await this.servers.list() };
  }

  @Post()
  @ApiOperation({ summary: 'Register {audience} → client id and secret (shown once)' })
  async create(@CurrentAdmin() actor: Actor, @Body() body: unknown): Promise<ResourceServerView & { client_secret: string }> {
    const { server, clientSecret } = await this.servers.create(actor, { audience: RequestBody.of(body, ['audience']).string('audience') });
    return { ...server, client_secret: clientSecret };
  }
}
