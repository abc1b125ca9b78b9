import type { Prisma } from '../generated/prisma/client.js';
import type { Tx } from '../prisma/prisma.service.js';

export type Actor = 'subject' | 'system' | `officer:${string}`;

export interface AuditEntry {
  requestId?: string;
  taskId?: string;
  actor: Actor;
  action: string;
  fromStatus?: string | null;
  toStatus?: string | null;
  /** Never personal data: ids, counts, outcomes, error classes. */
  details?: Prisma.InputJsonValue;
}

/** Appends one audit event, inside the caller's transaction (the table refuses updates/deletes). */
export async function audit(tx: Tx, e: AuditEntry): Promise<void> {
  await tx.auditEvent.create({
    data: {
      requestId: e.requestId,
      taskId: e.taskId,
      actor: e.actor,
      action: e.action,
      fromStatus: e.fromStatus ?? null,
      toStatus: e.toStatus ?? null,
      details: e.details,
    },
  });
}
