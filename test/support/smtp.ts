// A real SMTP server on loopback (smtp-server) that keeps what it receives, parsed (mailparser).
import { simpleParser, type ParsedMail } from 'mailparser';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  to: string[];
  subject: string;
  text: string;
  html: string;
  attachments: { filename?: string; contentType: string; content: Buffer }[];
  /** When the server accepted it (epoch ms). */
  at: number;
}

export class SmtpCatcher {
  readonly messages: ReceivedMail[] = [];
  private readonly server: SMTPServer;
  private waiters: (() => void)[] = [];
  port = 0;
  /** When set, every message is refused with a temporary failure (to test retries). */
  failing = false;
  /** When set, recipients are refused permanently with a reply quoting the address (as real servers do). */
  rejectRecipients = false;
  /** Delay before the server accepts a message's data (a slow SMTP server). */
  delayMs = 0;

  constructor() {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onRcptTo: (address, _session, cb) => {
        if (this.rejectRecipients) return cb(Object.assign(new Error(`<${address.address}>: Recipient address rejected: User unknown`), { responseCode: 550 }));
        return this.failing ? cb(Object.assign(new Error('Try again later'), { responseCode: 451 })) : cb();
      },
      onData: (stream, session, cb) => {
        simpleParser(stream)
          .then(async (m: ParsedMail) => {
            if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
            return m;
          })
          .then((m: ParsedMail) => {
            this.messages.push({
              to: session.envelope.rcptTo.map((r) => r.address.toLowerCase()),
              subject: m.subject ?? '',
              text: m.text ?? '',
              html: typeof m.html === 'string' ? m.html : '',
              attachments: m.attachments.map((a) => ({ filename: a.filename, contentType: a.contentType, content: a.content })),
              at: Date.now(),
            });
            const w = this.waiters;
            this.waiters = [];
            w.forEach((f) => f());
            cb();
          })
          .catch(cb);
      },
    });
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.server.address() as AddressInfo).port;
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  /** Waits for a message to `to` matching `pred`. */
  async waitFor(to: string, pred: (m: ReceivedMail) => boolean = () => true, timeoutMs = 20_000): Promise<ReceivedMail> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.find((m) => m.to.includes(to.toLowerCase()) && pred(m));
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`No mail to ${to} within ${timeoutMs} ms (have ${this.messages.length})`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 200);
      });
    }
  }

  to(address: string): ReceivedMail[] {
    return this.messages.filter((m) => m.to.includes(address.toLowerCase()));
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
