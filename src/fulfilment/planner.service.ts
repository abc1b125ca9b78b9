import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import type { DsarRequest } from '../generated/prisma/client.js';
import { OutboxService } from '../mail/outbox.service.js';
import { PrismaService } from '../prisma/prisma.service.js';
import { ReportStore } from '../reports/report-store.service.js';
import { EnqueueService } from '../queues/enqueue.service.js';
import { assertTransition } from '../requests/request-state.js';
import { ProductDbSystem } from '../systems/product-db.system.js';
import { SystemRegistry } from '../systems/registry.js';
import { resultMailKey } from './finalizer.service.js';
import { renderReportLinkMail } from './report.js';

/** Turns a verified request into one task per data system, then queues them. */
@Injectable()
export class PlannerService {
  private readonly logger = new Logger(PlannerService.name);

  constructor(
    private readonly prisma: PrismaService,
    private readonly registry: SystemRegistry,
    private readonly product: ProductDbSystem,
    private readonly enqueue: EnqueueService,
    private readonly reports: ReportStore,
    private readonly outbox: OutboxService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async plan(requestId: string): Promise<void> {
    const request = await this.prisma.dsarRequest.findUnique({ where: { id: requestId } });
    if (!request) return;
    if (request.status === 'verified' && request.email && request.type === 'access') {
      // Asked again while the last answer's report still lives: a fresh link to it, no new fan-out.
      const live = await this.reports.liveFor(request.email);
      if (live) return this.reissue(request, request.email, live);
    }
    if (request.status === 'verified' && request.email) {
      // Resolved and stored before any task runs: an erasure of the product account must not take
      // with it the user id the processors know the subject by.
      const identifiers = await this.product.resolveIdentifiers(request.email);
      const systems = this.registry.all().map((s) => s.key);
      assertTransition('verified', 'in_progress');
      // One statement: verified → in_progress with the identifiers, a task per system, the audit
      // event, and the new task ids back. A second delivery finds the request no longer verified.
      const rows = await this.prisma.sql<{ id: string; system: string; round: number }>(
        `WITH req AS (
           UPDATE dsar_requests SET status = 'in_progress', subject_identifiers = $2::jsonb, updated_at = now()
            WHERE id = $1::uuid AND status = 'verified'
        RETURNING id, round
         ), tasks AS (
           INSERT INTO dsar_tasks (id, request_id, system, status, created_at, updated_at)
           SELECT gen_random_uuid(), req.id, s.system, 'queued', now(), now() FROM req, unnest($3::text[]) AS s(system)
           ON CONFLICT (request_id, system) DO NOTHING
        RETURNING id, system
         ), aud AS (
           INSERT INTO audit_events (request_id, actor, action, from_status, to_status, details, created_at)
           SELECT req.id, 'system', 'planned', 'verified', 'in_progress', $4::jsonb, now() FROM req
         )
         SELECT tasks.id, tasks.system, req.round FROM tasks, req`,
        [requestId, JSON.stringify(identifiers), systems, JSON.stringify({ systems, productAccount: identifiers.userId !== undefined })],
      );
      if (rows.length > 0) {
        this.logger.log(`Request ${requestId} planned across ${systems.length} systems`);
        await this.enqueue.tasksRun(rows, rows[0]!.round);
        return;
      }
    }
    // Also reached when a crash came between the commit above and the enqueue below.
    const current = await this.prisma.dsarRequest.findUnique({
      where: { id: requestId },
      select: { status: true, round: true, tasks: { where: { status: 'queued' }, select: { id: true, system: true } } },
    });
    if (current?.status === 'in_progress') {
      await this.enqueue.tasksRun(current.tasks, current.round);
    }
  }

  private async reissue(request: DsarRequest, email: string, live: { id: string; expiresAt: Date; summary: string }): Promise<void> {
    const key = resultMailKey(request.id, request.round);
    const delivery = await this.outbox.deliver({ requestId: request.id, kind: 'result', dedupeKey: key }, async () => {
      const link = this.reports.linkUrl(live.id, await this.reports.link(live.id, request.id));
      return { to: email, ref: request.id, ...renderReportLinkMail({ link, expiresAt: live.expiresAt, summary: live.summary, controllerName: this.config.controller.name, reissued: true }) };
    });
    const state = delivery === 'already_handled' ? await this.outbox.status(key) : delivery;
    if (state !== 'sent' && state !== 'uncertain') return;
    assertTransition('verified', 'completed');
    await this.prisma.sql(
      `WITH upd AS (
         UPDATE dsar_requests SET status = 'completed', completed_at = now(), open_key = NULL, updated_at = now(),
                result_sent_at = CASE WHEN $3 THEN now() ELSE result_sent_at END
          WHERE id = $1::uuid AND status = 'verified' RETURNING id)
       INSERT INTO audit_events (request_id, actor, action, from_status, to_status, details, created_at)
       SELECT id, 'system', 'report_link_reissued', 'verified', 'completed', $2::jsonb, now() FROM upd`,
      [request.id, JSON.stringify({ reportId: live.id, resultMail: state }), state === 'sent'],
    );
    this.logger.log(`Request ${request.id}: a fresh link to report ${live.id} sent`);
  }
}
