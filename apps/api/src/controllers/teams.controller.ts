import { Controller, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { type FastifyReply, type FastifyRequest } from 'fastify';
import { TeamsActivitiesService } from '@countersign/channels';

/** The Bot Framework's messaging endpoint: activities are verified and handled by the channels library. */
@ApiExcludeController()
@Controller('teams')
export class TeamsController {
  constructor(private readonly activities: TeamsActivitiesService) {}

  @Post('messages')
  async messages(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<unknown> {
    const authorization = request.headers.authorization;
    const activity = await this.activities.parse(request.body);
    const answer = await this.activities.handle({ authorization: typeof authorization === 'string' ? authorization : undefined, activity });
    void reply.status(answer.status);
    return answer.body ?? {};
  }
}
