import { Injectable, Logger } from '@nestjs/common';
import { audit } from '../audit/audit.js';
import { PrismaService } from '../prisma/prisma.service.js';
import { EnqueueService } from '../queues/enqueue.service.js';
import { lockRequest } from '../requests/requests.service.js';
import { assertTransition } from '../requests/request-state.js';
import { ProductDbSystem } from '../systems/product-db.system.js';
import { SystemRegistry } from '../systems/registry.js';

/** Turns a verified request into one task per data system, then queues them. */
@Injectable()
export class PlannerService {
  private readonly logger = new Logger(PlannerService.name);

  constructor(
    private readonly prisma: PrismaService,
    private readonly registry: SystemRegistry,
    private readonly product: ProductDbSystem,
    private readonly enqueue: EnqueueService,
  ) {}

  async plan(requestId: string): Promise<void> {
    const request = await this.prisma.dsarRequest.findUnique({ where: { id: requestId } });
    if (!request) return;
    if (request.status === 'verified') {
      // Resolved and stored before any task runs: an erasure of the product account must not take
      // with it the user id the processors know the subject by.
      const identifiers = await this.product.resolveIdentifiers(request.email);
      const systems = this.registry.all().map((s) => s.key);
      await this.prisma.$transaction(async (tx) => {
        const r = await lockRequest(tx, requestId);
        if (!r || r.status !== 'verified') return;
        assertTransition(r.status, 'in_progress');
        await tx.dsarTask.createMany({
          data: systems.map((system) => ({ requestId, system })),
          skipDuplicates: true,
        });
        await tx.dsarRequest.update({
          where: { id: requestId },
          data: { status: 'in_progress', subjectIdentifiers: { ...identifiers } },
        });
        await audit(tx, {
          requestId,
          actor: 'system',
          action: 'planned',
          fromStatus: r.status,
          toStatus: 'in_progress',
          details: { systems, productAccount: identifiers.userId !== undefined },
        });
      });
      this.logger.log(`Request ${requestId} planned across ${systems.length} systems`);
    }
    // Also reached when a crash came between the commit above and the enqueue below.
    const current = await this.prisma.dsarRequest.findUnique({
      where: { id: requestId },
      select: { status: true, round: true, tasks: { where: { status: 'queued' }, select: { id: true } } },
    });
    if (current?.status === 'in_progress') {
      await this.enqueue.tasksRun(current.tasks.map((t) => t.id), current.round);
    }
  }
}
