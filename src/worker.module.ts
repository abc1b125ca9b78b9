import { Module, type DynamicModule } from '@nestjs/common';
import type { Logger as Pino } from 'pino';
import type { AppConfig } from './config/config.js';
import { CoreModule } from './core.module.js';
import { FinalizerService } from './fulfilment/finalizer.service.js';
import { PlannerService } from './fulfilment/planner.service.js';
import { MaintenanceService } from './fulfilment/maintenance.service.js';
import { ReconcilerService } from './fulfilment/reconciler.service.js';
import { RetryService } from './fulfilment/retry.service.js';
import { RequestsProcessor } from './fulfilment/requests.processor.js';
import { TaskRunnerService } from './fulfilment/task-runner.service.js';
import { LaneWorkers } from './fulfilment/lanes.service.js';
import { WorkerHttpServer } from './ops/worker-http.server.js';
import { WorkerMetrics } from './ops/worker-metrics.service.js';
import { RetentionService } from './fulfilment/retention.service.js';
import { NotifierService } from './fulfilment/notifier.service.js';
import { VerificationMailerService } from './fulfilment/verification-mailer.service.js';
import { ReportStore } from './reports/report-store.service.js';
import { SystemsModule } from './systems/systems.module.js';

/** The worker process: consumes the queues. Its only HTTP server serves metrics and health (WORKER_METRICS_PORT). */
@Module({})
export class WorkerModule {
  static forRoot(config: AppConfig, logger: Pino): DynamicModule {
    return {
      module: WorkerModule,
      imports: [CoreModule.forRoot(config, logger), SystemsModule],
      providers: [
        VerificationMailerService,
        PlannerService,
        TaskRunnerService,
        FinalizerService,
        ReconcilerService,
        RetryService,
        MaintenanceService,
        RetentionService,
        NotifierService,
        ReportStore,
        RequestsProcessor,
        LaneWorkers,
        WorkerMetrics,
        WorkerHttpServer,
      ],
    };
  }
}
