import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import nodemailer, { type Transporter } from 'nodemailer';
import { APP_CONFIG, type AppConfig } from '../config/config.js';

export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  html: string;
  attachments?: { filename: string; content: string; contentType: string }[];
  /** Our reference for logs (a request id), never the address. */
  ref: string;
}

/**
 * Bounded SMTP waits (nodemailer's defaults are 2 and 10 minutes): a send either ends or fails well
 * within the verification mailer's SEND_IN_FLIGHT_MS, which the reconciler's catch-up relies on.
 */
export const SMTP_TIMEOUTS_MS = { connectionTimeout: 30_000, greetingTimeout: 30_000, socketTimeout: 60_000 } as const;

/** The one wrapper around nodemailer. Failures throw, so the job that sends is retried. */
@Injectable()
export class MailService implements OnModuleDestroy {
  private readonly logger = new Logger(MailService.name);
  private readonly transport: Transporter;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    // Options in one object: createTransport(url, {...}) would take the second argument as message
    // defaults and open a new connection per message.
    this.transport = nodemailer.createTransport({ url: config.smtpUrl, pool: true, maxConnections: config.smtpMaxConnections, ...SMTP_TIMEOUTS_MS });
  }

  async send(mail: OutgoingMail): Promise<void> {
    await this.transport.sendMail({
      from: this.config.mailFrom,
      to: mail.to,
      subject: mail.subject,
      text: mail.text,
      html: mail.html,
      attachments: mail.attachments,
    });
    this.logger.log(`Sent "${mail.subject}" for request ${mail.ref}`);
  }

  onModuleDestroy(): void {
    this.transport.close();
  }
}
