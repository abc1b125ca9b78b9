import { HttpStatus, Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { ApiError, notFound } from '../common/errors.js';
import { audit } from '../audit/audit.js';
import { Prisma, type DsarRequest } from '../generated/prisma/client.js';
import type { RequestType } from '../generated/prisma/enums.js';
import { PrismaService, type Tx } from '../prisma/prisma.service.js';
import { EnqueueService } from '../queues/enqueue.service.js';
import { dueDate } from './deadline.js';
import { assertTransition, openKey } from './request-state.js';
import { tokenMatches } from './tokens.js';

export interface PublicRequestView {
  id: string;
  type: RequestType;
  status: string;
  receivedAt: string;
  dueAt: string;
}

export function publicView(r: DsarRequest): PublicRequestView {
  return {
    id: r.id,
    type: r.type,
    status: r.status,
    receivedAt: r.receivedAt.toISOString(),
    dueAt: r.dueAt.toISOString(),
  };
}

@Injectable()
export class RequestsService {
  private readonly logger = new Logger(RequestsService.name);

  constructor(
    private readonly prisma: PrismaService,
    private readonly enqueue: EnqueueService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Takes a request. The same type for the same address while one is open returns the open one.
   * The answer never depends on whether the product knows the address.
   */
  async submit(type: RequestType, email: string): Promise<DsarRequest> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.submitOnce(type, email);
      } catch (err) {
        // Two submissions raced for the same open slot: the loser reads the winner's request.
        if (attempt < 2 && err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002') continue;
        throw err;
      }
    }
  }

  private async submitOnce(type: RequestType, email: string): Promise<DsarRequest> {
    const key = openKey(type, email);
    const now = new Date();
    const { request, sendVerification } = await this.prisma.$transaction(async (tx) => {
      const open = await tx.dsarRequest.findUnique({ where: { openKey: key } });
      if (open) {
        if (open.status === 'awaiting_verification' && this.verificationExpired(open, now)) {
          await this.close(tx, open, 'expired', 'system', 'verification_expired');
        } else {
          const resend =
            open.status === 'awaiting_verification' &&
            (open.verificationSentAt === null ||
              now.getTime() - open.verificationSentAt.getTime() >= this.config.verificationResendIntervalMs);
          return { request: open, sendVerification: resend };
        }
      }
      const created = await tx.dsarRequest.create({
        data: { type, email, openKey: key, receivedAt: now, dueAt: dueDate(now) },
      });
      await audit(tx, {
        requestId: created.id,
        actor: 'subject',
        action: 'received',
        toStatus: created.status,
        details: { type },
      });
      return { request: created, sendVerification: true };
    });
    if (sendVerification) await this.enqueue.verification(request.id);
    return request;
  }

  /** Redeems a verification token. Wrong tokens count against a limit; after it the request is rejected. */
  async verify(id: string, token: string): Promise<DsarRequest> {
    const now = new Date();
    const outcome = await this.prisma.$transaction(async (tx) => {
      const r = await lockRequest(tx, id);
      if (!r) throw notFound();
      if (r.status !== 'awaiting_verification') {
        return { error: new ApiError(HttpStatus.CONFLICT, 'not_awaiting_verification', 'This request is not awaiting verification') };
      }
      if (r.verificationTokenHash === null) {
        return { error: new ApiError(HttpStatus.FORBIDDEN, 'invalid_token', 'The token is not valid') };
      }
      if (!tokenMatches(token, r.verificationTokenHash)) {
        const attempts = r.verificationAttempts + 1;
        await tx.dsarRequest.update({ where: { id }, data: { verificationAttempts: attempts } });
        await audit(tx, { requestId: id, actor: 'subject', action: 'verification_failed', details: { attempts } });
        if (attempts >= this.config.verificationMaxAttempts) {
          await this.close(tx, r, 'rejected', 'system', 'too_many_verification_attempts');
          return {
            error: new ApiError(HttpStatus.FORBIDDEN, 'too_many_attempts', 'Too many wrong tokens: submit a new request'),
          };
        }
        return { error: new ApiError(HttpStatus.FORBIDDEN, 'invalid_token', 'The token is not valid') };
      }
      if (this.verificationExpired(r, now)) {
        await this.close(tx, r, 'expired', 'system', 'verification_expired');
        return { error: new ApiError(HttpStatus.GONE, 'token_expired', 'The link has expired: submit a new request') };
      }
      assertTransition(r.status, 'verified');
      const updated = await tx.dsarRequest.update({
        where: { id },
        data: { status: 'verified', verifiedAt: now, verificationTokenHash: null, verificationExpiresAt: null },
      });
      await audit(tx, { requestId: id, actor: 'subject', action: 'verified', fromStatus: r.status, toStatus: 'verified' });
      return { request: updated };
    });
    if ('error' in outcome) throw outcome.error;
    await this.enqueue.plan(outcome.request.id);
    this.logger.log(`Request ${id} verified`);
    return outcome.request;
  }

  async findPublic(id: string): Promise<DsarRequest> {
    const r = await this.prisma.dsarRequest.findUnique({ where: { id } });
    if (!r) throw notFound();
    return r;
  }

  private verificationExpired(r: DsarRequest, now: Date): boolean {
    return r.verificationExpiresAt !== null && r.verificationExpiresAt.getTime() <= now.getTime();
  }

  private async close(
    tx: Tx,
    r: DsarRequest,
    to: 'expired' | 'rejected',
    actor: 'system',
    reason: string,
  ): Promise<void> {
    assertTransition(r.status, to);
    await tx.dsarRequest.update({
      where: { id: r.id },
      data: { status: to, openKey: null, verificationTokenHash: null, completedAt: new Date() },
    });
    await audit(tx, { requestId: r.id, actor, action: reason, fromStatus: r.status, toStatus: to });
  }
}

/** Reads a request and locks its row until the transaction ends. */
export async function lockRequest(tx: Tx, id: string): Promise<DsarRequest | null> {
  const rows = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM dsar_requests WHERE id = ${id}::uuid FOR UPDATE`;
  if (rows.length === 0) return null;
  return tx.dsarRequest.findUnique({ where: { id } });
}
