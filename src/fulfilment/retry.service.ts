import { HttpStatus, Inject, Injectable, Logger } from '@nestjs/common';
import { audit, type Actor } from '../audit/audit.js';
import { ApiError, notFound } from '../common/errors.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import type { Prisma } from '../generated/prisma/client.js';
import { PrismaService } from '../prisma/prisma.service.js';
import { EnqueueService } from '../queues/enqueue.service.js';
import { lockRequest } from '../requests/requests.service.js';
import { assertTransition } from '../requests/request-state.js';

export interface RetryResult {
  id: string;
  status: 'in_progress';
  retried: string[];
}

/**
 * Puts failed tasks back on the queue: for an officer (some or all failed tasks of a request, or
 * of many requests) and for the scheduled retries (tasks whose next retry time has come).
 */
@Injectable()
export class RetryService {
  private readonly logger = new Logger(RetryService.name);

  constructor(
    private readonly prisma: PrismaService,
    private readonly enqueue: EnqueueService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async retry(requestId: string, actor: Actor, opts: { systems?: string[]; scheduled?: boolean } = {}): Promise<RetryResult> {
    const now = new Date();
    const outcome = await this.prisma.$transaction(async (tx) => {
      const r = await lockRequest(tx, requestId);
      if (!r) throw notFound();
      if (r.status !== 'failed' && r.status !== 'in_progress') {
        throw new ApiError(HttpStatus.CONFLICT, 'not_retryable', `A request in status ${r.status} has nothing to retry`);
      }
      const where: Prisma.DsarTaskWhereInput = { requestId, status: 'failed' };
      if (opts.systems?.length) where.system = { in: opts.systems };
      if (opts.scheduled) {
        where.nextRetryAt = { lte: now };
        where.failureKind = { not: 'permanent' };
      }
      const failed = await tx.dsarTask.findMany({ where, select: { id: true, system: true } });
      if (failed.length === 0) throw new ApiError(HttpStatus.CONFLICT, 'nothing_to_retry', 'No failed tasks match');
      const round = r.round + 1;
      await tx.dsarTask.updateMany({
        where: { id: { in: failed.map((t) => t.id) } },
        data: {
          status: 'queued',
          finishedAt: null,
          nextRetryAt: null,
          outcome: null,
          // An officer's retry starts the schedule afresh; a scheduled one moves along it.
          autoRetries: opts.scheduled ? { increment: 1 } : 0,
        },
      });
      if (r.status === 'failed') assertTransition(r.status, 'in_progress');
      await tx.dsarRequest.update({ where: { id: requestId }, data: { status: 'in_progress', round } });
      await audit(tx, {
        requestId,
        actor,
        action: opts.scheduled ? 'scheduled_retry' : 'retry_requested',
        fromStatus: r.status,
        toStatus: 'in_progress',
        details: { systems: failed.map((t) => t.system), round },
      });
      return { round, tasks: failed };
    });
    await this.enqueue.tryTasksRun(outcome.tasks, outcome.round);
    this.logger.log(`Request ${requestId}: ${outcome.tasks.length} failed task(s) re-queued by ${actor}`);
    return { id: requestId, status: 'in_progress', retried: outcome.tasks.map((t) => t.system) };
  }

  /** Officer bulk retry: the named requests, or every request that ended with failures. */
  async retryMany(actor: Actor, requestIds?: string[]): Promise<{ retried: RetryResult[]; skipped: { id: string; reason: string }[] }> {
    const ids =
      requestIds ??
      (await this.prisma.dsarRequest.findMany({ where: { status: 'failed' }, select: { id: true }, orderBy: { dueAt: 'asc' }, take: 500 })).map((r) => r.id);
    const retried: RetryResult[] = [];
    const skipped: { id: string; reason: string }[] = [];
    for (const id of ids) {
      try {
        retried.push(await this.retry(id, actor));
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
        skipped.push({ id, reason: err.code });
      }
    }
    return { retried, skipped };
  }

  /** The scheduled retries whose time has come. */
  async retryDue(now = new Date()): Promise<number> {
    if (this.config.retryScheduleMs.length === 0) return 0;
    const due = await this.prisma.dsarTask.findMany({
      where: { status: 'failed', nextRetryAt: { lte: now }, failureKind: { not: 'permanent' } },
      select: { requestId: true },
      distinct: ['requestId'],
      take: 500,
    });
    let n = 0;
    for (const { requestId } of due) {
      try {
        await this.retry(requestId, 'system', { scheduled: true });
        n++;
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
      }
    }
    return n;
  }
}
