import { Global, Module } from '@nestjs/common';
import { FloodBacklog } from './flood-backlog';
import { QueueService } from './queue.service';
import { RedisService } from './redis.service';

@Global()
@Module({ providers: [FloodBacklog, QueueService, RedisService], exports: [FloodBacklog, QueueService, RedisService] })
export class QueueModule {}
