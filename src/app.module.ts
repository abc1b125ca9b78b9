import { Module, type DynamicModule, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { HttpExceptionFilter } from './common/http-exception.filter.js';
import { JsonBodyMiddleware } from './common/json-body.middleware.js';
import { RateLimitMiddleware } from './common/rate-limit.js';
import { RateLimitStore } from './common/rate-limit.store.js';
import { validationPipe } from './common/validation.js';
import type { AppConfig } from './config/config.js';
import { CoreModule } from './core.module.js';
import { RetryService } from './fulfilment/retry.service.js';
import { HealthController } from './health.controller.js';
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

/** The HTTP process: intake, verification, officer API. It never runs jobs. */
@Module({})
export class AppModule implements NestModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [CoreModule.forRoot(config)],
      controllers: [SubjectPagesController, RequestsController, ReportsController, OfficersController, ConsoleController, HealthController],
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
