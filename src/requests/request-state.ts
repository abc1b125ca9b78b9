// The request lifecycle. Pure: who may move a request from one status to another.
//
//   awaiting_verification ──verify──▶ verified ──plan──▶ in_progress ──all tasks ended──▶ completed
//          │                                                ▲   │  │                    (nothing open)
//          ├──links expired──▶ expired                     │   │  └──some task failed──▶ failed ──retry──┐
//          │                                                │   └──officer actions open──▶ awaiting_action
//          │                                                └──────────────────────────────────────────┘
//          └──(any open status)──officer denies──▶ denied         awaiting_action ──last action done──▶ completed
// `rejected` is kept for requests closed by the earlier "too many wrong tokens" rule.
import type { RequestStatus, TaskStatus } from '../generated/prisma/enums.js';

const TRANSITIONS: Record<RequestStatus, readonly RequestStatus[]> = {
  awaiting_verification: ['verified', 'expired', 'rejected', 'denied'],
  // completed: an access request repeated while the last report lives gets a fresh link to it.
  verified: ['in_progress', 'completed', 'denied'],
  in_progress: ['completed', 'failed', 'awaiting_action', 'denied'],
  failed: ['in_progress', 'denied'],
  awaiting_action: ['completed', 'failed', 'in_progress', 'denied'],
  completed: [],
  expired: [],
  rejected: [],
  denied: [],
};

export const OPEN_STATUSES: readonly RequestStatus[] = [
  'awaiting_verification',
  'verified',
  'in_progress',
  'failed',
  'awaiting_action',
];

/** Statuses whose deadline runs: the request was verified and has not been answered in full. */
export const ACTIVE_STATUSES: readonly RequestStatus[] = ['verified', 'in_progress', 'failed', 'awaiting_action'];

export const TERMINAL_TASK_STATUSES: readonly TaskStatus[] = ['done', 'skipped', 'failed', 'cancelled'];

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

/**
 * The status a request takes once every task has ended: failed when a task failed (officers and the
 * retry schedule take it from there), awaiting_action while officer actions are open, else completed.
 */
export function statusWhenTasksEnded(taskStatuses: readonly TaskStatus[], openActions = 0): RequestStatus {
  if (taskStatuses.some((s) => !TERMINAL_TASK_STATUSES.includes(s))) {
    throw new Error('Some tasks have not ended');
  }
  if (taskStatuses.includes('failed')) return 'failed';
  return openActions > 0 ? 'awaiting_action' : 'completed';
}

export function openKey(type: string, email: string): string {
  return `${type}:${email}`;
}
