import { HttpStatus, Inject, Injectable, Logger } from '@nestjs/common';
import { audit, type Actor } from '../audit/audit.js';
import { ApiError, notFound } from '../common/errors.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { Prisma } from '../generated/prisma/client.js';
import { PrismaService } from '../prisma/prisma.service.js';
import { EnqueueService } from '../queues/enqueue.service.js';
import { addCalendarMonths, dueDate } from '../requests/deadline.js';
import { assertTransition, isOpen, openKey } from '../requests/request-state.js';
import { lockRequest } from '../requests/requests.service.js';

export const DENIAL_REASONS = ['manifestly_unfounded', 'excessive', 'identity_not_established'] as const;
export type DenialReason = (typeof DENIAL_REASONS)[number];
export const CHANNELS = ['letter', 'phone', 'in_person'] as const;
export type Channel = (typeof CHANNELS)[number];

/** The outbox key of a notice to the subject about a request (one per kind and request). */
export const noticeKey = (kind: 'extension' | 'denial', requestId: string) => `${kind}:${requestId}`;

/**
 * What officers decide about a request, each audited and each telling the subject where the law
 * says so: extending the deadline (Art. 12(3): once, by up to two further months, with the reason,
 * within the first month), refusing it (Art. 12(5) manifestly unfounded or excessive, or Art. 12(6)
 * identity not established: with the reason and the right to complain), and filing one received by
 * letter, phone or in person (identity checked by the officer instead of by e-mail).
 */
@Injectable()
export class RequestAdminService {
  private readonly logger = new Logger(RequestAdminService.name);

  constructor(
    private readonly prisma: PrismaService,
    private readonly enqueue: EnqueueService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async extend(requestId: string, months: number, reason: string, actor: Actor) {
    if (![1, 2].includes(months)) throw new ApiError(HttpStatus.BAD_REQUEST, 'bad_request', 'months must be 1 or 2');
    const now = new Date();
    const updated = await this.prisma.$transaction(async (tx) => {
      const r = await lockRequest(tx, requestId);
      if (!r) throw notFound();
      if (!isOpen(r.status) || r.status === 'awaiting_verification') {
        throw new ApiError(HttpStatus.CONFLICT, 'not_extendable', `A request in status ${r.status} cannot be extended`);
      }
      if (r.extendedAt) throw new ApiError(HttpStatus.CONFLICT, 'already_extended', 'The deadline of this request was extended already (once is the most the law allows)');
      const original = r.originalDueAt ?? r.dueAt;
      if (now >= original) throw new ApiError(HttpStatus.CONFLICT, 'too_late', 'An extension must be decided, and the subject told, before the original deadline');
      const due = addCalendarMonths(original, months);
      const row = await tx.dsarRequest.update({
        where: { id: requestId },
        data: { dueAt: due, originalDueAt: original, extendedAt: now, extensionReason: reason },
      });
      await audit(tx, { requestId, actor, action: 'deadline_extended', details: { months, from: original.toISOString(), to: due.toISOString() } });
      await this.queueNotice(tx, 'extension', requestId);
      return row;
    });
    await this.enqueue.tryNotice(requestId, 'extension');
    this.logger.log(`Request ${requestId}: deadline extended by ${months} month(s) by ${actor}`);
    return { id: updated.id, dueAt: updated.dueAt.toISOString(), originalDueAt: updated.originalDueAt!.toISOString(), extensionReason: reason };
  }

  async deny(requestId: string, reason: DenialReason, note: string | undefined, actor: Actor) {
    const now = new Date();
    const out = await this.prisma.$transaction(async (tx) => {
      const r = await lockRequest(tx, requestId);
      if (!r) throw notFound();
      if (!isOpen(r.status)) throw new ApiError(HttpStatus.CONFLICT, 'not_deniable', `A request in status ${r.status} cannot be denied`);
      assertTransition(r.status, 'denied');
      // Open tasks stop: a running one finishes its call but can no longer end (or delete anything more).
      const cancelled = await tx.dsarTask.updateMany({
        where: { requestId, status: { in: ['queued', 'running', 'waiting', 'failed'] } },
        data: { status: 'cancelled', outcome: 'cancelled', finishedAt: now, nextRetryAt: null, nextCheckAt: null },
      });
      await tx.officerAction.updateMany({ where: { requestId, status: 'open' }, data: { status: 'done', completedAt: now, completedBy: actor, note: 'Closed: the request was denied' } });
      await tx.dsarRequest.update({
        where: { id: requestId },
        data: { status: 'denied', deniedReason: reason, deniedNote: note ?? null, openKey: null, completedAt: now },
      });
      await audit(tx, { requestId, actor, action: 'denied', fromStatus: r.status, toStatus: 'denied', details: { reason, cancelledTasks: cancelled.count } });
      // Someone who never verified the address is not written to (it may not be theirs).
      const tell = r.status !== 'awaiting_verification' && r.email !== null;
      if (tell) await this.queueNotice(tx, 'denial', requestId);
      return { tell, cancelled: cancelled.count };
    });
    if (out.tell) await this.enqueue.tryNotice(requestId, 'denial');
    this.logger.log(`Request ${requestId}: denied (${reason}) by ${actor}`);
    return { id: requestId, status: 'denied', reason, cancelledTasks: out.cancelled, subjectNotified: out.tell };
  }

  /** A request received by letter, phone or in person: verified by the officer, not by e-mail. */
  async fileOnBehalf(
    input: { type: 'access' | 'erasure'; email: string; channel: Channel; identityCheck: string },
    officer: { keyId: string; name: string },
  ) {
    const now = new Date();
    const actor: Actor = `officer:${officer.keyId}`;
    try {
      const created = await this.prisma.$transaction(async (tx) => {
        const r = await tx.dsarRequest.create({
          data: {
            type: input.type,
            status: 'verified',
            email: input.email,
            openKey: openKey(input.type, input.email),
            receivedAt: now,
            dueAt: dueDate(now),
            verifiedAt: now,
            channel: input.channel,
            identityCheck: input.identityCheck,
          },
        });
        await audit(tx, { requestId: r.id, actor, action: 'received', toStatus: 'awaiting_verification', details: { type: input.type, channel: input.channel } });
        await audit(tx, {
          requestId: r.id,
          actor,
          action: 'verified_by_officer',
          fromStatus: 'awaiting_verification',
          toStatus: 'verified',
          details: { channel: input.channel, officerKeyId: officer.keyId, officerName: officer.name },
        });
        return r;
      });
      await this.enqueue.tryPlan(created.id);
      this.logger.log(`Request ${created.id} filed by ${actor} (${input.channel})`);
      return { id: created.id, type: created.type, status: created.status, channel: created.channel, receivedAt: created.receivedAt.toISOString(), dueAt: created.dueAt.toISOString() };
    } catch (err) {
      if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002') {
        const open = await this.prisma.dsarRequest.findUnique({ where: { openKey: openKey(input.type, input.email) }, select: { id: true, status: true } });
        throw Object.assign(new ApiError(HttpStatus.CONFLICT, 'already_open', `A ${input.type} request for this address is open already (${open?.id ?? 'unknown'}, ${open?.status ?? ''})`), { openRequestId: open?.id });
      }
      throw err;
    }
  }

