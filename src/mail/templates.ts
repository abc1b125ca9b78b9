import { esc, page } from './html.js';

export interface Rendered {
  subject: string;
  text: string;
  html: string;
}

export function verificationMail(p: {
  type: 'access' | 'erasure';
  link: string;
  expiresAt: Date;
}): Rendered {
  const what = p.type === 'access' ? 'a copy of the personal data we hold about you' : 'erasure of your personal data';
  const subject = p.type === 'access' ? 'Confirm your data access request' : 'Confirm your data erasure request';
  const text = [
    `We received a request for ${what} for this e-mail address.`,
    '',
    'To confirm that you made it, open this link:',
    p.link,
    '',
    `The link works once and expires at ${p.expiresAt.toISOString()}.`,
    'If you did not make this request, ignore this e-mail: nothing will happen.',
  ].join('\n');
  const html = page(
    subject,
    `<p>We received a request for ${esc(what)} for this e-mail address.</p>
<p><a href="${esc(p.link)}">Confirm the request</a></p>
<p class="muted">The link works once and expires at ${esc(p.expiresAt.toISOString())}.
If you did not make this request, ignore this e-mail: nothing will happen.</p>`,
  );
  return { subject, text, html };
}
