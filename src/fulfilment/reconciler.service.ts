import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { OutboxService } from '../mail/outbox.service.js';
import { PrismaService } from '../prisma/prisma.service.js';
import { EnqueueService } from '../queues/enqueue.service.js';
import { TERMINAL_TASK_STATUSES } from '../requests/request-state.js';

// Tasks that a job must be carrying; 'waiting' tasks are driven by the maintenance checks.
const NEEDS_JOB = ['queued', 'running'];
// A send claimed this long ago and never finished was cut off (the worker died mid-send).
const STALE_SEND_MS = 10 * 60_000;

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
    private readonly outbox: OutboxService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async reconcile(settleMs = this.config.reconcileGraceMs): Promise<{ verification: number; plan: number; tasks: number; finalize: number }> {
    const before = new Date(Date.now() - settleMs);
    const suffix = `-rec${Math.floor(Date.now() / 1000)}`;
    const counts = { verification: 0, plan: 0, tasks: 0, finalize: 0 };

    // Verification links never sent (the API could not queue it, or every attempt to send failed):
    // one job per request per period, so a long SMTP outage does not pile jobs up.
    const unsent = await this.prisma.dsarRequest.findMany({
      where: { status: 'awaiting_verification', verificationSentAt: null, email: { not: null }, updatedAt: { lt: before } },
      select: { id: true },
      take: 1000,
    });
    const period = Math.floor(Date.now() / Math.max(this.config.maintenanceIntervalMs * 10, 60_000));
    for (const r of unsent) await this.enqueue.verification(r.id, `rec-${period}`, { onlyIfUnsent: true });
    counts.verification = unsent.length;

    const verified = await this.prisma.dsarRequest.findMany({
      where: { status: 'verified', updatedAt: { lt: before } },
      select: { id: true },
    });
    for (const r of verified) await this.enqueue.plan(r.id, suffix);
    counts.plan = verified.length;

    // Notices to subjects (extension, denial) decided while Redis was unreachable.
    const notices = await this.prisma.outboundMail.findMany({
      where: { status: { in: ['pending', 'failed'] }, kind: { in: ['extension', 'denial'] }, requestId: { not: null }, createdAt: { lt: before } },
      select: { requestId: true, kind: true },
      take: 500,
    });
    for (const n of notices) await this.enqueue.notice(n.requestId!, n.kind as 'extension' | 'denial', suffix);

    // Result e-mails cut off mid-send become "uncertain"; finalizing again records that and tells officers.
    const stale = await this.outbox.settleStale(STALE_SEND_MS);
    const staleRequests = new Set(stale.map((m) => m.requestId).filter((id): id is string => id !== null));

    const open = await this.prisma.dsarRequest.findMany({
      where: { status: { in: ['in_progress', 'awaiting_action'] }, updatedAt: { lt: before } },
      select: {
        id: true,
        status: true,
        round: true,
        tasks: { select: { id: true, system: true, status: true, updatedAt: true } },
        actions: { where: { status: 'open', taskId: { not: null } }, select: { id: true } },
      },
    });
    for (const r of open) {
      const unfinished = r.tasks.filter((t) => !TERMINAL_TASK_STATUSES.includes(t.status));
      if (unfinished.length === 0) {
        if (r.status === 'awaiting_action' && r.actions.length > 0 && !staleRequests.has(r.id)) continue;
        await this.enqueue.finalize(r.id, r.round, suffix);
        counts.finalize++;
        continue;
      }
      for (const t of unfinished.filter((x) => NEEDS_JOB.includes(x.status))) {
        if (t.updatedAt >= before) continue;
        if (await this.enqueue.ensureTaskJob({ id: t.id, system: t.system }, r.round)) counts.tasks++;
      }
    }
    const total = counts.verification + counts.plan + counts.tasks + counts.finalize;
    if (total > 0) this.logger.warn(`Re-queued unfinished work: ${JSON.stringify(counts)}`);
    return counts;
  }
}
