import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { PrismaService } from '../prisma/prisma.service.js';

type Q = <R>(text: string, values: unknown[]) => Promise<R[]>;
import { expireUnverified } from '../requests/requests.service.js';
import { ReportStore } from '../reports/report-store.service.js';

/**
 * Data minimisation for the service's own records (README, "Retention"):
 *  - an access request's gathered data is not kept once the answer is delivered: it lives in the
 *    report behind the e-mailed link, which is deleted after REPORT_LINK_DAYS;
 *  - when an erasure completes, the subject's earlier requests lose their results, vendor ids and
 *    identifiers (their existence, dates and outcomes stay for accountability);
 *  - unverified requests expire when their links do, and lose the address at once;
 *  - DSR_RETENTION_DAYS after a request closed, its address and identifiers are blanked; audit
 *    events only ever hold ids, statuses and kinds.
 */
@Injectable()
export class RetentionService {
  private readonly logger = new Logger(RetentionService.name);

  constructor(
    private readonly prisma: PrismaService,
    private readonly reports: ReportStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** After an access answer went out: keep what each system answered (counts), not the data. */
  async afterAccessDelivered(requestId: string, q: Q = (t, v) => this.prisma.sql(t, v)): Promise<void> {
    await q(
      `UPDATE dsar_tasks
          SET result = CASE WHEN result IS NULL THEN NULL ELSE jsonb_strip_nulls(jsonb_build_object(
                'outcome', result->'outcome',
                'itemCount', COALESCE(jsonb_array_length(CASE WHEN jsonb_typeof(result->'items') = 'array' THEN result->'items' END), 0),
                'recordCount', COALESCE(jsonb_array_length(CASE WHEN jsonb_typeof(result->'records') = 'array' THEN result->'records' END), 0),
                'note', result->'note',
                'delivered', true)) END,
              refs = NULL, updated_at = now()
        WHERE request_id = $1::uuid`,
      [requestId],
    );
  }

  /**
   * After an erasure completed: the subject's earlier requests, and this one, keep no results,
   * vendor ids or identifiers (the erasure's address stays until retention: it is the record that
   * the request was made and answered).
   */
  async afterErasureCompleted(requestId: string, q: Q = (t, v) => this.prisma.sql(t, v)): Promise<number> {
    const rows = await q<{ id: string }>(
      `WITH me AS (SELECT email FROM dsar_requests WHERE id = $1::uuid AND email IS NOT NULL),
            earlier AS (
              UPDATE dsar_requests r SET subject_identifiers = NULL, updated_at = now()
                FROM me WHERE r.email = me.email AND (r.id = $1::uuid OR r.status NOT IN ('awaiting_verification', 'verified', 'in_progress', 'failed', 'awaiting_action'))
              RETURNING r.id),
            tasks AS (
              UPDATE dsar_tasks t SET result = CASE WHEN t.request_id = $1::uuid THEN t.result END, refs = NULL, updated_at = now()
                FROM earlier WHERE t.request_id = earlier.id)
       SELECT id FROM earlier WHERE id <> $1::uuid`,
      [requestId],
    );
    return rows.length;
  }

  /** Unverified requests whose links have all expired, and closed requests past retention. */
  async sweep(now = new Date()): Promise<{ expired: number; redacted: number; reportsDeleted: number }> {
    const reportsDeleted = await this.reports.deleteExpired(now);
    const stale = await this.prisma.dsarRequest.findMany({
      where: {
        status: 'awaiting_verification',
        receivedAt: { lte: new Date(now.getTime() - this.config.verificationTtlMs) },
        verificationTokens: { none: { usedAt: null, expiresAt: { gt: now } } },
      },
      select: { id: true, status: true },
      take: 500,
    });
    let expired = 0;
    for (const r of stale) {
      const done = await this.prisma.$transaction(async (tx) => {
        const rows = await tx.$queryRaw<{ status: string }[]>`SELECT status::text FROM dsar_requests WHERE id = ${r.id}::uuid FOR UPDATE`;
        if (rows[0]?.status !== 'awaiting_verification') return false;
        await expireUnverified(tx, r, 'verification_expired');
        return true;
      });
      if (done) expired++;
    }
    const cutoff = new Date(now.getTime() - this.config.dsrRetentionMs);
    const redacted = await this.prisma.sql<{ id: string }>(
      `WITH old AS (
         UPDATE dsar_requests SET email = NULL, subject_identifiers = NULL, open_key = NULL, identity_check = NULL,
                denied_note = NULL, redacted_at = $2, updated_at = $2
          WHERE redacted_at IS NULL AND completed_at IS NOT NULL AND completed_at < $1
            AND status IN ('completed', 'expired', 'rejected', 'denied')
          RETURNING id),
            tasks AS (UPDATE dsar_tasks t SET result = NULL, refs = NULL FROM old WHERE t.request_id = old.id),
            links AS (DELETE FROM verification_tokens v USING old WHERE v.request_id = old.id)
       SELECT id FROM old`,
      [cutoff, now],
    );
    const count = redacted.length;
    if (expired + count + reportsDeleted > 0) {
      this.logger.log(`Retention: ${expired} unverified request(s) expired, ${count} closed request(s) redacted, ${reportsDeleted} expired report(s) deleted`);
    }
    return { expired, redacted: count, reportsDeleted };
  }
}
