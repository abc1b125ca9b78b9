import { BullModule } from '@nestjs/bullmq';
import { Module, type DynamicModule } from '@nestjs/common';
import { redisOptions } from './common/redis.js';
import { APP_CONFIG, type AppConfig } from './config/config.js';
import { MailService } from './mail/mail.service.js';
import { PrismaService } from './prisma/prisma.service.js';
import { EnqueueService } from './queues/enqueue.service.js';
import { REQUESTS_QUEUE } from './queues/queues.js';
import { OutboxService } from './mail/outbox.service.js';

/** What both processes share: configuration, database, queues (as producers) and mail. */
@Module({})
export class CoreModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: CoreModule,
      global: true,
      imports: [
        BullModule.forRoot({ connection: redisOptions(config.redisUrl), prefix: config.queuePrefix }),
        BullModule.registerQueue({ name: REQUESTS_QUEUE }),
      ],
      providers: [{ provide: APP_CONFIG, useValue: config }, PrismaService, EnqueueService, MailService, OutboxService],
      exports: [APP_CONFIG, PrismaService, EnqueueService, MailService, OutboxService, BullModule],
    };
  }
}
