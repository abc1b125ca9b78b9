import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { DelayedError, UnrecoverableError, Worker, type Job, type MinimalJob } from 'bullmq';
import { setMaxListeners } from 'node:events';
import { redisOptions } from '../common/redis.js';
import { scrubError } from '../common/scrub.js';
import { APP_CONFIG, laneConcurrency, type AppConfig } from '../config/config.js';
import { backoffDelay, JOB, laneName, type TaskJobData } from '../queues/queues.js';
import { DataSystemError } from '../systems/data-system.js';
import { SystemRegistry } from '../systems/registry.js';
import { WorkerMetrics } from '../ops/worker-metrics.service.js';
import { TaskDeferred, TaskRunnerService, type TaskReport } from './task-runner.service.js';
import { lockSettings, startWorker } from './worker-settings.js';

// On shutdown, active jobs get this long to finish their current call before waits are cut short
// (a task cut short goes back to its lane without spending an attempt).
const SHUTDOWN_GRACE_MS = 5_000;

/**
 * One lane per data system: a queue and a consumer with its own concurrency, so that a slow or
 * rate-limited vendor never holds up another. A task that must wait for its vendor's next slot
 * waits inside its lane (the wait costs a slot of that lane only), keeping its progress.
 */
@Injectable()
export class LaneWorkers implements OnApplicationBootstrap {
  readonly workers = new Map<string, Worker<TaskJobData>>();
  private readonly stopping = new AbortController();

  constructor(
    private readonly runner: TaskRunnerService,
    private readonly registry: SystemRegistry,
    private readonly metrics: WorkerMetrics,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    // Every active job of every lane listens for the shutdown.
    setMaxListeners(0, this.stopping.signal);
    for (const system of this.registry.all()) {
      const worker = new Worker<TaskJobData>(laneName(system.key), (job, token) => this.reported(system.key, job, token), {
        connection: redisOptions(this.config.redisUrl),
        prefix: this.config.queuePrefix,
        autorun: false,
        ...lockSettings(this.config),
        settings: {
          // 'vendor' backoff: wait what the vendor asked for (429), else exponential with jitter.
          backoffStrategy: (attemptsMade: number, _type?: string, err?: Error, job?: MinimalJob) =>
            backoffDelay(
              attemptsMade,
              typeof job?.opts.backoff === 'object' ? (job.opts.backoff.delay ?? 1000) : 1000,
              err instanceof DataSystemError ? err.retryAfterMs : undefined,
            ),
        },
      });
      startWorker(worker, this.config, laneConcurrency(this.config, system.key));
      this.workers.set(system.key, worker);
    }
  }

  /** Stops taking jobs, lets active ones finish (waits are cut after a grace period), closes. */
  async close(): Promise<void> {
    const timer = setTimeout(() => this.stopping.abort(), SHUTDOWN_GRACE_MS);
    try {
      await Promise.all([...this.workers.values()].map((w) => w.close()));
    } finally {
      clearTimeout(timer);
    }
  }

  /** Runs a job and reports it (one log line, metrics), whatever becomes of it. */
  private async reported(system: string, job: Job<TaskJobData>, token?: string): Promise<void> {
    const started = performance.now();
    const report: TaskReport = {};
    // The outcome the task recorded; otherwise what became of the job: put back for a rate limit or
    // a shutdown (deferred), failed and tried again (retry), failed for good (error), or nothing to
    // do (the task had ended already or another run holds it).
    let outcome = 'nothing_to_do';
    try {
      await this.process(job, token, report);
    } catch (err) {
      outcome = err instanceof DelayedError ? 'deferred' : err instanceof UnrecoverableError ? 'error' : 'retry';
      throw err;
    } finally {
      this.metrics.jobFinished({
        queue: laneName(system),
        job: job.name,
        requestId: report.requestId,
        taskId: job.data.taskId,
        system,
        outcome: report.outcome ?? outcome,
        durationMs: performance.now() - started,
      });
    }
  }

  private async process(job: Job<TaskJobData>, token: string | undefined, report: TaskReport): Promise<void> {
    // A signal of its own per job (a long-lived shared one would collect a listener per call),
    // aborted when the worker shuts down.
    const controller = new AbortController();
    const onStop = () => controller.abort();
    this.stopping.signal.addEventListener('abort', onStop, { once: true });
    const attempts = job.opts.attempts ?? 1;
    const attempt = job.attemptsMade + 1;
    try {
      if (job.name === JOB.checkTask) {
        await this.runner.check(job.data.taskId, controller.signal, report);
        return;
      }
      await this.runner.run(job.data.taskId, { attempt, willRetry: attempt < attempts, signal: controller.signal, report });
    } catch (err) {
      if (err instanceof TaskDeferred && token) {
        // Rate limited or shutting down: run again later without spending an attempt.
        await job.moveToDelayed(Date.now() + err.delayMs + Math.floor(Math.random() * 250), token);
        throw new DelayedError();
      }
      // The runner has recorded the failure; rethrow (scrubbed: BullMQ keeps it in Redis) so
      // BullMQ schedules the next attempt, or stops at the last one.
      if (attempt >= attempts) throw new UnrecoverableError(scrubError(err as Error).message);
      throw scrubError(err);
    } finally {
      this.stopping.signal.removeEventListener('abort', onStop);
    }
  }
}

