import { Injectable, Logger } from '@nestjs/common';
import { audit } from '../audit/audit.js';
import { MailService } from '../mail/mail.service.js';
import { PrismaService } from '../prisma/prisma.service.js';
import { lockRequest } from '../requests/requests.service.js';
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
    await this.prisma.$transaction(async (tx) => {
      const r = await lockRequest(tx, requestId);
      if (!r || r.status !== 'in_progress') return;
      assertTransition(r.status, to);
      const now = new Date();
      await tx.dsarRequest.update({
        where: { id: requestId },
        data: {
          status: to,
          resultSentAt: now,
          ...(to === 'completed' ? { completedAt: now, openKey: null } : {}),
        },
      });
      await audit(tx, {
        requestId,
        actor: 'system',
        action: to === 'completed' ? 'completed' : 'ended_with_failures',
        fromStatus: r.status,
        toStatus: to,
        details: { resultSent: true, failedSystems: request.tasks.filter((t) => t.status === 'failed').map((t) => t.system) },
      });
    });
    this.logger.log(`Request ${requestId} ${to}; result e-mailed`);
  }
}
