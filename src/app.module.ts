import { BullModule } from '@nestjs/bullmq';
import { Module, type DynamicModule, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import type { Logger as Pino } from 'pino';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { HttpExceptionFilter } from './common/http-exception.filter.js';
import { JsonBodyMiddleware } from './common/json-body.middleware.js';
import { RateLimitMiddleware } from './common/rate-limit.js';
import { RateLimitStore } from './common/rate-limit.store.js';
import { validationPipe } from './common/validation.js';
import type { AppConfig } from './config/config.js';
import { CoreModule } from './core.module.js';
import { RetryService } from './fulfilment/retry.service.js';
import { OfficerAuthGuard } from './officers/officer-auth.guard.js';
import { OfficersController } from './officers/officers.controller.js';
import { OfficersService } from './officers/officers.service.js';
import { OfficerActionsService } from './officers/officer-actions.service.js';
import { RequestAdminService } from './officers/request-admin.service.js';
import { ConsoleController } from './console/console.controller.js';
import { ConsoleSessions } from './console/session.service.js';
import { ReportStore } from './reports/report-store.service.js';
import { ReportsController } from './reports/reports.controller.js';
import { RequestsController } from './requests/requests.controller.js';
import { SubjectPagesController } from './subject/subject-pages.controller.js';
import { RequestsService } from './requests/requests.service.js';
import { allQueuesProvider, ApiMetrics } from './ops/api-metrics.service.js';
import { HealthController } from './ops/health.controller.js';
import { MetricsController } from './ops/metrics.controller.js';
import { laneName } from './queues/queues.js';
import { SYSTEM_KEYS } from './systems/keys.js';

/**
 * The HTTP process: intake, verification, officer API and console, and the operations endpoints
 * (health, metrics, queue dashboard). It never runs jobs; it reads the lanes only to show them.
 */
@Module({})
export class AppModule implements NestModule {
  /** `queueBoard`: Bull Board's modules (src/ops/queue-board.ts, loaded asynchronously). */
  static forRoot(config: AppConfig, logger: Pino, queueBoard: DynamicModule[]): DynamicModule {
    return {
      module: AppModule,
      imports: [CoreModule.forRoot(config, logger), BullModule.registerQueue(...SYSTEM_KEYS.map((k) => ({ name: laneName(k) }))), ...queueBoard],
      controllers: [SubjectPagesController, RequestsController, ReportsController, OfficersController, ConsoleController, HealthController, MetricsController],
      providers: [
        RequestsService,
        OfficersService,
        OfficerActionsService,
        RequestAdminService,
        RetryService,
        ReportStore,
        ConsoleSessions,
        OfficerAuthGuard,
        RateLimitStore,
        ApiMetrics,
        allQueuesProvider,
        { provide: APP_FILTER, useClass: HttpExceptionFilter },
        { provide: APP_PIPE, useFactory: validationPipe },
      ],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    // Rate limits first: a refused request is not even parsed.
    consumer.apply(RateLimitMiddleware, JsonBodyMiddleware).forRoutes('{*path}');
  }
}
