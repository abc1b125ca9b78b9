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

/** The one wrapper around nodemailer. Failures throw, so the job that sends is retried. */
@Injectable()
export class MailService implements OnModuleDestroy {
  private readonly logger = new Logger(MailService.name);
  private readonly transport: Transporter;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    // Options in one object: createTransport(url, {...}) would take the second argument as message
    // defaults and open a new connection per message.
    this.transport = nodemailer.createTransport({ url: config.smtpUrl, pool: true, maxConnections: config.smtpMaxConnections });
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
