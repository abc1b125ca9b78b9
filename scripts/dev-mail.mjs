// A local mail catcher for development (not for production): accepts every message on the
// SMTP_URL port and shows the received mail at http://127.0.0.1:${DEV_MAIL_UI_PORT:-1080}.
import http from 'node:http';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

const smtpUrl = new URL(process.env.SMTP_URL ?? 'smtp://127.0.0.1:1025');
const uiPort = Number(process.env.DEV_MAIL_UI_PORT ?? 1080);
const mails = [];
const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);

new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS'],
  logger: false,
  onData(stream, session, cb) {
    simpleParser(stream)
      .then((m) => {
        mails.unshift({ at: new Date().toISOString(), to: session.envelope.rcptTo.map((r) => r.address).join(', '), subject: m.subject, text: m.text ?? '', html: m.html || '' });
        console.log(`[mail] "${m.subject}" received: http://127.0.0.1:${uiPort}/`);
        cb();
      })
      .catch(cb);
  },
}).listen(Number(smtpUrl.port || 1025), smtpUrl.hostname);

http
  .createServer((req, res) => {
    const n = /^\/(\d+)$/.exec(req.url ?? '');
    if (n && mails[Number(n[1])]) {
      res.setHeader('content-type', 'text/html; charset=utf-8');
      res.end(mails[Number(n[1])].html || `<pre>${esc(mails[Number(n[1])].text)}</pre>`);
      return;
    }
    res.setHeader('content-type', 'text/html; charset=utf-8');
    res.end(`<h1>Mail catcher</h1><ul>${mails.map((m, i) => `<li>${esc(m.at)} to ${esc(m.to)}: <a href="/${i}">${esc(m.subject)}</a></li>`).join('')}</ul>`);
  })
  .listen(uiPort, '127.0.0.1', () => console.log(`[mail] catcher on ${smtpUrl.host}, inbox at http://127.0.0.1:${uiPort}/`));
