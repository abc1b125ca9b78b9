import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { PrismaService } from '../prisma/prisma.service.js';
import { EnqueueService } from '../queues/enqueue.service.js';
import { TERMINAL_TASK_STATUSES } from '../requests/request-state.js';

// Tasks that a job must be carrying; 'waiting' tasks are driven by the maintenance checks.
const NEEDS_JOB = ['queued', 'running'];

/**
 * PostgreSQL holds the truth; Redis may lose everything (it keeps nothing on disk here). This puts
 * back on the queues whatever the database says is unfinished and has no live job: at worker
 * start-up and on a schedule. Every handler is idempotent, so a duplicate nudge is harmless.
 */
@Injectable()
export class ReconcilerService {
  private readonly logger = new Logger(ReconcilerService.name);

  constructor(
    private readonly prisma: PrismaService,
    private readonly enqueue: EnqueueService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async reconcile(settleMs = this.config.reconcileGraceMs): Promise<{ verification: number; plan: number; tasks: number; finalize: number }> {
    const before = new Date(Date.now() - settleMs);
    const suffix = `-rec${Math.floor(Date.now() / 1000)}`;
    const counts = { verification: 0, plan: 0, tasks: 0, finalize: 0 };

    const unsent = await this.prisma.dsarRequest.findMany({
      where: { status: 'awaiting_verification', verificationSentAt: null, updatedAt: { lt: before } },
      select: { id: true },
    });
    for (const r of unsent) await this.enqueue.verification(r.id, `rec${suffix}`);
    counts.verification = unsent.length;

    const verified = await this.prisma.dsarRequest.findMany({
      where: { status: 'verified', updatedAt: { lt: before } },
      select: { id: true },
    });
    for (const r of verified) await this.enqueue.plan(r.id, suffix);
    counts.plan = verified.length;

    const inProgress = await this.prisma.dsarRequest.findMany({
      where: { status: 'in_progress', updatedAt: { lt: before } },
      select: { id: true, round: true, tasks: { select: { id: true, status: true, updatedAt: true } } },
    });
    for (const r of inProgress) {
      const open = r.tasks.filter((t) => !TERMINAL_TASK_STATUSES.includes(t.status));
      if (open.length === 0) {
        await this.enqueue.finalize(r.id, r.round, suffix);
        counts.finalize++;
        continue;
      }
      for (const t of open.filter((x) => NEEDS_JOB.includes(x.status))) {
        if (t.updatedAt >= before) continue;
        if (await this.enqueue.ensureTaskJob(t.id, r.round)) counts.tasks++;
      }
    }
    const total = counts.verification + counts.plan + counts.tasks + counts.finalize;
    if (total > 0) this.logger.warn(`Re-queued unfinished work: ${JSON.stringify(counts)}`);
    return counts;
  }
}
