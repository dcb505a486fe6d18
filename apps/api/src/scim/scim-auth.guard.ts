import { type CanActivate, createParamDecorator, type ExecutionContext, Injectable } from '@nestjs/common';
import { type FastifyRequest } from 'fastify';
import { type Actor } from '@countersign/audit';
import { ScimTokensService } from '@countersign/directory';

type DirectoryRequest = FastifyRequest & { directoryActor?: Actor };

/** The organization's directory: a SCIM bearer token (`countersign scim-tokens create`); refusals are audited. */
@Injectable()
export class ScimAuthGuard implements CanActivate {
  constructor(private readonly tokens: ScimTokensService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<DirectoryRequest>();
    request.directoryActor = await this.tokens.authenticate(request.headers.authorization, request.ip);
    return true;
  }
}

export const CurrentDirectory = createParamDecorator((_data: unknown, context: ExecutionContext): Actor => {
  const actor = context.switchToHttp().getRequest<DirectoryRequest>().directoryActor;
  if (!actor) throw new Error('CurrentDirectory used without ScimAuthGuard');
  return actor;
});
