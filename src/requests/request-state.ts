// The request lifecycle. Pure: who may move a request from one status to another.
//
//   awaiting_verification ──verify──▶ verified ──plan──▶ in_progress ──all tasks ended──▶ completed
//          │                                                  ▲   │                      (no failures)
//          ├──token expired──▶ expired                       │   └──all ended, some failed──▶ failed
//          └──too many wrong tokens──▶ rejected               └────────retry failed tasks────────┘
import type { RequestStatus, TaskStatus } from '../generated/prisma/enums.js';

const TRANSITIONS: Record<RequestStatus, readonly RequestStatus[]> = {
  awaiting_verification: ['verified', 'expired', 'rejected'],
  verified: ['in_progress'],
  in_progress: ['completed', 'failed'],
  failed: ['in_progress'],
  completed: [],
  expired: [],
  rejected: [],
};

export const OPEN_STATUSES: readonly RequestStatus[] = [
  'awaiting_verification',
  'verified',
  'in_progress',
  'failed',
];

export const TERMINAL_TASK_STATUSES: readonly TaskStatus[] = ['done', 'skipped', 'failed'];

export function canTransition(from: RequestStatus, to: RequestStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

export class InvalidTransitionError extends Error {
  constructor(from: RequestStatus, to: RequestStatus) {
    super(`A request cannot go from ${from} to ${to}`);
  }
}

export function assertTransition(from: RequestStatus, to: RequestStatus): void {
  if (!canTransition(from, to)) throw new InvalidTransitionError(from, to);
}

export function isOpen(status: RequestStatus): boolean {
  return OPEN_STATUSES.includes(status);
}

/** The status a request takes once every task has ended. */
export function statusWhenTasksEnded(taskStatuses: readonly TaskStatus[]): RequestStatus {
  if (taskStatuses.some((s) => !TERMINAL_TASK_STATUSES.includes(s))) {
    throw new Error('Some tasks have not ended');
  }
  return taskStatuses.includes('failed') ? 'failed' : 'completed';
}

export function openKey(type: string, email: string): string {
  return `${type}:${email}`;
}
