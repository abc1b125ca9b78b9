// The queue contract: queue names, job names, payloads and default options, in one place.
// Payloads carry ids only: personal data never sits in Redis. PostgreSQL holds the truth; a job is
// only a nudge to act on what the database says, so every handler is safe to run twice.
//
// Queues: `requests` (request-level steps: verification e-mail, planning, the final result,
// maintenance, reminders) and one lane per data system, `lane-<system>` (its tasks and its vendor
// job checks), each consumed with its own concurrency so that no system waits behind another.
import type { JobsOptions } from 'bullmq';

export const REQUESTS_QUEUE = 'requests';

export function laneName(system: string): string {
  return `lane-${system}`;
}

export const JOB = {
  sendVerification: 'send-verification',
  plan: 'plan',
  finalize: 'finalize',
  runTask: 'run-task',
  checkTask: 'check-task',
  maintenance: 'maintenance',
  reminders: 'reminders',
  notice: 'notice',
} as const;

export interface RequestJobData {
  requestId: string;
  /** For notices: which one (an outbox kind, never personal data). */
  kind?: 'extension' | 'denial' | 'resend_result';
  /** A verification link the reconciler sends again: not if one went out meanwhile. */
  onlyIfUnsent?: boolean;
}

export interface TaskJobData {
  taskId: string;
}

// BullMQ rejects ':' in custom ids; these are deterministic so a duplicate enqueue is a no-op.
export const jobId = {
  plan: (requestId: string) => `plan-${requestId}`,
  finalize: (requestId: string, round: number) => `finalize-${requestId}-r${round}`,
  runTask: (taskId: string, round: number) => `task-${taskId}-r${round}`,
  // One id per scheduled check: a failed check never blocks the next one.
  checkTask: (taskId: string, dueAtMs: number) => `check-${taskId}-t${dueAtMs}`,
  verification: (requestId: string, tag: string) => `verification-${requestId}-${tag}`,
  notice: (requestId: string, kind: string) => `notice-${kind}-${requestId}`,
};

// Completed jobs go at once (PostgreSQL keeps the history); failed ones stay a while for operators,
// with scrubbed messages and no stack frames (src/common/scrub.ts).
const KEEP = { removeOnComplete: { age: 3600, count: 1000 }, removeOnFail: { age: 7 * 24 * 3600, count: 5000 }, stackTraceLimit: 0 };

export function requestJobOptions(): JobsOptions {
  return { attempts: 8, backoff: { type: 'exponential', delay: 2000 }, ...KEEP };
}

export function taskJobOptions(attempts: number, backoffMs: number): JobsOptions {
  // 'vendor' backoff honours a vendor's requested wait (429) and falls back to exponential.
  return { attempts, backoff: { type: 'vendor', delay: backoffMs }, ...KEEP };
}

export function checkJobOptions(): JobsOptions {
  // A check that fails is simply made again at the next maintenance pass (its own job id).
  return { attempts: 1, removeOnComplete: true, removeOnFail: true, stackTraceLimit: 0 };
}

/** Exponential backoff with full jitter, or the vendor's requested wait when it gave one. */
export function backoffDelay(attemptsMade: number, baseMs: number, retryAfterMs?: number): number {
  if (retryAfterMs !== undefined && retryAfterMs > 0) return Math.ceil(retryAfterMs + Math.random() * 250);
  const exp = baseMs * 2 ** Math.max(0, attemptsMade - 1);
  return Math.ceil(exp / 2 + Math.random() * (exp / 2));
}
