import { BullModule } from '@nestjs/bullmq';
import { Module, type DynamicModule } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { LoggerModule } from 'nestjs-pino';
import type { Logger as Pino } from 'pino';
import { redisOptions } from './common/redis.js';
import { APP_CONFIG, type AppConfig } from './config/config.js';
import { MailService } from './mail/mail.service.js';
import { PrismaService } from './prisma/prisma.service.js';
import { EnqueueService } from './queues/enqueue.service.js';
import { REQUESTS_QUEUE } from './queues/queues.js';
import { OutboxService } from './mail/outbox.service.js';
import { loggerParams } from './ops/logging.js';
import { Readiness } from './ops/readiness.service.js';

/**
 * What both processes share: configuration, logging (pino), database, queues (as producers), mail
 * and the readiness checks.
 */
@Module({})
export class CoreModule {
  static forRoot(config: AppConfig, logger: Pino): DynamicModule {
    return {
      module: CoreModule,
      global: true,
      imports: [
        LoggerModule.forRoot(loggerParams(logger)),
        TerminusModule.forRoot({ errorLogStyle: 'json' }),
        BullModule.forRoot({ connection: redisOptions(config.redisUrl), prefix: config.queuePrefix }),
        BullModule.registerQueue({ name: REQUESTS_QUEUE }),
      ],
      providers: [{ provide: APP_CONFIG, useValue: config }, PrismaService, EnqueueService, MailService, OutboxService, Readiness],
      exports: [APP_CONFIG, PrismaService, EnqueueService, MailService, OutboxService, Readiness, BullModule],
    };
  }
}
