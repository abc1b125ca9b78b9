import { Logger } from '@nestjs/common';
import type { Worker } from 'bullmq';
import type { AppConfig } from '../config/config.js';

/**
 * Consumers are declared with `autorun: false` so that settings from the validated configuration
 * (not from decorators) apply before the worker starts: concurrency, job lock and stalled-job check.
 */
export function startWorker(worker: Worker, config: AppConfig, concurrency: number): void {
  Object.assign(worker.opts, {
    lockDuration: config.jobLockMs,
    stalledInterval: config.stalledCheckMs,
    maxStalledCount: 2,
  });
  worker.concurrency = concurrency;
  // Without a listener an 'error' event would crash the process. These are Redis-side failures
  // (a lost connection, a job whose key vanished with a Redis restart): PostgreSQL holds the state
  // and the reconciler re-queues what is unfinished, so they are logged, not fatal.
  const logger = new Logger(`Worker:${worker.name}`);
  worker.on('error', (err) => logger.warn(`Queue error: ${err.message.slice(0, 200)}`));
  void worker.run();
}
