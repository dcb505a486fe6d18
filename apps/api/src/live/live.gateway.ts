import { Inject, Logger } from '@nestjs/common';
import { type OnGatewayInit, WebSocketGateway } from '@nestjs/websockets';
import { type FastifyRequest } from 'fastify';
import { type Server, type Socket } from 'socket.io';
import { agentRoom, personRooms } from '@countersign/approvals';
import { AgentsService } from '@countersign/agents';
import { CONFIG, type CountersignConfig } from '@countersign/config';
import { SessionService } from '@countersign/people';
import { AccessTokenService } from '@countersign/tokens';
import { readSessionCookie } from '../http/session-cookie';

/**
 * Live updates at `/v1/live` (socket.io). Authenticated at the handshake, then only server-to-client events:
 * a person's session cookie (from Countersign's own origin) joins the rooms of the approvals they may decide;
 * an agent's bearer token (`auth: {token}`) joins its own approvals' room.
 */
@WebSocketGateway({ path: '/v1/live', serveClient: false })
export class LiveGateway implements OnGatewayInit {
  private readonly logger = new Logger(LiveGateway.name);

  constructor(
    @Inject(CONFIG) private readonly config: CountersignConfig,
    private readonly sessions: SessionService,
    private readonly accessTokens: AccessTokenService,
    private readonly agents: AgentsService,
  ) {}

  afterInit(server: Server): void {
    server.use((socket, next) => {
      this.rooms(socket).then(
        async (rooms) => {
          await socket.join(rooms);
          next();
        },
        (error: Error) => {
          this.logger.debug(`live connection refused: ${error.message}`);
          next(new Error('unauthenticated'));
        },
      );
    });
  }

  private async rooms(socket: Socket): Promise<string[]> {
    const token = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
    if (typeof token === 'string') {
      const principal = await this.accessTokens.verify(token);
      const agent = await this.agents.findById(principal.agentId);
      if (!agent || agent.status !== 'active') throw new Error('the agent is suspended or unknown');
      return [agentRoom(agent.id)];
    }
    // A cookie rides along with any page's request: only Countersign's own pages may open a person's socket.
    if (socket.handshake.headers.origin !== new URL(this.config.publicUrl).origin) throw new Error('cross-origin connection');
    const cookie = readSessionCookie({ headers: socket.handshake.headers } as FastifyRequest, this.config);
    const session = cookie ? await this.sessions.authenticate(cookie) : null;
    if (!session) throw new Error('no live session');
    return personRooms(session.person);
  }
}
