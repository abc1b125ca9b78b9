import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { denialMail, extensionMail, reminderMail, type ReminderRow } from '../mail/templates.js';
import { OutboxService } from '../mail/outbox.service.js';
import { noticeKey } from '../officers/request-admin.service.js';
import { PrismaService } from '../prisma/prisma.service.js';
import { daysLeft, isOverdue } from '../requests/deadline.js';
import { ACTIVE_STATUSES } from '../requests/request-state.js';
import { atRiskWhere, isAtRisk } from '../requests/risk.js';

/** Notices to subjects about officers' decisions, and the daily reminder to the privacy team. */
@Injectable()
export class NotifierService {
  private readonly logger = new Logger(NotifierService.name);

  constructor(
    private readonly prisma: PrismaService,
    private readonly outbox: OutboxService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async notice(requestId: string, kind: 'extension' | 'denial'): Promise<void> {
    await this.outbox.deliver({ requestId, kind, dedupeKey: noticeKey(kind, requestId) }, async () => {
      const r = await this.prisma.dsarRequest.findUnique({ where: { id: requestId } });
      if (!r?.email) return null;
      const controller = this.config.controller;
      const mail =
        kind === 'extension'
          ? extensionMail({ type: r.type, receivedAt: r.receivedAt, dueAt: r.dueAt, reason: r.extensionReason ?? '', controller })
          : denialMail({ type: r.type, receivedAt: r.receivedAt, reason: r.deniedReason ?? '', note: r.deniedNote, controller });
      return { to: r.email, ref: requestId, ...mail };
    });
  }

  /**
   * Requests due within AT_RISK_DAYS, overdue or at risk, and open officer actions, e-mailed to
   * OFFICER_EMAIL once a day (nothing when nothing is listed, or no address is set).
   */
  async remind(now = new Date()): Promise<'sent' | 'nothing' | 'no_address' | string> {
    const to = this.config.officerEmail;
    if (!to) return 'no_address';
    const soon = new Date(now.getTime() + this.config.atRiskMs);
    const requests = await this.prisma.dsarRequest.findMany({
      where: { status: { in: [...ACTIVE_STATUSES] }, OR: [{ dueAt: { lt: soon } }, atRiskWhere(now, this.config.atRiskMs)] },
      include: { tasks: { select: { status: true, nextRetryAt: true } }, actions: { where: { status: 'open' }, select: { dueAt: true } } },
      orderBy: { dueAt: 'asc' },
      take: 500,
    });
    const actions = await this.prisma.officerAction.findMany({ where: { status: 'open' }, orderBy: { dueAt: 'asc' }, take: 500 });
    if (requests.length === 0 && actions.length === 0) return 'nothing';
    const rows: ReminderRow[] = requests.map((r) => ({
      id: r.id,
      type: r.type,
      status: r.status,
      dueAt: r.dueAt,
      daysLeft: daysLeft(r.dueAt, now),
      flags: [
        isOverdue(r.dueAt, true, now) ? 'overdue' : '',
        isAtRisk(true, r.dueAt, r.tasks, r.actions, now, this.config.atRiskMs) ? 'at risk' : '',
        r.actions.length ? `${r.actions.length} open action(s)` : '',
      ].filter(Boolean),
    }));
    const day = now.toISOString().slice(0, 10);
    const result = await this.outbox.deliver({ kind: 'officer_reminder', dedupeKey: `reminder:${day}` }, async () => ({
      to,
      ref: `reminder ${day}`,
      ...reminderMail({
        rows,
        actions: actions.map((a) => ({ requestId: a.requestId, system: a.system, kind: a.kind, dueAt: a.dueAt })),
        consoleUrl: `${this.config.publicBaseUrl}/console`,
        atRiskDays: Math.round(this.config.atRiskMs / 86_400_000),
      }),
    }));
    this.logger.log(`Officer reminder for ${day}: ${result} (${rows.length} request(s), ${actions.length} action(s))`);
    return result;
  }
}
