import { Injectable, Logger } from '@nestjs/common';
import { PrismaService } from '../prisma/prisma.service.js';
import { MailService, type OutgoingMail } from './mail.service.js';

export type DeliveryOutcome = 'sent' | 'already_handled' | 'uncertain' | 'nothing_to_send';

export interface MailKey {
  requestId?: string;
  kind: string;
  /** One e-mail per key, ever (e.g. "result:<request>:r<round>"). */
  dedupeKey: string;
}

// System error codes that prove the message never left us (nothing was connected to).
const NEVER_CONNECTED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);
// nodemailer codes raised before any message data is sent.
const BEFORE_DATA = new Set(['EAUTH', 'EENVELOPE', 'EMESSAGE', 'EDNS', 'EREQUIRETLS', 'ETLS', 'ECONFIG']);

/**
 * Whether a failed send may still have reached the mail server. A reply with an error code, or a
 * failure before anything was connected or before the envelope was accepted, proves it did not;
 * a connection that dropped or timed out while the message was in flight cannot prove either.
 */
export function mayHaveBeenDelivered(err: unknown): boolean {
  const e = (err ?? {}) as { responseCode?: number; code?: string; originalCode?: string; command?: string };
  if (typeof e.responseCode === 'number' && e.responseCode >= 400) return false;
  if (e.originalCode && NEVER_CONNECTED.has(e.originalCode)) return false;
  if (e.code && (NEVER_CONNECTED.has(e.code) || BEFORE_DATA.has(e.code))) return false;
  if (e.code === 'ETIMEDOUT' && e.command === 'CONN') return false;
  return true;
}

export class MailNotSent extends Error {
  constructor(readonly kind: string) {
    super(`${kind} e-mail was not accepted by the mail server; it will be retried`);
    this.name = 'MailNotSent';
  }
}

/**
 * Sends each e-mail the service owes at most once. The row for its key is claimed (pending or
 * failed → sending) before anything is sent, so a redelivered job, a reconciler pass or a second
 * worker finds it taken and sends nothing. After the send the row says sent, or failed (the server
 * refused: safe to retry), or uncertain (the connection dropped with the message in flight: it may
 * have arrived, so it is not re-sent blindly — an officer checks and resends on purpose).
 */
@Injectable()
export class OutboxService {
  private readonly logger = new Logger(OutboxService.name);

  constructor(
    private readonly prisma: PrismaService,
    private readonly mail: MailService,
  ) {}

  /** `render` runs only once the key is claimed; returning null sends nothing (row marked sent). */
  async deliver(key: MailKey, render: () => Promise<OutgoingMail | null>): Promise<DeliveryOutcome> {
    const claimed = await this.prisma.sql<{ id: string }>(
      `INSERT INTO outbound_mails (id, request_id, kind, dedupe_key, status, attempts, claimed_at, created_at)
       VALUES (gen_random_uuid(), $1::uuid, $2, $3, 'sending', 1, now(), now())
       ON CONFLICT (dedupe_key) DO UPDATE SET status = 'sending', attempts = outbound_mails.attempts + 1, claimed_at = now()
        WHERE outbound_mails.status IN ('pending', 'failed')
       RETURNING id`,
      [key.requestId ?? null, key.kind, key.dedupeKey],
    );
    const row = claimed[0];
    if (!row) return 'already_handled';
    let mail: OutgoingMail | null;
    try {
      mail = await render();
    } catch (err) {
      await this.mark(row.id, 'failed', 'render failed');
      throw err;
    }
    if (!mail) {
      await this.mark(row.id, 'sent', null);
      return 'nothing_to_send';
    }
    try {
      await this.mail.send(mail);
    } catch (err) {
      if (mayHaveBeenDelivered(err)) {
        await this.mark(row.id, 'uncertain', errorKind(err));
        this.logger.warn(`${key.kind} e-mail for ${key.requestId ?? 'no request'} may or may not have been delivered (${errorKind(err)}); not re-sent automatically`);
        return 'uncertain';
      }
      await this.mark(row.id, 'failed', errorKind(err));
      throw new MailNotSent(key.kind);
    }
    await this.mark(row.id, 'sent', null);
    return 'sent';
  }

  /** The state of a key's e-mail, if any. */
  async status(dedupeKey: string): Promise<string | undefined> {
    const rows = await this.prisma.sql<{ status: string }>('SELECT status FROM outbound_mails WHERE dedupe_key = $1', [dedupeKey]);
    return rows[0]?.status;
  }

  /**
   * Sends claimed long ago and never finished (the worker died mid-send) may have reached the
   * server: they become uncertain. Returns their keys.
   */
  async settleStale(olderThanMs: number): Promise<{ id: string; requestId: string | null; kind: string }[]> {
    return this.prisma.sql(
      `UPDATE outbound_mails SET status = 'uncertain', last_error = 'the sending worker stopped mid-send'
        WHERE status = 'sending' AND claimed_at < now() - ($1::int * interval '1 millisecond')
       RETURNING id, request_id AS "requestId", kind`,
      [olderThanMs],
    );
  }

  private async mark(id: string, status: 'sent' | 'failed' | 'uncertain', lastError: string | null): Promise<void> {
    await this.prisma.sql(
      `UPDATE outbound_mails SET status = $2, last_error = $3, sent_at = CASE WHEN $2 = 'sent' THEN now() ELSE sent_at END WHERE id = $1::uuid`,
      [id, status, lastError],
    );
  }
}

// The class of a mail error only: SMTP replies can quote the recipient's address.
function errorKind(err: unknown): string {
  const e = (err ?? {}) as { code?: string; responseCode?: number; command?: string };
  return [e.code, e.responseCode, e.command].filter((x) => x !== undefined).join(' ') || 'error';
}
