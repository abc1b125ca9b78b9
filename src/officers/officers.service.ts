import { HttpStatus, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { audit, type Actor } from '../audit/audit.js';
import { ApiError, notFound } from '../common/errors.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import type { Prisma } from '../generated/prisma/client.js';
import { PrismaService } from '../prisma/prisma.service.js';
import { EnqueueService } from '../queues/enqueue.service.js';
import { daysLeft, isOverdue } from '../requests/deadline.js';
import { assertTransition, isOpen, OPEN_STATUSES } from '../requests/request-state.js';
import { lockRequest } from '../requests/requests.service.js';
import { hashToken, newToken } from '../requests/tokens.js';
import type { ListRequestsQuery } from './officers.dto.js';

@Injectable()
export class OfficersService implements OnApplicationBootstrap {
  private readonly logger = new Logger(OfficersService.name);

  constructor(
    private readonly prisma: PrismaService,
    private readonly enqueue: EnqueueService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** OFFICER_API_KEY bootstraps one key, so a fresh deployment can reach the officer API. */
  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.officerApiKey) return;
    const keyHash = hashToken(this.config.officerApiKey);
    await this.prisma.officerApiKey.upsert({ where: { keyHash }, create: { name: 'bootstrap (OFFICER_API_KEY)', keyHash }, update: {} });
  }

  async list(q: ListRequestsQuery) {
    const now = new Date();
    const where: Prisma.DsarRequestWhereInput = {};
    if (q.type) where.type = q.type;
    if (q.status) where.status = q.status;
    if (q.overdue === true) {
      // Only open requests can be overdue.
      if (q.status && !isOpen(q.status)) return { page: q.page, pageSize: q.pageSize, total: 0, items: [] };
      where.dueAt = { lt: now };
      if (!q.status) where.status = { in: [...OPEN_STATUSES] };
    } else if (q.overdue === false) {
      where.OR = [{ dueAt: { gte: now } }, { status: { notIn: [...OPEN_STATUSES] } }];
    }
    const [total, rows] = await this.prisma.$transaction([
      this.prisma.dsarRequest.count({ where }),
      this.prisma.dsarRequest.findMany({
        where,
        orderBy: [{ dueAt: 'asc' }, { id: 'asc' }],
        skip: (q.page - 1) * q.pageSize,
        take: q.pageSize,
        include: { tasks: { select: { status: true } } },
      }),
    ]);
    return {
      page: q.page,
      pageSize: q.pageSize,
      total,
      items: rows.map((r) => ({
        ...this.summary(r, now),
        tasks: countBy(r.tasks.map((t) => t.status)),
      })),
    };
  }

  async get(id: string) {
    const r = await this.prisma.dsarRequest.findUnique({
      where: { id },
      include: {
        tasks: { orderBy: { system: 'asc' } },
        auditEvents: { orderBy: { id: 'asc' } },
      },
    });
    if (!r) throw notFound();
    return {
      ...this.summary(r, new Date()),
      email: r.email,
      verifiedAt: r.verifiedAt?.toISOString() ?? null,
      resultSentAt: r.resultSentAt?.toISOString() ?? null,
      round: r.round,
      tasks: r.tasks.map((t) => ({
        id: t.id,
        system: t.system,
        status: t.status,
        outcome: t.outcome,
        attempts: t.attempts,
        lastError: t.lastError,
        refs: t.refs,
        nextRetryAt: t.nextRetryAt?.toISOString() ?? null,
        startedAt: t.startedAt?.toISOString() ?? null,
        finishedAt: t.finishedAt?.toISOString() ?? null,
        result: t.result,
      })),
      audit: r.auditEvents.map((e) => ({
        id: e.id.toString(),
        at: e.createdAt.toISOString(),
        actor: e.actor,
        action: e.action,
        taskId: e.taskId,
        fromStatus: e.fromStatus,
        toStatus: e.toStatus,
        details: e.details,
      })),
    };
  }

  /** Puts a request's failed tasks (all, or the named systems) back on the queue. */
  async retry(id: string, actor: Actor, systems?: string[]) {
    const outcome = await this.prisma.$transaction(async (tx) => {
      const r = await lockRequest(tx, id);
      if (!r) throw notFound();
      const failed = await tx.dsarTask.findMany({
        where: { requestId: id, status: 'failed', ...(systems?.length ? { system: { in: systems } } : {}) },
        select: { id: true, system: true },
      });
      if (r.status !== 'failed' && r.status !== 'in_progress') {
        throw new ApiError(HttpStatus.CONFLICT, 'not_retryable', `A request in status ${r.status} has nothing to retry`);
      }
      if (failed.length === 0) throw new ApiError(HttpStatus.CONFLICT, 'nothing_to_retry', 'No failed tasks match');
      const round = r.round + 1;
      await tx.dsarTask.updateMany({
        where: { id: { in: failed.map((t) => t.id) } },
        data: { status: 'queued', finishedAt: null, nextRetryAt: null, outcome: null },
      });
      if (r.status === 'failed') assertTransition(r.status, 'in_progress');
      await tx.dsarRequest.update({ where: { id }, data: { status: 'in_progress', round } });
      await audit(tx, {
        requestId: id,
        actor,
        action: 'retry_requested',
        fromStatus: r.status,
        toStatus: 'in_progress',
        details: { systems: failed.map((t) => t.system), round },
      });
      return { round, tasks: failed };
    });
    await this.enqueue.tasksRun(outcome.tasks.map((t) => t.id), outcome.round);
    this.logger.log(`Request ${id}: ${outcome.tasks.length} failed task(s) re-queued by ${actor}`);
    return { id, status: 'in_progress', retried: outcome.tasks.map((t) => t.system) };
  }

  async createKey(name: string, actor: Actor) {
    const key = newToken();
    const row = await this.prisma.$transaction(async (tx) => {
      const created = await tx.officerApiKey.create({ data: { name, keyHash: hashToken(key) } });
      await audit(tx, { actor, action: 'officer_key_created', details: { keyId: created.id } });
      return created;
    });
    return { id: row.id, name: row.name, key, createdAt: row.createdAt.toISOString() };
  }

  async revokeKey(id: string, actor: Actor) {
    await this.prisma.$transaction(async (tx) => {
      const updated = await tx.officerApiKey.updateMany({ where: { id, revokedAt: null }, data: { revokedAt: new Date() } });
      if (updated.count === 0) throw notFound('active API key');
      await audit(tx, { actor, action: 'officer_key_revoked', details: { keyId: id } });
    });
  }

  private summary(
    r: { id: string; type: string; status: (typeof OPEN_STATUSES)[number] | 'completed' | 'expired' | 'rejected'; receivedAt: Date; dueAt: Date; completedAt: Date | null },
    now: Date,
  ) {
    const open = isOpen(r.status);
    return {
      id: r.id,
      type: r.type,
      status: r.status,
      receivedAt: r.receivedAt.toISOString(),
      dueAt: r.dueAt.toISOString(),
      daysLeft: open ? daysLeft(r.dueAt, now) : null,
      overdue: isOverdue(r.dueAt, open, now),
      completedAt: r.completedAt?.toISOString() ?? null,
    };
  }
}

function countBy(values: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}
