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

const day = (d: Date) => d.toISOString().slice(0, 10);

export interface ControllerFacts {
  name: string;
  contact: string;
  dpo?: string;
  supervisoryAuthority: string;
}

/** Art. 12(3): the deadline is extended; the subject is told why and until when. */
export function extensionMail(p: { type: 'access' | 'erasure'; receivedAt: Date; dueAt: Date; reason: string; controller: ControllerFacts }): Rendered {
  const what = p.type === 'access' ? 'for a copy of your personal data' : 'to erase your personal data';
  const subject = 'Your data request: we need more time';
  const lines = [
    `We received your request ${what} on ${day(p.receivedAt)}.`,
    `We need more time to answer it in full, and will answer by ${day(p.dueAt)} at the latest (GDPR Art. 12(3) allows up to two further months).`,
    `Why: ${p.reason}`,
    '',
    `Questions: ${p.controller.contact}. You may complain to a supervisory authority: ${p.controller.supervisoryAuthority}.`,
  ];
  return { subject, text: lines.join('\n'), html: page(subject, lines.filter(Boolean).map((l) => `<p>${esc(l)}</p>`).join('')) };
}

const DENIAL_TEXT: Record<string, string> = {
  manifestly_unfounded: 'the request is manifestly unfounded (GDPR Art. 12(5))',
  excessive: 'the request is excessive, in particular because it repeats earlier requests (GDPR Art. 12(5))',
  identity_not_established: 'we could not establish that the request comes from the person the data is about (GDPR Art. 12(6))',
};

/** Art. 12(4): a refusal with its reason and the right to complain or go to court. */
export function denialMail(p: { type: 'access' | 'erasure'; receivedAt: Date; reason: string; note: string | null; controller: ControllerFacts }): Rendered {
  const what = p.type === 'access' ? 'for a copy of your personal data' : 'to erase your personal data';
  const subject = 'Your data request has been refused';
  const lines = [
    `We will not act on your request ${what} received on ${day(p.receivedAt)}, because ${DENIAL_TEXT[p.reason] ?? p.reason}.`,
    p.note ? `In particular: ${p.note}` : '',
    `You have the right to lodge a complaint with a supervisory authority (${p.controller.supervisoryAuthority}) and to seek a judicial remedy (GDPR Art. 12(4), 77 and 79).`,
    `If you think this is a mistake, write to ${p.controller.contact}${p.controller.dpo ? ` or to our data protection officer, ${p.controller.dpo}` : ''}.`,
  ].filter(Boolean);
  return { subject, text: lines.join('\n\n'), html: page(subject, lines.map((l) => `<p>${esc(l)}</p>`).join('')) };
}

export interface ReminderRow {
  id: string;
  type: string;
  status: string;
  dueAt: Date;
  daysLeft: number;
  flags: string[];
}

/** The daily list for the privacy team: ids, dates and flags only (no subject's data). */
export function reminderMail(p: { rows: ReminderRow[]; actions: { requestId: string; system: string; kind: string; dueAt: Date }[]; consoleUrl: string; atRiskDays: number }): Rendered {
  const subject = `Data requests: ${p.rows.length} need attention, ${p.actions.length} officer action(s) open`;
  const text = [
    `Requests overdue, at risk, or due within ${p.atRiskDays} days:`,
    ...p.rows.map((r) => `  - ${r.id} ${r.type} ${r.status}, due ${day(r.dueAt)} (${r.daysLeft} day(s) left)${r.flags.length ? ` [${r.flags.join(', ')}]` : ''}`),
    '',
    'Open officer actions:',
    ...p.actions.map((a) => `  - request ${a.requestId}: ${a.system} (${a.kind}), due ${day(a.dueAt)}`),
    '',
    `Console: ${p.consoleUrl}`,
  ].join('\n');
  const html = page(subject, `<h1>${esc(subject)}</h1>
<h2>Requests</h2><table><tr><th>Request</th><th>Type</th><th>Status</th><th>Due</th><th>Days left</th><th>Flags</th></tr>${p.rows
    .map((r) => `<tr><td><a href="${esc(`${p.consoleUrl}/requests/${r.id}`)}">${esc(r.id)}</a></td><td>${esc(r.type)}</td><td>${esc(r.status)}</td><td>${esc(day(r.dueAt))}</td><td>${r.daysLeft}</td><td>${esc(r.flags.join(', '))}</td></tr>`)
    .join('')}</table>
<h2>Open officer actions</h2><table><tr><th>Request</th><th>System</th><th>Action</th><th>Due</th></tr>${p.actions
    .map((a) => `<tr><td><a href="${esc(`${p.consoleUrl}/requests/${a.requestId}`)}">${esc(a.requestId)}</a></td><td>${esc(a.system)}</td><td>${esc(a.kind)}</td><td>${esc(day(a.dueAt))}</td></tr>`)
    .join('')}</table>`);
  return { subject, text, html };
}
