import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Inject, Logger, OnApplicationBootstrap } from '@nestjs/common';
import type { Job } from 'bullmq';
import { scrubError } from '../common/scrub.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { WorkerMetrics } from '../ops/worker-metrics.service.js';
import { JOB, REQUESTS_QUEUE, type RequestJobData } from '../queues/queues.js';
import { FinalizerService } from './finalizer.service.js';
import { PlannerService } from './planner.service.js';
import { MaintenanceService } from './maintenance.service.js';
import { NotifierService } from './notifier.service.js';
import { startWorker } from './worker-settings.js';
import { VerificationMailerService } from './verification-mailer.service.js';

/** Request-level steps: verification e-mail, planning the fan-out, the final result. */
@Processor(REQUESTS_QUEUE, { autorun: false })
export class RequestsProcessor extends WorkerHost implements OnApplicationBootstrap {
  private readonly logger = new Logger(RequestsProcessor.name);

  constructor(
    private readonly verification: VerificationMailerService,
    private readonly planner: PlannerService,
    private readonly finalizer: FinalizerService,
    private readonly maintenance: MaintenanceService,
    private readonly notifier: NotifierService,
    private readonly metrics: WorkerMetrics,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    super();
  }

  onApplicationBootstrap(): void {
    startWorker(this.worker, this.config, Math.max(2, Math.ceil(this.config.workerConcurrency / 2)));
  }

  async process(job: Job<RequestJobData>): Promise<void> {
    const started = performance.now();
    let outcome = 'done';
    try {
      await this.handle(job);
    } catch (err) {
      outcome = job.attemptsMade + 1 < (job.opts.attempts ?? 1) ? 'retry' : 'error';
      // BullMQ keeps the message in Redis: no address may be in it (an SMTP refusal quotes one).
      throw scrubError(err);
    } finally {
      this.metrics.jobFinished({ queue: REQUESTS_QUEUE, job: job.name, requestId: job.data.requestId, outcome, durationMs: performance.now() - started });
    }
  }

  private async handle(job: Job<RequestJobData>): Promise<void> {
    const { requestId } = job.data;
    switch (job.name) {
      case JOB.sendVerification:
        return this.verification.send(requestId, { onlyIfUnsent: job.data.onlyIfUnsent === true });
      case JOB.plan:
        return this.planner.plan(requestId);
      case JOB.finalize:
        return this.finalizer.finalize(requestId);
      case JOB.notice:
        if (job.data.kind === 'resend_result') await this.finalizer.resend(requestId, String(job.id ?? 'x').split('-').pop()!);
        else if (job.data.kind) await this.notifier.notice(requestId, job.data.kind);
        return;
      case JOB.reminders:
        await this.notifier.remind();
        return;
      case JOB.maintenance:
        await this.maintenance.run();
        return;
      default:
        this.logger.error(`Unknown job ${job.name} (${job.id})`);
    }
  }
}
