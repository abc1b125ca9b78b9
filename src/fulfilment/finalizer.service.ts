import { Injectable, Logger } from '@nestjs/common';
import { MailService } from '../mail/mail.service.js';
import { PrismaService } from '../prisma/prisma.service.js';
import { assertTransition, statusWhenTasksEnded, TERMINAL_TASK_STATUSES } from '../requests/request-state.js';
import { SystemRegistry } from '../systems/registry.js';
import { buildAccessReport, buildErasureSummary, renderAccessReport, renderErasureConfirmation, type TaskView } from './report.js';

/** Once every task has ended: builds the result, e-mails it, and closes (or flags) the request. */
@Injectable()
export class FinalizerService {
  private readonly logger = new Logger(FinalizerService.name);

  constructor(
    private readonly prisma: PrismaService,
    private readonly mail: MailService,
    private readonly registry: SystemRegistry,
  ) {}

  async finalize(requestId: string): Promise<void> {
    const request = await this.prisma.dsarRequest.findUnique({
      where: { id: requestId },
      include: { tasks: { orderBy: { createdAt: 'asc' } } },
    });
    if (!request || request.status !== 'in_progress') return;
    if (request.tasks.some((t) => !TERMINAL_TASK_STATUSES.includes(t.status))) return;

    const tasks: TaskView[] = request.tasks
      .map((t) => ({
        system: t.system,
        label: this.registry.get(t.system)?.label ?? t.system,
        status: t.status,
        outcome: t.outcome,
        result: t.result,
        lastError: t.lastError,
      }))
      // The product's own store first, then processors by name.
      .sort((a, b) => (a.system === 'product-db' ? -1 : b.system === 'product-db' ? 1 : a.label.localeCompare(b.label)));
    const view = { id: request.id, receivedAt: request.receivedAt, dueAt: request.dueAt, email: request.email };

    // Sent before the status changes: if sending fails the job retries and nothing is marked done.
    if (request.type === 'access') {
      const report = buildAccessReport(view, tasks);
      const r = renderAccessReport(report);
      await this.mail.send({
        to: request.email,
        ref: request.id,
        ...r,
        attachments: [{ filename: 'access-report.json', content: JSON.stringify(report, null, 2), contentType: 'application/json' }],
      });
    } else {
      await this.mail.send({ to: request.email, ref: request.id, ...renderErasureConfirmation(view, buildErasureSummary(tasks)) });
    }

    const to = statusWhenTasksEnded(request.tasks.map((t) => t.status));
    assertTransition('in_progress', to);
    const details = {
      resultSent: true,
      failedSystems: request.tasks.filter((t) => t.status === 'failed').map((t) => t.system),
    };
    // One statement: the new status and its audit event, only if the request is still in progress.
    await this.prisma.sql(
      `WITH upd AS (
         UPDATE dsar_requests
            SET status = $2::request_status, result_sent_at = now(), updated_at = now(),
                completed_at = CASE WHEN $2 = 'completed' THEN now() ELSE completed_at END,
                open_key = CASE WHEN $2 = 'completed' THEN NULL ELSE open_key END
          WHERE id = $1::uuid AND status = 'in_progress'
      RETURNING id
       )
       INSERT INTO audit_events (request_id, actor, action, from_status, to_status, details, created_at)
       SELECT id, 'system', $3, 'in_progress', $2, $4::jsonb, now() FROM upd`,
      [requestId, to, to === 'completed' ? 'completed' : 'ended_with_failures', JSON.stringify(details)],
    );
    this.logger.log(`Request ${requestId} ${to}; result e-mailed`);
  }
}
