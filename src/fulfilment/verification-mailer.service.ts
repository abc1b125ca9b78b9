import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { MailService } from '../mail/mail.service.js';
import { verificationMail } from '../mail/templates.js';
import { PrismaService } from '../prisma/prisma.service.js';
import { hashToken, newToken } from '../requests/tokens.js';

// A request never has more live links than this: a repeat submission adds one beside the others.
const MAX_LIVE_LINKS = 10;

/**
 * A link created this recently and not yet marked sent is taken to be on its way: the mail
 * transport gives up on a send well within it (SMTP_TIMEOUTS_MS), after which the link is either
 * marked sent or deleted. Only a worker killed mid-send leaves one behind; the catch-up sends a new
 * link once it is older than this.
 */
export const SEND_IN_FLIGHT_MS = 3 * 60_000;

/**
 * Issues a fresh single-use token and e-mails the link. The token exists in plain text only in
 * this function and in the e-mail: the database keeps its hash, Redis never sees it. Earlier links
 * stay valid. `verification_sent_at` is set only once the mail server accepted the message, so a
 * link that never went out is sent again by the reconciler.
 */
@Injectable()
export class VerificationMailerService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly mail: MailService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * `onlyIfUnsent`: the reconciler's catch-up for a link that had not gone out when it looked; a
   * backlog may simply have delayed the first send, which then went out before this job ran, or is
   * going out right now (a link created within SEND_IN_FLIGHT_MS and not yet marked sent).
   */
  async send(requestId: string, opts: { onlyIfUnsent?: boolean } = {}): Promise<void> {
    const now = new Date();
    const token = newToken();
    const expiresAt = new Date(now.getTime() + this.config.verificationTtlMs);
    // One statement (every verification e-mail runs it): the request as it stands, and the new
    // link's row when one is due — awaiting verification, an address, fewer than MAX_LIVE_LINKS
    // live links, and, for the reconciler's catch-up, none sent meanwhile nor on its way.
    const [row] = await this.prisma.sql<{ type: 'access' | 'erasure'; email: string; token_id: string | null }>(
      `WITH r AS (
         SELECT id, type::text AS type, email, status, verification_sent_at FROM dsar_requests WHERE id = $1::uuid
       ), links AS (
         SELECT count(*) FILTER (WHERE used_at IS NULL AND expires_at > $2 AND sent_at IS NOT NULL)::int AS live,
                count(*) FILTER (WHERE sent_at IS NULL AND created_at > $7)::int AS sending
           FROM verification_tokens WHERE request_id = $1::uuid
       ), ins AS (
         INSERT INTO verification_tokens (id, request_id, token_hash, created_at, expires_at)
         SELECT gen_random_uuid(), r.id, $3, $2, $4 FROM r, links
          WHERE r.status = 'awaiting_verification' AND r.email IS NOT NULL AND links.live < $5
            AND NOT ($6::boolean AND (r.verification_sent_at IS NOT NULL OR links.sending > 0))
         RETURNING id
       )
       SELECT r.type, r.email, (SELECT id FROM ins) AS token_id FROM r`,
      [requestId, now, hashToken(token), expiresAt, MAX_LIVE_LINKS, opts.onlyIfUnsent === true, new Date(now.getTime() - SEND_IN_FLIGHT_MS)],
    );
    if (!row?.token_id) return;
    const link = `${this.config.publicBaseUrl}/v1/requests/${requestId}/verify?token=${encodeURIComponent(token)}`;
    try {
      await this.mail.send({ to: row.email, ref: requestId, ...verificationMail({ type: row.type, link, expiresAt }) });
    } catch (err) {
      // The link never left: it must not stay usable (nobody holds it) nor count as sent.
      await this.prisma.sql('DELETE FROM verification_tokens WHERE id = $1::uuid', [row.token_id]).catch(() => undefined);
      throw err;
    }
    const sentAt = new Date();
    await this.prisma.sql(
      `WITH t AS (UPDATE verification_tokens SET sent_at = $2 WHERE id = $1::uuid RETURNING request_id)
       UPDATE dsar_requests SET verification_sent_at = $2, updated_at = $2 WHERE id = (SELECT request_id FROM t)`,
      [row.token_id, sentAt],
    );
  }

}
