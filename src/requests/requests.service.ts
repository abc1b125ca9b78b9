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
import { hashToken } from './tokens.js';

/** What the status endpoint shows to whoever holds the id (it travels only in the e-mailed link). */
export interface PublicRequestView {
  id: string;
  type: RequestType;
  status: string;
  receivedAt: string;
  dueAt: string;
}

export function publicView(r: Pick<DsarRequest, 'id' | 'type' | 'status' | 'receivedAt' | 'dueAt'>): PublicRequestView {
  return {
    id: r.id,
    type: r.type,
    status: r.status,
    receivedAt: r.receivedAt.toISOString(),
    dueAt: r.dueAt.toISOString(),
  };
}

/**
 * The answer to every submission, new or repeated, for a known address or not: it identifies no
 * request (the id travels only in the e-mailed link), so nobody learns from it whether an address
 * has a request open or how far it got.
 */
export const RECEIVED = {
  status: 'received',
  message: 'If this address can receive e-mail, a confirmation link is on its way to it. Open the link to confirm the request.',
} as const;

export class TooManyWrongTokens extends ApiError {
  constructor(readonly retryAfterSeconds: number) {
    super(HttpStatus.TOO_MANY_REQUESTS, 'verification_locked', 'Too many wrong links for this request: try again later with the link from the e-mail');
  }
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
   * Takes a request. The same type for the same address while one is open joins the open one (a
   * new link is sent beside the old ones, at most every VERIFICATION_RESEND_SECONDS). The answer
   * never depends on any of that.
   */
  async submit(type: RequestType, email: string): Promise<typeof RECEIVED> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.submitOnce(type, email);
        return RECEIVED;
      } catch (err) {
        // The open request ended (or expired) between two steps: go round again.
        if (attempt < 3 && err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002') continue;
        throw err;
      }
    }
  }

  private async submitOnce(type: RequestType, email: string): Promise<void> {
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
      [type, email, key, now, dueDate(now), JSON.stringify({ type, channel: 'web' })],
    );
    if (created[0]) {
      // Redis may be down: the row is stored, and the reconciler sends the link later.
      await this.enqueue.tryVerification(created[0].id, 'initial');
      return;
    }
    const open = await this.prisma.$transaction(async (tx) => {
      const r = await tx.dsarRequest.findUnique({ where: { openKey: key } });
      if (!r) return null; // it ended meanwhile: try again
      const locked = await lockRequest(tx, r.id);
      if (!locked || locked.openKey !== key) return null;
      if (locked.status === 'awaiting_verification' && (await this.allLinksExpired(tx, locked.id, now))) {
        await expireUnverified(tx, locked, 'verification_expired');
        return null;
      }
      return locked;
    });
    if (!open) throw new Prisma.PrismaClientKnownRequestError('open request changed', { code: 'P2002', clientVersion: 'retry' });
    // Not yet sent: the first send is on its way (or the reconciler re-sends it).
    const resend =
      open.status === 'awaiting_verification' &&
      open.verificationSentAt !== null &&
      now.getTime() - open.verificationSentAt.getTime() >= this.config.verificationResendIntervalMs;
    if (resend) await this.enqueue.tryVerification(open.id, `resend-${now.getTime()}`);
  }

  /**
   * Redeems a verification link. Wrong tokens count against the request; at the limit verification
   * locks for VERIFICATION_LOCK_MINUTES (it never rejects the request for good: only the holder of
   * the link could be harmed by that). Several links may be live; any of them verifies.
   */
  async verify(id: string, token: string): Promise<DsarRequest> {
    const now = new Date();
    const hash = hashToken(token);
    const outcome = await this.prisma.$transaction(async (tx) => {
      const r = await lockRequest(tx, id);
      if (!r) throw notFound();
      const link = await tx.verificationToken.findUnique({ where: { tokenHash: hash } });
      const ours = link !== null && link.requestId === id;
      if (r.status !== 'awaiting_verification') {
        // A second click on the right link shows where the request stands; anything else is refused.
        if (ours && link.usedAt !== null) return { request: r };
        return { error: new ApiError(HttpStatus.CONFLICT, 'not_awaiting_verification', 'This request is not awaiting verification') };
      }
      if (r.verificationLockedUntil && r.verificationLockedUntil > now) {
        return { error: new TooManyWrongTokens(Math.ceil((r.verificationLockedUntil.getTime() - now.getTime()) / 1000)) };
      }
      if (!ours) {
        const attempts = r.verificationAttempts + 1;
        const lock = attempts >= this.config.verificationMaxAttempts;
        await tx.dsarRequest.update({
          where: { id },
          data: lock
            ? { verificationAttempts: 0, verificationLockedUntil: new Date(now.getTime() + this.config.verificationLockMs) }
            : { verificationAttempts: attempts },
        });
        await audit(tx, { requestId: id, actor: 'subject', action: lock ? 'verification_locked' : 'verification_failed', details: { attempts } });
        if (lock) return { error: new TooManyWrongTokens(Math.ceil(this.config.verificationLockMs / 1000)), wrong: true };
        return { error: new ApiError(HttpStatus.FORBIDDEN, 'invalid_token', 'The link is not valid for this request'), wrong: true };
      }
      if (link.expiresAt <= now) {
        return { error: new ApiError(HttpStatus.GONE, 'token_expired', 'This link has expired: submit the request again to get a new one') };
      }
      assertTransition(r.status, 'verified');
      await tx.verificationToken.update({ where: { id: link.id }, data: { usedAt: now } });
      const updated = await tx.dsarRequest.update({
        where: { id },
        data: { status: 'verified', verifiedAt: now, verificationAttempts: 0, verificationLockedUntil: null },
      });
      await audit(tx, { requestId: id, actor: 'subject', action: 'verified', fromStatus: r.status, toStatus: 'verified' });
      return { request: updated, verified: true };
    });
    if ('error' in outcome && outcome.error) throw Object.assign(outcome.error, { wrongToken: outcome.wrong === true });
    if ('verified' in outcome && outcome.verified) {
      await this.enqueue.tryPlan(outcome.request.id);
      this.logger.log(`Request ${id} verified`);
    }
    return outcome.request!;
  }

  async findPublic(id: string): Promise<DsarRequest> {
    const r = await this.prisma.dsarRequest.findUnique({ where: { id } });
    if (!r) throw notFound();
    return r;
  }

  private async allLinksExpired(tx: Tx, requestId: string, now: Date): Promise<boolean> {
    const live = await tx.verificationToken.count({ where: { requestId, usedAt: null, expiresAt: { gt: now } } });
    if (live > 0) return false;
    // A request whose first link is still being sent has no token yet: it is not expired.
    const r = await tx.dsarRequest.findUnique({ where: { id: requestId }, select: { receivedAt: true } });
    return r !== null && now.getTime() - r.receivedAt.getTime() >= this.config.verificationTtlMs;
  }
}

/** Reads a request and locks its row until the transaction ends. */
export async function lockRequest(tx: Tx, id: string): Promise<DsarRequest | null> {
  const rows = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM dsar_requests WHERE id = ${id}::uuid FOR UPDATE`;
  if (rows.length === 0) return null;
  return tx.dsarRequest.findUnique({ where: { id } });
}

/**
 * Closes an unverified request whose links have all expired: nobody proved they hold the address,
 * so the address is blanked at once (data minimisation) and its tokens go.
 */
export async function expireUnverified(tx: Tx, r: Pick<DsarRequest, 'id' | 'status'>, reason: string): Promise<void> {
  assertTransition(r.status, 'expired');
  const now = new Date();
  await tx.dsarRequest.update({
    where: { id: r.id },
    data: { status: 'expired', openKey: null, email: null, completedAt: now, redactedAt: now },
  });
  await tx.verificationToken.deleteMany({ where: { requestId: r.id } });
  await audit(tx, { requestId: r.id, actor: 'system', action: reason, fromStatus: r.status, toStatus: 'expired' });
}