  /** Sends the result e-mail again (e.g. after "may not have been delivered"): a new link, same answer. */
  async resendResult(requestId: string, actor: Actor) {
    const r = await this.prisma.dsarRequest.findUnique({ where: { id: requestId }, include: { report: { select: { expiresAt: true, deletedAt: true } } } });
    if (!r) throw notFound();
    if (r.resultSentAt === null && !(await this.prisma.outboundMail.count({ where: { requestId, kind: 'result' } }))) {
      throw new ApiError(HttpStatus.CONFLICT, 'no_result_yet', 'No result e-mail was sent for this request yet');
    }
    if (!r.email) throw new ApiError(HttpStatus.CONFLICT, 'redacted', "The subject's address is no longer kept");
    if (r.type === 'access' && (!r.report || r.report.deletedAt || r.report.expiresAt <= new Date())) {
      throw new ApiError(HttpStatus.CONFLICT, 'report_expired', 'The report has expired and was deleted: the subject must submit a new access request');
    }
    const tag = String(Date.now());
    await this.prisma.$transaction((tx) => audit(tx, { requestId, actor, action: 'result_resend_requested', details: { tag } }));
    if (!(await this.enqueue.tryNotice(requestId, 'resend_result', `-${tag}`))) {
      throw new ApiError(HttpStatus.SERVICE_UNAVAILABLE, 'queue_unavailable', 'The queue is unreachable: try again in a moment');
    }
    return { id: requestId, resend: 'queued' };
  }

  private async queueNotice(tx: Prisma.TransactionClient, kind: 'extension' | 'denial', requestId: string): Promise<void> {
    await tx.outboundMail.upsert({
      where: { dedupeKey: noticeKey(kind, requestId) },
      create: { requestId, kind, dedupeKey: noticeKey(kind, requestId), status: 'pending' },
      update: {},
    });
  }
}
