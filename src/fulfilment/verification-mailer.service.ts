import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { MailService } from '../mail/mail.service.js';
import { verificationMail } from '../mail/templates.js';
import { PrismaService } from '../prisma/prisma.service.js';
import { hashToken, newToken } from '../requests/tokens.js';

// A request never has more live links than this: a repeat submission adds one beside the others.
const MAX_LIVE_LINKS = 10;

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
   * backlog may simply have delayed the first send, which then went out before this job ran.
   */
  async send(requestId: string, opts: { onlyIfUnsent?: boolean } = {}): Promise<void> {
    const now = new Date();
    const request = await this.prisma.dsarRequest.findUnique({ where: { id: requestId }, select: { id: true, type: true, email: true, status: true, verificationSentAt: true } });
    if (!request || request.status !== 'awaiting_verification' || !request.email) return;
    if (opts.onlyIfUnsent && request.verificationSentAt) return;
    const live = await this.prisma.verificationToken.count({ where: { requestId, usedAt: null, expiresAt: { gt: now }, sentAt: { not: null } } });
    if (live >= MAX_LIVE_LINKS) return;
    const token = newToken();
    const expiresAt = new Date(now.getTime() + this.config.verificationTtlMs);
    const row = await this.prisma.verificationToken.create({ data: { requestId, tokenHash: hashToken(token), expiresAt } });
    const link = `${this.config.publicBaseUrl}/v1/requests/${request.id}/verify?token=${encodeURIComponent(token)}`;
    try {
      await this.mail.send({ to: request.email, ref: request.id, ...verificationMail({ type: request.type, link, expiresAt }) });
    } catch (err) {
      // The link never left: it must not stay usable (nobody holds it) nor count as sent.
      await this.prisma.verificationToken.delete({ where: { id: row.id } }).catch(() => undefined);
      throw err;
    }
    const sentAt = new Date();
    await this.prisma.$transaction([
      this.prisma.verificationToken.update({ where: { id: row.id }, data: { sentAt } }),
      this.prisma.dsarRequest.update({ where: { id: requestId }, data: { verificationSentAt: sentAt } }),
    ]);
  }
}
