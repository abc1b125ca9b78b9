import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { audit, type Actor } from '../audit/audit.js';
import { notFound } from '../common/errors.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import type { Prisma } from '../generated/prisma/client.js';
import { PrismaService } from '../prisma/prisma.service.js';
import { daysLeft, isOverdue } from '../requests/deadline.js';
import { isOpen, OPEN_STATUSES } from '../requests/request-state.js';
import { atRiskWhere, isAtRisk } from '../requests/risk.js';
import { hashToken, newToken } from '../requests/tokens.js';
import type { ListRequestsQuery } from './officers.dto.js';
import { actionView } from './officer-actions.service.js';

@Injectable()
export class OfficersService implements OnApplicationBootstrap {
  private readonly logger = new Logger(OfficersService.name);

  constructor(
    private readonly prisma: PrismaService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * OFFICER_API_KEY bootstraps one key, so a fresh deployment can reach the officer API. When the
   * setting changes, the previous bootstrap key is revoked: replacing a leaked key must end it.
   */
  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.officerApiKey) return;
    const keyHash = hashToken(this.config.officerApiKey);
    await this.prisma.$transaction(async (tx) => {
      const replaced = await tx.officerApiKey.updateMany({
        where: { bootstrap: true, revokedAt: null, keyHash: { not: keyHash } },
        data: { revokedAt: new Date() },
      });
      await tx.officerApiKey.upsert({
        where: { keyHash },
        create: { name: 'bootstrap (OFFICER_API_KEY)', keyHash, bootstrap: true },
        update: { bootstrap: true },
      });
      if (replaced.count > 0) await audit(tx, { actor: 'system', action: 'bootstrap_key_replaced', details: { revoked: replaced.count } });
    });
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
    if (q.atRisk === true) {
      if (q.status && !isOpen(q.status)) return { page: q.page, pageSize: q.pageSize, total: 0, items: [] };
      where.AND = [{ status: q.status ? q.status : { in: [...OPEN_STATUSES] } }, atRiskWhere(now, this.config.atRiskMs)];
    } else if (q.atRisk === false) {
      where.NOT = { AND: [{ status: { in: [...OPEN_STATUSES] } }, atRiskWhere(now, this.config.atRiskMs)] };
    }
    if (q.openActions !== undefined) {
      const some: Prisma.DsarRequestWhereInput = { actions: { some: { status: 'open' } } };
      where.AND = [...(Array.isArray(where.AND) ? where.AND : where.AND ? [where.AND] : []), q.openActions ? some : { NOT: some }];
    }
    const [total, rows] = await this.prisma.$transaction([
      this.prisma.dsarRequest.count({ where }),
      this.prisma.dsarRequest.findMany({
        where,
        orderBy: [{ dueAt: 'asc' }, { id: 'asc' }],
        skip: (q.page - 1) * q.pageSize,
        take: q.pageSize,
        include: {
          tasks: { select: { status: true, nextRetryAt: true } },
          actions: { where: { status: 'open' }, select: { dueAt: true } },
        },
      }),
    ]);
    return {
      page: q.page,
      pageSize: q.pageSize,
      total,
      items: rows.map((r) => ({
        ...this.summary(r, now, r.tasks, r.actions),
        tasks: countBy(r.tasks.map((t) => t.status)),
      })),
    };
  }

  async exists(id: string): Promise<boolean> {
    return (await this.prisma.dsarRequest.count({ where: { id } })) > 0;
  }

  async get(id: string) {
    const r = await this.prisma.dsarRequest.findUnique({
      where: { id },
      include: {
        tasks: { orderBy: { system: 'asc' } },
        auditEvents: { orderBy: { id: 'asc' } },
        actions: { orderBy: { createdAt: 'asc' } },
      },
    });
    if (!r) throw notFound();
    const open = r.actions.filter((a) => a.status === 'open');
    return {
      ...this.summary(r, new Date(), r.tasks, open),
      email: r.email,
      channel: r.channel,
      identityCheck: r.identityCheck,
      originalDueAt: r.originalDueAt?.toISOString() ?? null,
      extensionReason: r.extensionReason,
      deniedReason: r.deniedReason,
      actions: r.actions.map(actionView),
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
        failureKind: t.failureKind,
        scheduledRetries: t.autoRetries,
        nextRetryAt: t.nextRetryAt?.toISOString() ?? null,
        waitingSince: t.waitingSince?.toISOString() ?? null,
        vendorChecks: t.checks,
        nextCheckAt: t.nextCheckAt?.toISOString() ?? null,
        refs: t.refs,
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
    r: { id: string; type: string; status: (typeof OPEN_STATUSES)[number] | 'completed' | 'expired' | 'rejected' | 'denied'; receivedAt: Date; dueAt: Date; completedAt: Date | null },
    now: Date,
    tasks: { status: string; nextRetryAt: Date | null }[],
    openActions: { dueAt: Date }[],
  ) {
    const open = isOpen(r.status);
    const retries = tasks.map((t) => t.nextRetryAt?.getTime()).filter((t): t is number => t !== undefined);
    return {
      atRisk: isAtRisk(open, r.dueAt, tasks, openActions, now, this.config.atRiskMs),
      openActions: openActions.length,
      nextRetryAt: retries.length ? new Date(Math.min(...retries)).toISOString() : null,
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
