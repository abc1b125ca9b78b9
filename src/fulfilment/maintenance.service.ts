import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { PrismaService } from '../prisma/prisma.service.js';
import { EnqueueService } from '../queues/enqueue.service.js';
import { ReconcilerService } from './reconciler.service.js';
import { RetentionService } from './retention.service.js';
import { RetryService } from './retry.service.js';

/**
 * The periodic job (one run at a time across all workers, through a BullMQ job scheduler):
 * scheduled retries of failed tasks, checks of asynchronous vendor jobs, retention (expiry of
 * unverified requests, redaction of old ones), and reconciliation of what PostgreSQL says is
 * unfinished with what Redis holds.
 */
@Injectable()
export class MaintenanceService {
  private readonly logger = new Logger(MaintenanceService.name);

  constructor(
    private readonly prisma: PrismaService,
    private readonly enqueue: EnqueueService,
    private readonly retries: RetryService,
    private readonly retention: RetentionService,
    private readonly reconciler: ReconcilerService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async run(now = new Date()): Promise<{ retried: number; checks: number }> {
    const retried = await this.retries.retryDue(now);
    const due = await this.prisma.dsarTask.findMany({
      where: { status: 'waiting', nextCheckAt: { lte: now } },
      select: { id: true, system: true, nextCheckAt: true },
      take: 1000,
    });
    // One job id per scheduled check: a check that failed never blocks the next one.
    await this.enqueue.taskChecks(due.map((t) => ({ id: t.id, system: t.system, dueAtMs: t.nextCheckAt!.getTime() })));
    await this.retention.sweep(now);
    await this.reconciler.reconcile();
    if (retried > 0) this.logger.log(`Scheduled retries started for ${retried} request(s)`);
    return { retried, checks: due.length };
  }

  async ensureScheduled(): Promise<void> {
    await this.enqueue.scheduleMaintenance(this.config.maintenanceIntervalMs);
    await this.enqueue.scheduleReminders(this.config.reminderHourUtc);
  }
}
