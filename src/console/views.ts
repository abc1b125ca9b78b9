// The console's pages: plain, server-rendered HTML that works without JavaScript. Every value is
// escaped; every form carries the session's CSRF token.
import { esc } from '../mail/html.js';

const STYLE = `
*{box-sizing:border-box}body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1a1a1a;background:#fff;line-height:1.45}
a{color:#0b57d0}a:focus,button:focus,input:focus,select:focus,textarea:focus{outline:3px solid #e37400;outline-offset:2px}
.skip{position:absolute;left:-999px}.skip:focus{left:8px;top:8px;background:#fff;padding:4px}
header{background:#1f2937;color:#fff;padding:10px 20px;display:flex;gap:18px;align-items:center;flex-wrap:wrap}
header a,header button{color:#fff;font-weight:600}header form{margin:0 0 0 auto}
header button{background:none;border:1px solid #fff;border-radius:4px;padding:4px 10px;cursor:pointer}
main{padding:16px 20px;max-width:1200px}h1{font-size:1.5rem;margin:.2rem 0 1rem}h2{font-size:1.15rem;margin-top:1.6rem}
table{border-collapse:collapse;width:100%;margin:6px 0 16px}th,td{border:1px solid #c7c7c7;padding:6px 8px;text-align:left;vertical-align:top;font-size:14px}
th{background:#eef0f3}.badge{display:inline-block;border-radius:3px;padding:1px 6px;margin:1px 2px;font-size:12px;font-weight:700}
.overdue{background:#b3261e;color:#fff}.risk{background:#f9a825;color:#1a1a1a}.actions{background:#0b57d0;color:#fff}.ok{background:#1e7e34;color:#fff}
.muted{color:#555;font-size:13px}.note{background:#e8f0fe;border-left:4px solid #0b57d0;padding:8px 12px}.error{background:#fce8e6;border-left:4px solid #b3261e;padding:8px 12px}
form.inline{display:inline}label{font-weight:600;display:block;margin:.4rem 0 .15rem}input,select,textarea{font:inherit;padding:5px;border:1px solid #767676;border-radius:3px}
textarea{width:100%;max-width:640px;min-height:64px}button{font:inherit;padding:6px 12px;border-radius:4px;border:1px solid #0b57d0;background:#0b57d0;color:#fff;cursor:pointer}
button.secondary{background:#fff;color:#0b57d0}button.danger{background:#b3261e;border-color:#b3261e}
fieldset{border:1px solid #c7c7c7;margin:10px 0;padding:10px 14px;max-width:760px}legend{font-weight:700}
.grid{display:flex;gap:10px;flex-wrap:wrap;align-items:flex-end}.grid>div{display:flex;flex-direction:column}
ol.timeline{list-style:none;padding:0}ol.timeline li{border-left:3px solid #0b57d0;padding:2px 10px;margin:0 0 6px}
pre{white-space:pre-wrap;word-break:break-word;background:#f6f8fa;padding:6px;font-size:12px}`;

export function layout(title: string, body: string, session?: { name: string; csrfToken: string }): string {
  const nav = session
    ? `<nav aria-label="Console"><a href="/console">Requests</a> <a href="/console/new">New request</a> <a href="/console/queues/">Queues</a></nav>
<span>Signed in as ${esc(session.name)}</span>
<form method="post" action="/console/logout"><input type="hidden" name="csrf" value="${esc(session.csrfToken)}"><button type="submit">Sign out</button></form>`
    : '';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)} · Privacy console</title><style>${STYLE}</style></head><body>
<a class="skip" href="#main">Skip to content</a><header><strong>Privacy console</strong>${nav}</header>
<main id="main">${body}</main></body></html>`;
}

export const csrfField = (token: string) => `<input type="hidden" name="csrf" value="${esc(token)}">`;

export function messages(p: { done?: string; error?: string }): string {
  return `${p.done ? `<p class="note" role="status">${esc(p.done)}</p>` : ''}${p.error ? `<p class="error" role="alert">${esc(p.error)}</p>` : ''}`;
}

export function loginPage(error?: string): string {
  return layout(
    'Sign in',
    `<h1>Sign in</h1>${messages({ error })}
<form method="post" action="/console/login">
<label for="key">Officer API key</label>
<input id="key" name="key" type="password" autocomplete="current-password" required size="48">
<p><button type="submit">Sign in</button></p></form>
<p class="muted">The same keys as the officer API. Keys are issued with <code>POST /v1/admin/keys</code>.</p>`,
  );
}

export function day(iso: string | null | undefined): string {
  return iso ? iso.slice(0, 10) : '';
}

export function badges(r: { overdue: boolean; atRisk: boolean; openActions: number; status: string }): string {
  return [
    r.overdue ? '<span class="badge overdue">overdue</span>' : '',
    r.atRisk ? '<span class="badge risk">at risk</span>' : '',
    r.openActions > 0 ? `<span class="badge actions">${r.openActions} open action(s)</span>` : '',
    r.status === 'completed' ? '<span class="badge ok">completed</span>' : '',
  ].join('');
}

export const STATUSES = ['awaiting_verification', 'verified', 'in_progress', 'awaiting_action', 'failed', 'completed', 'expired', 'rejected', 'denied'];

export function select(name: string, label: string, options: string[], value: string | undefined, any = 'any', id = name): string {
  return `<div><label for="${id}">${esc(label)}</label><select id="${id}" name="${name}"><option value="">${esc(any)}</option>${options
    .map((o) => `<option value="${esc(o)}"${o === value ? ' selected' : ''}>${esc(o.replace(/_/g, ' '))}</option>`)
    .join('')}</select></div>`;
}
