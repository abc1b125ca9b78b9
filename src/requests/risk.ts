// When a request needs an officer's attention. Shared by the officer API, the console and the
// daily reminder, so that all three flag the same requests.
import type { Prisma } from '../generated/prisma/client.js';

/**
 * At risk: open, and either with a failed task while due within AT_RISK_DAYS or out of scheduled
 * retries (nothing will happen without an officer), or with an open officer action while the
 * request is due within AT_RISK_DAYS or the action is past its own due date.
 */
export function atRiskWhere(now: Date, atRiskMs: number): Prisma.DsarRequestWhereInput {
  const soon = new Date(now.getTime() + atRiskMs);
  return {
    OR: [
      {
        tasks: { some: { status: 'failed' } },
        OR: [{ dueAt: { lt: soon } }, { tasks: { some: { status: 'failed', nextRetryAt: null } } }],
      },
      { actions: { some: { status: 'open' } }, OR: [{ dueAt: { lt: soon } }, { actions: { some: { status: 'open', dueAt: { lt: now } } } }] },
    ],
  };
}

export function isAtRisk(
  open: boolean,
  dueAt: Date,
  tasks: { status: string; nextRetryAt: Date | null }[],
  openActions: { dueAt: Date }[],
  now: Date,
  atRiskMs: number,
): boolean {
  if (!open) return false;
  const soon = dueAt.getTime() < now.getTime() + atRiskMs;
  const failed = tasks.filter((t) => t.status === 'failed');
  if (failed.length > 0 && (soon || failed.some((t) => t.nextRetryAt === null))) return true;
  return openActions.length > 0 && (soon || openActions.some((a) => a.dueAt.getTime() < now.getTime()));
}
