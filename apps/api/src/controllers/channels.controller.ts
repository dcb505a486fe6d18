import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Put, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiDefaultResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { type FastifyReply } from 'fastify';
import { type Actor } from '@countersign/audit';
import {
  type ChannelPreferences,
  ChannelPreferencesService,
  parseSubscription,
  type PushSubscriptionView,
  PushSubscriptionsService,
  type SlackLinkView,
  SlackLinksService,
} from '@countersign/channels';
import { CONFIG, type CountersignConfig } from '@countersign/config';
import { ChannelPreferencesRequest, ref, SlackLinkRequest } from '@countersign/contract';
import { parseAdminBody } from '../http/admin-body';
import { parseBody } from '../http/parse';
import { type PersonSession } from '@countersign/people';
import { AdminGuard, CurrentAdmin, CurrentSession, SessionGuard } from '../http/auth.guards';

/** Web push: the VAPID public key the browser subscribes with. Public: it is a public key. */
@ApiTags('people')
@Controller('v1/push')
export class PushController {
  constructor(private readonly push: PushSubscriptionsService) {}

  @Get('public-key')
  @ApiOperation({ summary: 'The VAPID public key (applicationServerKey for PushManager.subscribe)' })
  publicKey(): Promise<{ public_key: string }> {
    return this.push.publicKey();
  }
}

/** The signed-in person's channels: push subscriptions of their browsers, their Slack link, and which channels each tier uses. */
@ApiTags('people')
@ApiDefaultResponse({ description: 'A problem (RFC 9457)', content: { 'application/problem+json': { schema: ref('Problem') } } })
@Controller('v1/me')
@UseGuards(SessionGuard)
export class MeChannelsController {
  constructor(
    @Inject(CONFIG) private readonly config: CountersignConfig,
    private readonly push: PushSubscriptionsService,
    private readonly slack: SlackLinksService,
    private readonly preferences: ChannelPreferencesService,
  ) {}

  @Get('channel-preferences')
  @ApiOperation({
    summary: 'Every tier of the active taxonomy that reaches people, its channels, my choice, and which channels can reach me',
  })
  @ApiOkResponse({ schema: ref('ChannelPreferences') })
  channelPreferences(
    @CurrentSession() session: PersonSession,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ChannelPreferences> {
    void reply.header('cache-control', 'no-store');
    return this.preferences.view(session.person);
  }

  @Put('channel-preferences')
  @ApiOperation({
    summary: 'Choose, per tier, the channels to be reached on (at least one, within what the tier allows; null or left out: all of them)',
  })
  @ApiBody({ schema: ref('ChannelPreferencesRequest') })
  @ApiOkResponse({ schema: ref('ChannelPreferences') })
  async setChannelPreferences(@CurrentSession() session: PersonSession, @Body() body: unknown): Promise<ChannelPreferences> {
    const actor = { type: 'person' as const, id: session.person.id };
    let request;
    try {
      request = parseBody(ChannelPreferencesRequest, body);
    } catch (error) {
      return this.preferences.refuse(actor, session.person, error);
    }
    return this.preferences.update(actor, session.person, request);
  }

  @Post('push-subscriptions')
  @ApiOperation({ summary: "Subscribe this browser: the PushSubscription's JSON ({endpoint, keys: {p256dh, auth}})" })
  subscribe(@CurrentSession() session: PersonSession, @Body() body: unknown): Promise<PushSubscriptionView> {
    return this.push.subscribe(session.person, parseSubscription(body, this.config));
  }

  @Get('push-subscriptions')
  async subscriptions(@CurrentSession() session: PersonSession): Promise<{ subscriptions: PushSubscriptionView[] }> {
    return { subscriptions: await this.push.list(session.person) };
  }

  @Delete('push-subscriptions/:id')
  @HttpCode(204)
  async unsubscribe(@CurrentSession() session: PersonSession, @Param('id') id: string): Promise<void> {
    await this.push.unsubscribe(session.person, id);
  }

  @Get('slack')
  @ApiOperation({ summary: 'My Slack link (found by email at the first notification, or set by an admin)' })
  @ApiOkResponse({
    schema: { type: 'object', required: ['slack'], properties: { slack: { oneOf: [ref('SlackLink'), { type: 'null' }] } } },
  })
  async slackLink(@CurrentSession() session: PersonSession): Promise<{ slack: SlackLinkView | null }> {
    return { slack: await this.slack.get(session.person) };
  }

  @Delete('slack')
  @HttpCode(204)
  async unlinkSlack(@CurrentSession() session: PersonSession): Promise<void> {
    await this.slack.unlink({ type: 'person', id: session.person.id }, session.person.id);
  }
}

/** Admins link a person to a Slack user explicitly (when emails differ), or remove the link. */
@ApiTags('admin')
@ApiBearerAuth()
@Controller('v1/admin/people')
@UseGuards(AdminGuard)
export class AdminSlackController {
  constructor(
    private readonly slack: SlackLinksService,
    private readonly preferences: ChannelPreferencesService,
  ) {}

  @Get(':id/channel-preferences')
  @ApiOperation({ summary: "A person's channel preferences and which channels can reach them (for support; read only)" })
  @ApiOkResponse({ schema: ref('ChannelPreferences') })
  channelPreferences(@Param('id') id: string): Promise<ChannelPreferences> {
    return this.preferences.viewOf(id);
  }

  @Put(':id/slack')
  @ApiOperation({ summary: 'Link a person to a Slack user (when emails differ)' })
  @ApiBody({ schema: ref('SlackLinkRequest') })
  @ApiOkResponse({ schema: ref('SlackLink') })
  link(@CurrentAdmin() actor: Actor, @Param('id') id: string, @Body() body: unknown): Promise<SlackLinkView> {
    return this.slack.link(actor, id, parseAdminBody(SlackLinkRequest, body));
  }

  @Delete(':id/slack')
  @HttpCode(204)
  async unlink(@CurrentAdmin() actor: Actor, @Param('id') id: string): Promise<void> {
    await this.slack.unlink(actor, id);
  }
}
