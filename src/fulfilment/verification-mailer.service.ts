import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { MailService } from '../mail/mail.service.js';
import { verificationMail } from '../mail/templates.js';
import { PrismaService } from '../prisma/prisma.service.js';
import { hashToken, newToken } from '../requests/tokens.js';

/**
 * Issues a fresh single-use token and e-mails the link. The token exists in plain text only in
 * this function and in the e-mail: the database keeps its hash, Redis never sees it.
 */
@Injectable()
export class VerificationMailerService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly mail: MailService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async send(requestId: string): Promise<void> {
    const token = newToken();
    const now = new Date();
    const expiresAt = new Date(now.getTime() + this.config.verificationTtlMs);
    const updated = await this.prisma.dsarRequest.updateManyAndReturn({
      where: { id: requestId, status: 'awaiting_verification' },
      data: { verificationTokenHash: hashToken(token), verificationExpiresAt: expiresAt, verificationSentAt: now },
      select: { id: true, type: true, email: true },
    });
    const request = updated[0];
    if (!request) return;
    const link = `${this.config.publicBaseUrl}/v1/requests/${request.id}/verify?token=${encodeURIComponent(token)}`;
    await this.mail.send({ to: request.email, ref: request.id, ...verificationMail({ type: request.type, link, expiresAt }) });
  }
}
