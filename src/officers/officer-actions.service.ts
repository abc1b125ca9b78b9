import { HttpStatus, Injectable, Logger } from '@nestjs/common';
import { audit, type Actor } from '../audit/audit.js';
import { ApiError, notFound } from '../common/errors.js';
import type { Prisma } from '../generated/prisma/client.js';
import { PrismaService } from '../prisma/prisma.service.js';
import { EnqueueService } from '../queues/enqueue.service.js';
import { lockRequest } from '../requests/requests.service.js';

export interface ActionView {
  id: string;
  system: string;
  kind: string;
  status: 'open' | 'done';
  instructions: string;
  dueAt: string;
  completedAt: string | null;
  completedBy: string | null;
  note: string | null;
}

export function actionView(a: {
  id: string; system: string; kind: string; status: string; instructions: string; dueAt: Date; completedAt: Date | null; completedBy: string | null; note: string | null;
}): ActionView {
  return {
    id: a.id,
    system: a.system,
    kind: a.kind,
    status: a.status === 'done' ? 'done' : 'open',
    instructions: a.instructions,
    dueAt: a.dueAt.toISOString(),
    completedAt: a.completedAt?.toISOString() ?? null,
    completedBy: a.completedBy,
    note: a.note,
  };
}

/**
 * Officer actions: what a person must finish because no API can. Completing one is audited; it
 * gives its task the outcome the adapter said it would have, and when it was the last one open the
 * request is finalized again (the subject hears that everything is done).
 */
@Injectable()
export class OfficerActionsService {
  private readonly logger = new Logger(OfficerActionsService.name);

  constructor(
    private readonly prisma: PrismaService,
    private readonly enqueue: EnqueueService,
  ) {}

  async complete(requestId: string, actionId: string, note: string, actor: Actor, outcome?: string): Promise<ActionView> {
    const out = await this.prisma.$transaction(async (tx) => {
      const r = await lockRequest(tx, requestId);
      if (!r) throw notFound();
      const action = await tx.officerAction.findFirst({ where: { id: actionId, requestId } });
      if (!action) throw notFound('officer action');
      if (action.status === 'done') throw new ApiError(HttpStatus.CONFLICT, 'already_done', 'This action was completed already');
      const now = new Date();
      const done = await tx.officerAction.update({
        where: { id: action.id },
        data: { status: 'done', completedAt: now, completedBy: actor, note },
      });
      const finalOutcome = outcome ?? action.outcomeWhenDone;
      if (action.taskId && finalOutcome) {
        const stillOpen = await tx.officerAction.count({ where: { taskId: action.taskId, status: 'open' } });
        if (stillOpen === 0) {
          const task = await tx.dsarTask.findUnique({ where: { id: action.taskId }, select: { result: true } });
          const result: Record<string, unknown> = { actions: [], retained: [], items: [], ...((task?.result as Record<string, unknown> | null) ?? {}), outcome: finalOutcome, completedByStaffAt: now.toISOString() };
          delete result.remains;
          await tx.dsarTask.update({
            where: { id: action.taskId },
            data: { outcome: finalOutcome, result: result as Prisma.InputJsonValue },
          });
        }
      }
      await audit(tx, {
        requestId,
        taskId: action.taskId ?? undefined,
        actor,
        action: 'officer_action_completed',
        details: { actionId: action.id, kind: action.kind, system: action.system, outcome: finalOutcome ?? null },
      });
      // The last open action of a request waiting only for officers: a new round, whose result
      // e-mail tells the subject that everything is done.
      let round: number | undefined;
      const open = await tx.officerAction.count({ where: { requestId, status: 'open', taskId: { not: null } } });
      if (r.status === 'awaiting_action' && open === 0) {
        round = r.round + 1;
        await tx.dsarRequest.update({ where: { id: requestId }, data: { round } });
      }
      return { view: actionView(done), round };
    });
    if (out.round !== undefined) await this.enqueue.tryFinalize(requestId, out.round);
    this.logger.log(`Request ${requestId}: officer action ${actionId} completed by ${actor}`);
    return out.view;
  }
}
