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
        // The open request ended (or expired) between two steps: go round again.
        if (attempt < 3 && err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002') continue;
        throw err;
      }
    }
  }

  private async submitOnce(type: RequestType, email: string): Promise<DsarRequest> {
    const key = openKey(type, email);
    const now = new Date();
    // The common case in one statement: insert the request and its audit event unless one is
    // open for this type and address (the unique open_key decides, also under concurrency).
    const created = await this.prisma.sql<{ id: string }>(
      `WITH ins AS (
         INSERT INTO dsar_requests (id, type, status, email, open_key, received_at, due_at, updated_at)
         VALUES (gen_random_uuid(), $1::request_type, 'awaiting_verification', $2, $3, $4, $5, $4)
         ON CONFLICT (open_key) DO NOTHING
         RETURNING id
       ), aud AS (
         INSERT INTO audit_events (request_id, actor, action, to_status, details, created_at)
         SELECT id, 'subject', 'received', 'awaiting_verification', $6::jsonb, $4 FROM ins
       )
       SELECT id FROM ins`,
      [type, email, key, now, dueDate(now), JSON.stringify({ type })],
    );
    if (created[0]) {
      await this.enqueue.verification(created[0].id);
      return {
        id: created[0].id, type, status: 'awaiting_verification', email, openKey: key, receivedAt: now, dueAt: dueDate(now),
        verificationTokenHash: null, verificationExpiresAt: null, verificationSentAt: null, verificationAttempts: 0,
        verifiedAt: null, subjectIdentifiers: null, round: 0, completedAt: null, resultSentAt: null, updatedAt: now,
      };
    }
    // One is open: return it (re-sending the link now and then), or close it if its link expired.
    const open = await this.prisma.$transaction(async (tx) => {
      const r = await tx.dsarRequest.findUnique({ where: { openKey: key } });
      if (!r) return null; // it ended meanwhile: try again
      const locked = await lockRequest(tx, r.id);
      if (!locked || locked.openKey !== key) return null;
      if (locked.status === 'awaiting_verification' && this.verificationExpired(locked, now)) {
        await this.close(tx, locked, 'expired', 'system', 'verification_expired');
        return null;
      }
      return locked;
    });
    if (!open) throw new Prisma.PrismaClientKnownRequestError('open request changed', { code: 'P2002', clientVersion: 'retry' });
    // Not yet sent: the first send is on its way (or the reconciler re-queues it).
    const resend =
      open.status === 'awaiting_verification' &&
      open.verificationSentAt !== null &&
      now.getTime() - open.verificationSentAt.getTime() >= this.config.verificationResendIntervalMs;
    if (resend) await this.enqueue.verification(open.id);
    return open;
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
