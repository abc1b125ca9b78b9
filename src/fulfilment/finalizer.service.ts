import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { OutboxService } from '../mail/outbox.service.js';
import { PrismaService } from '../prisma/prisma.service.js';
import { assertTransition, statusWhenTasksEnded, TERMINAL_TASK_STATUSES } from '../requests/request-state.js';
import { SystemRegistry } from '../systems/registry.js';
import { ReportStore } from '../reports/report-store.service.js';
import { buildAccessReport, buildErasureSummary, renderErasureConfirmation, renderReportLinkMail, type TaskView } from './report.js';
import { RetentionService } from './retention.service.js';

/** The key of the one result e-mail of a completion round. */
export const resultMailKey = (requestId: string, round: number) => `result:${requestId}:r${round}`;

/**
 * Once every task has ended: the result e-mail of this round (exactly once, through the outbox),
 * then the request's new status — completed, failed (some system must be retried), or
 * awaiting_action (an officer must still finish something; the subject is told which systems and
 * hears again when the last action is done).
 */
@Injectable()
export class FinalizerService {
  private readonly logger = new Logger(FinalizerService.name);

  constructor(
    private readonly prisma: PrismaService,
    private readonly outbox: OutboxService,
    private readonly registry: SystemRegistry,
    private readonly retention: RetentionService,
    private readonly reports: ReportStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async finalize(requestId: string): Promise<void> {
    const request = await this.load(requestId);
    if (!request || (request.status !== 'in_progress' && request.status !== 'awaiting_action')) return;
    if (request.tasks.some((t) => !TERMINAL_TASK_STATUSES.includes(t.status))) return;
    const openActions = request.actions.filter((a) => a.status === 'open');
    const to = statusWhenTasksEnded(request.tasks.map((t) => t.status), openActions.length);
    if (to === request.status) return; // still waiting for officers: nothing new to say
    assertTransition(request.status, to);

    const key = resultMailKey(request.id, request.round);
    const delivery = await this.outbox.deliver({ requestId, kind: 'result', dedupeKey: key }, () => this.render(request, 'publish'));
    if (delivery === 'already_handled') {
      // Another delivery of this job is sending it now (it moves the request on), or it went out
      // (or may have) before a crash: then the status change below is what is left to do.
      const state = await this.outbox.status(key);
      if (state !== 'sent' && state !== 'uncertain') return;
    }

    const details = {
      resultMail: delivery === 'already_handled' ? await this.outbox.status(key) : delivery,
      failedSystems: request.tasks.filter((t) => t.status === 'failed').map((t) => t.system),
      openActions: openActions.length,
    };
    const action = to === 'completed' ? 'completed' : to === 'failed' ? 'ended_with_failures' : 'awaiting_officer_action';
    // One transaction: the new status and its audit event (only if nobody moved the request
    // meanwhile), and what the answer makes unnecessary to keep (README, retention).
    const moved = await this.prisma.sqlTx(async (q) => {
      const rows = await q<{ id: string }>(
      `WITH upd AS (
         UPDATE dsar_requests
            SET status = $2::request_status, updated_at = now(),
                result_sent_at = CASE WHEN $5 THEN now() ELSE result_sent_at END,
                completed_at = CASE WHEN $2 = 'completed' THEN now() ELSE completed_at END,
                open_key = CASE WHEN $2 = 'completed' THEN NULL ELSE open_key END
          WHERE id = $1::uuid AND status = $6::request_status AND round = $7
      RETURNING id
       )
       INSERT INTO audit_events (request_id, actor, action, from_status, to_status, details, created_at)
       SELECT id, 'system', $3, $6, $2, $4::jsonb, now() FROM upd
       RETURNING request_id AS id`,
      [requestId, to, action, JSON.stringify(details), details.resultMail === 'sent', request.status, request.round],
      );
      if (rows.length === 0) return false;
      if (request.type === 'access' && to === 'completed') await this.retention.afterAccessDelivered(request.id, q);
      if (request.type === 'erasure' && to === 'completed') await this.retention.afterErasureCompleted(request.id, q);
      return true;
    });
    if (!moved) return;
    if (details.resultMail === 'uncertain') await this.raiseUncertainMail(request.id, key);
    this.logger.log(`Request ${requestId} ${to}; result e-mail ${details.resultMail}`);
  }

  /**
   * An officer's decision to send the result e-mail again (one that may not have arrived): the same
   * answer, with a new link to the stored report for an access request. Sent once per `tag`.
   */
  async resend(requestId: string, tag: string): Promise<void> {
    const request = await this.load(requestId);
    if (!request) return;
    await this.outbox.deliver({ requestId, kind: 'result', dedupeKey: `${resultMailKey(requestId, request.round)}:resend-${tag}` }, () => this.render(request, 'link'));
  }

  private load(requestId: string) {
    return this.prisma.dsarRequest.findUnique({
      where: { id: requestId },
      include: {
        tasks: { orderBy: { createdAt: 'asc' } },
        actions: { where: { taskId: { not: null } }, orderBy: { createdAt: 'asc' } },
        report: { select: { id: true, expiresAt: true, deletedAt: true, content: true } },
      },
    });
  }

  /** The result e-mail; for access, `publish` stores the report anew, `link` links to the stored one. */
  private async render(request: NonNullable<Awaited<ReturnType<FinalizerService['load']>>>, mode: 'publish' | 'link') {
    if (!request.email) return null; // redacted: nothing to send to
    const tasks: TaskView[] = request.tasks
      .map((t) => ({
        system: t.system,
        label: this.registry.get(t.system)?.label ?? t.system,
        recipient: this.registry.get(t.system)?.recipient,
        status: t.status,
        outcome: t.outcome,
        result: t.result,
        lastError: t.lastError,
        actions: request.actions.filter((a) => a.taskId === t.id).map((a) => ({ status: a.status, completedAt: a.completedAt, note: a.note })),
      }))
      // The product's own store first, then processors by name.
      .sort((a, b) => (a.system === 'product-db' ? -1 : b.system === 'product-db' ? 1 : a.label.localeCompare(b.label)));
    const view = { id: request.id, receivedAt: request.receivedAt, dueAt: request.dueAt, email: request.email };
    if (request.type === 'access') {
      // The data goes to a page behind an expiring link; the e-mail carries only the link.
      if (mode === 'link') {
        const r = request.report;
        if (!r || r.deletedAt || r.expiresAt <= new Date()) return null;
        const link = this.reports.linkUrl(r.id, await this.reports.link(r.id, request.id));
        const summary = (r.content as { summary?: string } | null)?.summary ?? '';
        return { to: request.email, ref: request.id, ...renderReportLinkMail({ link, expiresAt: r.expiresAt, summary, controllerName: this.config.controller.name }) };
      }
      const report = buildAccessReport(view, tasks, { controller: this.config.controller, publicBaseUrl: this.config.publicBaseUrl });
      const { reportId, token, expiresAt } = await this.reports.publish(request.id, request.email, report);
      const link = this.reports.linkUrl(reportId, token);
      return { to: request.email, ref: request.id, ...renderReportLinkMail({ link, expiresAt, summary: report.summary, controllerName: this.config.controller.name }) };
    }
    return { to: request.email, ref: request.id, ...renderErasureConfirmation(view, buildErasureSummary(tasks), this.config.controller) };
  }

  /** A result e-mail that may not have arrived becomes an officer action (never re-sent blindly). */
  private async raiseUncertainMail(requestId: string, key: string): Promise<void> {
    await this.prisma.sql(
      `INSERT INTO officer_actions (id, request_id, system, kind, status, instructions, due_at, created_at)
       SELECT gen_random_uuid(), $1::uuid, 'mail', $2, 'open', $3, LEAST(r.due_at, now() + interval '2 days'), now()
         FROM dsar_requests r
        WHERE r.id = $1::uuid AND NOT EXISTS (SELECT 1 FROM officer_actions a WHERE a.request_id = $1::uuid AND a.kind = $2)`,
      [
        requestId,
        `result_mail_uncertain:${key}`,
        'The result e-mail to the subject may not have been delivered: the connection to the mail server broke while the message ' +
          'was being sent, so it was not sent again automatically (it could arrive twice). Check the mail server log for this ' +
          'request; if it did not arrive, send it again with POST /v1/admin/requests/<id>/resend-result, then complete this action.',
      ],
    );
  }
}
