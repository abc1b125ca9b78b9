import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Inject, OnApplicationBootstrap } from '@nestjs/common';
import { DelayedError, UnrecoverableError, type Job, type MinimalJob } from 'bullmq';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { backoffDelay, JOB, TASKS_QUEUE, type TaskJobData } from '../queues/queues.js';
import { DataSystemError } from '../systems/data-system.js';
import { TaskDeferred, TaskRunnerService } from './task-runner.service.js';
import { startWorker } from './worker-settings.js';

/** One job per (request, data system): runs the system's access or erasure call. */
@Processor(TASKS_QUEUE, {
  autorun: false,
  settings: {
    // 'vendor' backoff: wait what the vendor asked for (429), else exponential with jitter.
    backoffStrategy: (attemptsMade: number, _type?: string, err?: Error, job?: MinimalJob) =>
      backoffDelay(
        attemptsMade,
        typeof job?.opts.backoff === 'object' ? (job.opts.backoff.delay ?? 1000) : 1000,
        err instanceof DataSystemError ? err.retryAfterMs : undefined,
      ),
  },
})
export class TasksProcessor extends WorkerHost implements OnApplicationBootstrap {
  constructor(
    private readonly runner: TaskRunnerService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    super();
  }

  onApplicationBootstrap(): void {
    startWorker(this.worker, this.config, this.config.workerConcurrency);
  }

  async process(job: Job<TaskJobData>, token?: string): Promise<void> {
    // A signal of its own per job: a long-lived shared one would collect a listener per call.
    const signal = new AbortController().signal;
    if (job.name === JOB.checkTask) return this.runner.check(job.data.taskId, signal);
    const attempts = job.opts.attempts ?? 1;
    const attempt = job.attemptsMade + 1;
    try {
      await this.runner.run(job.data.taskId, {
        attempt,
        willRetry: attempt < attempts,
        signal,
      });
    } catch (err) {
      if (err instanceof TaskDeferred && token) {
        // Rate limited: run again after the wait, without spending an attempt.
        await job.moveToDelayed(Date.now() + err.delayMs + Math.floor(Math.random() * 250), token);
        throw new DelayedError();
      }
      // The runner has recorded the failure; rethrow so BullMQ schedules the next attempt.
      if (attempt >= attempts) throw new UnrecoverableError((err as Error).message);
      throw err;
    }
  }
}
