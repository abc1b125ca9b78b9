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
  void worker.run();
}
