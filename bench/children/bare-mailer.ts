// E-mail baseline: a bare sender. The same messages our worker sent (read from MAILS_FILE), sent
// to the same SMTP catcher through a pooled nodemailer transport with the same number of
// connections as ours (SMTP_MAX_CONNECTIONS), as many in flight as our worker's concurrency.
// No database, no queue, no rendering.
import { readFileSync } from 'node:fs';
import nodemailer from 'nodemailer';
import { serveParent } from '../lib/ipc.js';
import { loadConfig } from '../../src/config/config.js';

interface Mail {
  to: string[];
  subject: string;
  text: string;
  html: string;
}

const config = loadConfig({ ...process.env, NODE_ENV: 'development' });
const transport = nodemailer.createTransport({ url: config.smtpUrl, pool: true, maxConnections: config.smtpMaxConnections });

serveParent({
  send: async () => {
    const mails = JSON.parse(readFileSync(process.env.MAILS_FILE!, 'utf8')) as Mail[];
    const t0 = performance.now();
    let next = 0;
    const lane = async () => {
      while (next < mails.length) {
        const m = mails[next++]!;
        await transport.sendMail({ from: config.mailFrom, to: m.to, subject: m.subject, text: m.text, html: m.html });
      }
    };
    await Promise.all(Array.from({ length: config.workerConcurrency }, lane));
    return { sent: mails.length, seconds: (performance.now() - t0) / 1000 };
  },
  stop: () => transport.close(),
});
