// The queue contract: queue names, job names, payloads and default options, in one place.
// Payloads carry ids only: personal data never sits in Redis. PostgreSQL holds the truth; a job is
// only a nudge to act on what the database says, so every handler is safe to run twice.
import type { JobsOptions } from 'bullmq';

export const REQUESTS_QUEUE = 'requests';
export const TASKS_QUEUE = 'tasks';

export const JOB = {
  sendVerification: 'send-verification',
  plan: 'plan',
  finalize: 'finalize',
  runTask: 'run-task',
  checkTask: 'check-task',
  maintenance: 'maintenance',
} as const;

export interface RequestJobData {
  requestId: string;
}

export interface TaskJobData {
  taskId: string;
}

// BullMQ rejects ':' in custom ids; these are deterministic so a duplicate enqueue is a no-op.
export const jobId = {
  plan: (requestId: string) => `plan-${requestId}`,
  finalize: (requestId: string, round: number) => `finalize-${requestId}-r${round}`,
  runTask: (taskId: string, round: number) => `task-${taskId}-r${round}`,
  checkTask: (taskId: string, check: number) => `check-${taskId}-c${check}`,
  verification: (requestId: string, nonce: string) => `verification-${requestId}-${nonce}`,
};

const KEEP = { removeOnComplete: { age: 24 * 3600, count: 5000 }, removeOnFail: { age: 14 * 24 * 3600 } };

export function requestJobOptions(): JobsOptions {
  return { attempts: 8, backoff: { type: 'exponential', delay: 2000 }, ...KEEP };
}

export function taskJobOptions(attempts: number, backoffMs: number): JobsOptions {
  // 'vendor' backoff honours a vendor's requested wait (429) and falls back to exponential.
  return { attempts, backoff: { type: 'vendor', delay: backoffMs }, ...KEEP };
}

/** Exponential backoff with full jitter, or the vendor's requested wait when it gave one. */
export function backoffDelay(attemptsMade: number, baseMs: number, retryAfterMs?: number): number {
  if (retryAfterMs !== undefined && retryAfterMs > 0) return Math.ceil(retryAfterMs + Math.random() * 250);
  const exp = baseMs * 2 ** Math.max(0, attemptsMade - 1);
  return Math.ceil(exp / 2 + Math.random() * (exp / 2));
}
