import { Logger } from '@nestjs/common';
import type { Worker } from 'bullmq';
import type { AppConfig } from '../config/config.js';

/**
 * Consumers are declared with `autorun: false` so that settings from the validated configuration
 * (not from decorators) apply before the worker starts: concurrency, job lock and stalled-job check.
 */
export function lockSettings(config: AppConfig) {
  return {
    lockDuration: config.jobLockMs,
    lockRenewTime: Math.floor(config.jobLockMs / 2),
    stalledInterval: config.stalledCheckMs,
    maxStalledCount: 2,
  };
}

export function startWorker(worker: Worker, config: AppConfig, concurrency: number): void {
  const settings = lockSettings(config);
  if (worker.opts.lockDuration !== settings.lockDuration || worker.opts.lockRenewTime !== settings.lockRenewTime) {
    Object.assign(worker.opts, settings);
    // The lock renewer is built in the constructor from the options of that moment: rebuild it so
    // locks are renewed at half the configured lock time (the worker has not run yet).
    (worker as unknown as { createLockManager(): void }).createLockManager();
  }
  worker.concurrency = concurrency;
  // Without a listener an 'error' event would crash the process. These are Redis-side failures
  // (a lost connection, a job whose key vanished with a Redis restart): PostgreSQL holds the state
  // and the reconciler re-queues what is unfinished, so they are logged, not fatal.
  const logger = new Logger(`Worker:${worker.name}`);
  worker.on('error', (err) => logger.warn(`Queue error: ${err.message.slice(0, 200)}`));
  void worker.run();
}
