// What the subject receives: the Art. 15 access report (a page behind an expiring link, with JSON
// and CSV downloads — never the data in an e-mail) and the erasure confirmation. Pure functions of
// the request, its tasks, the inventory and the controller's settings.
import { stringify } from 'csv-stringify/sync';
import {
  DATA_ITEMS,
  NOT_STATED,
  PROCESSORS,
  type DataItemKey,
  type ProcessorKey,
} from '../inventory/inventory.js';
import { esc, page } from '../mail/html.js';
import type { AccessResult, ErasureResult } from '../systems/data-system.js';

export interface TaskView {
  system: string;
  label: string;
  /** The inventory's processor key, or 'product' for the product's own store. */
  recipient?: string;
  status: 'queued' | 'running' | 'waiting' | 'done' | 'skipped' | 'failed' | 'cancelled';
  outcome: string | null;
  result: unknown;
  lastError?: string | null;
  /** Officer actions of this task (open ones mean "being completed by our staff"). */
  actions?: { status: string; completedAt: Date | null; note: string | null }[];
}

export interface RequestView {
  id: string;
  receivedAt: Date;
  dueAt: Date;
  email: string;
}

export interface ControllerView {
  name: string;
  contact: string;
  dpo?: string;
  supervisoryAuthority: string;
}

export interface ReportContext {
  controller: ControllerView;
  /** Where subjects submit requests (the service's public page). */
  publicBaseUrl: string;
}

export interface ReportItem {
  key: DataItemKey;
  label: string;
  held: boolean;
  values: { system: string; value: unknown; where?: string }[];
  sources: string[];
  /** Each purpose with who receives the item for it (an empty list: only we use it). */
  uses: { purpose: string; recipients: string[]; notes?: string[] }[];
  retention: string;
}

export interface AccessReport {
  format: 'dsar-access-report/2';
  requestId: string;
  generatedAt: string;
  receivedAt: string;
  controller: { name: string; contact: string; dpo: string | null };
  subject: { email: string };
  summary: string;
  items: ReportItem[];
  /** Held, but cannot be shown (e.g. a password hash), with where and why. */
  notShown: { item: string; where: string; why: string }[];
  /** Systems whose answer is not (fully) in this report yet, and why. */
  pending: { system: string; why: string }[];
  systems: {
    key: string;
    label: string;
    status: string;
    outcome: string | null;
    answer: string;
    note?: string;
    truncated?: AccessResult['truncated'];
    records?: unknown[];
  }[];
  recipients: {
    key: ProcessorKey;
    name: string;
    entity: string;
    office: string;
    country: string;
    inEea: boolean | null;
    safeguard: string | null;
    role: string;
    receives: string[];
    current: boolean;
  }[];
  transfers: { recipient: string; country: string; safeguard: string }[];
  profiling: { recipient: string; what: string; logic: string; consequences: string; decisionWithLegalEffects: boolean; values: unknown[] }[];
  rights: { right: string; article: string; how: string }[];
  complaint: { authority: string };
}

const ANSWER: Record<string, string> = {
  found: 'data found (below)',
  not_found: 'searched: holds no data about you',
  action_required: 'answers us separately: our staff forward its answer to you (this is not a sign that nothing is held)',
  forwarded: 'answered separately: our staff forwarded its own report to you',
  not_configured: 'not contacted automatically: our privacy team follows it up by hand and will write to you',
  failed: 'could not be reached yet: we keep trying and will send you an update',
  cancelled: 'not contacted: the request was closed first',
};

const itemLabel = (key: string) => DATA_ITEMS.find((d) => d.key === key)?.label ?? key;
const processorName = (key: ProcessorKey) => PROCESSORS[key].name;

export function rights(ctx: ReportContext): AccessReport['rights'] {
  const write = `write to ${ctx.controller.contact}`;
  return [
    { right: 'Access', article: 'Art. 15', how: `This report. You may ask again at any time at ${ctx.publicBaseUrl}.` },
    { right: 'Rectification', article: 'Art. 16', how: `Correct your details on your profile page in the product, or ${write}.` },
    { right: 'Erasure', article: 'Art. 17', how: `Ask for erasure at ${ctx.publicBaseUrl} (choose "erasure").` },
    { right: 'Restriction of processing', article: 'Art. 18', how: `${capital(write)} saying which data and why.` },
    { right: 'Data portability', article: 'Art. 20', how: `The JSON download of this report is a structured, machine-readable copy. To have data sent to another organisation, ${write}.` },
    { right: 'Objection', article: 'Art. 21', how: `Object to processing based on our legitimate interests, and to direct marketing at any time (use the unsubscribe link in any message, or ${write}).` },
    { right: 'Withdrawal of consent', article: 'Art. 7(3)', how: `Where we rely on your consent you may withdraw it at any time: ${write}. It does not affect what was done before.` },
    { right: 'Not to be subject to automated decisions', article: 'Art. 22', how: 'See "Automated decisions and profiling" in this report.' },
    { right: 'Complaint to a supervisory authority', article: 'Art. 77', how: ctx.controller.supervisoryAuthority },
  ];
}

function capital(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

export function buildAccessReport(request: RequestView, tasks: TaskView[], ctx: ReportContext, now = new Date()): AccessReport {
  const values = new Map<string, ReportItem['values']>();
  const systems: AccessReport['systems'] = [];
  const notShown: AccessReport['notShown'] = [];
  const pending: AccessReport['pending'] = [];
  for (const t of tasks) {
    const r = t.status === 'done' || t.status === 'skipped' ? (t.result as AccessResult | null) : null;
    for (const v of r?.items ?? []) {
      const list = values.get(v.item) ?? [];
      list.push({ system: t.label, value: v.value, ...(v.where ? { where: v.where } : {}) });
      values.set(v.item, list);
    }
    for (const u of r?.unreadable ?? []) notShown.push({ item: itemLabel(u.item), where: `${t.label}, ${u.where}`, why: u.why });
    const outcome = t.status === 'failed' ? 'failed' : t.status === 'cancelled' ? 'cancelled' : t.outcome;
    const open = (t.actions ?? []).some((a) => a.status === 'open');
    if (outcome === 'failed' || outcome === 'not_configured' || (outcome === 'action_required' && open)) {
      pending.push({ system: t.label, why: ANSWER[outcome] ?? outcome });
    }
    if (r?.truncated) pending.push({ system: t.label, why: `holds more ${r.truncated.what} than we could read (${r.truncated.read} read): ${r.truncated.reason}` });
    systems.push({
      key: t.system,
      label: t.label,
      status: t.status,
      outcome,
      answer:
        outcome === 'found' && !r?.items.length && r?.unreadable?.length
          ? 'holds data about you that cannot be shown back (see "Held, but cannot be shown")'
          : (ANSWER[outcome ?? ''] ?? outcome ?? t.status),
      ...(r?.note ? { note: r.note } : {}),
      ...(r?.truncated ? { truncated: r.truncated } : {}),
      ...(r?.records?.length ? { records: r.records } : {}),
    });
  }
  const items: ReportItem[] = DATA_ITEMS.map((d) => {
    const byPurpose = new Map<string, { recipients: string[]; notes: string[] }>();
    for (const u of d.uses) {
      const entry = byPurpose.get(u.purpose) ?? { recipients: [], notes: [] };
      if (u.recipient) {
        const name = processorName(u.recipient);
        const earlierOnly = u.inMap.length > 0 && !u.inMap.includes('current');
        entry.recipients.push(earlierOnly ? `${name} (in the past)` : name);
        if (u.note) entry.notes.push(`${name}: ${u.note}`);
      }
      byPurpose.set(u.purpose, entry);
    }
    const found = values.get(d.key) ?? [];
    return {
      key: d.key,
      label: d.label,
      held: found.length > 0,
      values: found,
      sources: [...d.sources],
      uses: [...byPurpose].map(([purpose, e]) => ({ purpose, recipients: e.recipients, ...(e.notes.length ? { notes: e.notes } : {}) })),
      retention: d.retention,
    };
  });
  const recipients: AccessReport['recipients'] = Object.values(PROCESSORS).map((p) => ({
    key: p.key,
    name: p.name,
    entity: p.entity,
    office: p.office,
    country: p.country,
    inEea: p.inEea,
    safeguard: p.inEea === true ? null : (p.safeguard ?? NOT_STATED),
    role: p.role,
    receives: p.sends.map((k) => itemLabel(k) + (p.notes?.[k] ? ` (${p.notes[k]})` : '')),
    current: p.inMap.includes('current'),
  }));
  const transfers = recipients
    .filter((r) => r.inEea !== true)
    .map((r) => ({ recipient: r.name, country: r.country === NOT_STATED ? `${NOT_STATED} (the region of our Azure deployment)` : r.country, safeguard: r.safeguard ?? NOT_STATED }));
  const profiling = Object.values(PROCESSORS)
    .filter((p) => p.profiling)
    .map((p) => ({
      recipient: p.name,
      what: p.profiling!.what,
      logic: p.profiling!.logic,
      consequences: p.profiling!.consequences,
      decisionWithLegalEffects: p.profiling!.art22Decision,
      values: (values.get('lead_score') ?? []).filter((v) => v.system.startsWith(p.name.split(' ')[0]!)).map((v) => v.value),
    }));
  const heldCount = items.filter((i) => i.held).length;
  const summary = heldCount > 0
    ? `We found ${heldCount} kind(s) of personal data about you, listed below with where each value was found.` +
      (pending.length ? ` Some systems have not answered in full yet (see "Not answered yet"); we will write again.` : '')
    : pending.length
      ? 'We have found no personal data about you so far, but not every system has answered yet (see "Not answered yet"): this is not yet a statement that we hold nothing.'
      : 'We searched every system listed below and found no personal data about you.';
  return {
    format: 'dsar-access-report/2',
    requestId: request.id,
    generatedAt: now.toISOString(),
    receivedAt: request.receivedAt.toISOString(),
    controller: { name: ctx.controller.name, contact: ctx.controller.contact, dpo: ctx.controller.dpo ?? null },
    subject: { email: request.email },
    summary,
    items,
    notShown,
    pending,
    systems,
    recipients,
    transfers,
    profiling,
    rights: rights(ctx),
    complaint: { authority: ctx.controller.supervisoryAuthority },
  };
}

export function show(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

/** One row per value found (and one per item not found), for spreadsheets. */
export function reportCsv(report: AccessReport): string {
  const rows: string[][] = [['item', 'label', 'value', 'where found', 'source', 'purposes and recipients', 'retention']];
  for (const i of report.items) {
    const uses = i.uses.map((u) => `${u.purpose}: ${u.recipients.length ? u.recipients.join(', ') : 'only us'}`).join(' | ');
    const base = [i.key, i.label];
    const tail = [i.sources.join('; '), uses, i.retention];
    if (i.values.length === 0) rows.push([...base, '', 'not found about you', ...tail]);
    for (const v of i.values) rows.push([...base, show(v.value), [v.system, v.where].filter(Boolean).join(', '), ...tail]);
  }
  return stringify(rows);
}

/** The report page (the link in the e-mail opens it): everything Art. 15 asks, in plain words. */
export function renderReportPage(report: AccessReport, links: { json: string; csv: string }, expiresAt: Date): string {
  const c = report.controller;
  const h: string[] = [];
  h.push(`<h1>Your personal data</h1>
<p>Access report for your request of ${esc(report.receivedAt.slice(0, 10))} (reference <code>${esc(report.requestId)}</code>), from <b>${esc(c.name)}</b>.
This page and its downloads work until <b>${esc(expiresAt.toISOString().slice(0, 16).replace('T', ' '))} UTC</b>; after that we delete this report.</p>
<p><a href="${esc(links.json)}">Download as JSON</a> (structured, machine-readable) · <a href="${esc(links.csv)}">Download as CSV</a></p>
<h2>Summary</h2><p>${esc(report.summary)}</p>`);
  const held = report.items.filter((i) => i.held);
  if (held.length) h.push('<h2>The data we hold about you</h2>');
  for (const i of held) {
    h.push(`<h3>${esc(i.label)}</h3><table><tr><th>Value</th><th>Where we found it</th></tr>${i.values
      .map((v) => `<tr><td>${esc(show(v.value))}</td><td>${esc(v.system)}${v.where ? `, ${esc(v.where)}` : ''}</td></tr>`)
      .join('')}</table>${itemFacts(i)}`);
  }
  if (report.notShown.length) {
    h.push('<h2>Held, but cannot be shown</h2><ul>' + report.notShown.map((n) => `<li><b>${esc(n.item)}</b> — ${esc(n.where)}: ${esc(n.why)}</li>`).join('') + '</ul>');
  }
  if (report.pending.length) {
    h.push('<h2>Not answered yet</h2><ul>' + report.pending.map((p) => `<li><b>${esc(p.system)}</b>: ${esc(p.why)}</li>`).join('') + '</ul>');
  }
  h.push('<h2>What each system answered</h2><table><tr><th>System</th><th>Answer</th></tr>' + report.systems
    .map((s) => `<tr><td>${esc(s.label)}</td><td>${esc(s.answer)}${s.note ? `<br><span class="muted">${esc(s.note)}</span>` : ''}</td></tr>`)
    .join('') + '</table>');
  const notHeld = report.items.filter((i) => !i.held);
  if (notHeld.length) {
    h.push(`<h2>Other data in our data map</h2><p>Data we may hold about people, of which we found none about you: ${esc(notHeld.map((i) => i.label).join(', '))}. Their sources, purposes, recipients and retention are in the downloads.</p>`);
  }
  h.push('<h2>Who receives personal data from us</h2><table><tr><th>Recipient</th><th>Role</th><th>Entity and seat</th><th>What it receives</th></tr>' + report.recipients
    .map((r) => `<tr><td>${esc(r.name)}${r.current ? '' : ' <span class="muted">(in the past)</span>'}</td><td>${esc(r.role)}</td><td>${esc(r.entity)}, ${esc(r.office)} (${esc(r.country)})</td><td>${esc(r.receives.join(', '))}</td></tr>`)
    .join('') + '</table>');
  h.push('<h2>Transfers outside the European Economic Area</h2><table><tr><th>Recipient</th><th>Country</th><th>Safeguard</th></tr>' + report.transfers
    .map((t) => `<tr><td>${esc(t.recipient)}</td><td>${esc(t.country)}</td><td>${esc(t.safeguard)}</td></tr>`)
    .join('') + '</table>');
  h.push('<h2>Automated decisions and profiling</h2>' + (report.profiling.length
    ? report.profiling.map((p) => `<p><b>${esc(p.recipient)}</b>: ${esc(p.what)}. How: ${esc(p.logic)}. What it means for you: ${esc(p.consequences)}.${p.values.length ? ` Your values: ${esc(p.values.map(show).join('; '))}.` : ''}</p>`).join('')
    : '<p>We make no decisions about you by automated means alone, and do no profiling.</p>'));
  h.push('<h2>Your rights</h2><table><tr><th>Right</th><th>How</th></tr>' + report.rights
    .map((r) => `<tr><td>${esc(r.right)} (${esc(r.article)})</td><td>${esc(r.how)}</td></tr>`)
    .join('') + '</table>');
  h.push(`<h2>Who to contact</h2><p>${esc(c.name)}: ${esc(c.contact)}.${c.dpo ? ` Data protection officer: ${esc(c.dpo)}.` : ' We have not designated a data protection officer; write to the address above.'}
You may complain to a supervisory authority: ${esc(report.complaint.authority)}.</p>`);
  const withRecords = report.systems.filter((s) => s.records?.length);
  if (withRecords.length) {
    h.push('<h2>Everything each system returned</h2>' + withRecords
      .map((s) => `<details><summary>${esc(s.label)} (${s.records!.length} record(s))</summary><pre>${esc(JSON.stringify(s.records, null, 2))}</pre></details>`)
      .join(''));
  }
  return page('Your personal data', h.join('\n'));
}

function itemFacts(i: ReportItem): string {
  const uses = i.uses
    .map((u) => `<li>${esc(u.purpose)} — ${u.recipients.length ? `shared with ${esc(u.recipients.join(', '))}` : 'used only by us'}${u.notes ? ` <span class="muted">(${esc(u.notes.join('; '))})</span>` : ''}</li>`)
    .join('');
  return `<p><b>Where it comes from:</b> ${esc(i.sources.join('; '))}<br><b>How long we keep it:</b> ${esc(i.retention)}</p><p><b>Why we hold it, and who receives it for each purpose:</b></p><ul>${uses}</ul>`;
}

/** The e-mail that answers an access request: a link, never the data. */
export function renderReportLinkMail(p: { link: string; expiresAt: Date; summary: string; controllerName: string; reissued?: boolean }): { subject: string; text: string; html: string } {
  const subject = 'Your personal data: access report';
  const until = `${p.expiresAt.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  const text = [
    `${p.controllerName} has answered your request for a copy of your personal data.`,
    p.reissued ? 'You asked again within the period, so here is a fresh link to the same report.' : '',
    '',
    p.summary,
    '',
    'Open your report (and download it as JSON or CSV) here:',
    p.link,
    '',
    `The link works until ${until}; after that we delete the report. It is meant for you only: do not forward it.`,
  ].filter((l, i, a) => l !== '' || a[i - 1] !== '').join('\n');
  const html = page(subject, `<p>${esc(p.controllerName)} has answered your request for a copy of your personal data.</p>
${p.reissued ? '<p>You asked again within the period, so here is a fresh link to the same report.</p>' : ''}
<p>${esc(p.summary)}</p>
<p><a href="${esc(p.link)}">Open your report</a> (and download it as JSON or CSV).</p>
<p class="muted">The link works until ${esc(until)}; after that we delete the report. It is meant for you only: do not forward it.</p>`);
  return { subject, text, html };
}

export interface ErasureLine {
  system: string;
  label: string;
  recipient?: string;
  outcome: ErasureResult['outcome'] | 'not_configured' | 'failed' | 'cancelled';
  text: string;
  retained: { what: string; count: number; reason: string; until?: string }[];
  vendorJob?: ErasureResult['vendorJob'];
}

/** A clause as a sentence: trimmed, with one full stop. */
const sentence = (s: string) => `${s.trim().replace(/[.\s]+$/, '')}.`;
const clause = (s: string | undefined) => s?.trim().replace(/[.\s]+$/, '');

export function buildErasureSummary(tasks: TaskView[]): ErasureLine[] {
  return tasks.map((t) => {
    const base = { system: t.system, label: t.label, ...(t.recipient ? { recipient: t.recipient } : {}) };
    if (t.status === 'failed') {
      return { ...base, outcome: 'failed', retained: [], text: 'Not erased yet: the system could not be reached. We keep trying and will write again.' };
    }
    if (t.status === 'skipped' && (t.outcome === 'not_configured' || t.outcome === null)) {
      return { ...base, outcome: 'not_configured', retained: [], text: 'Not contacted automatically: our privacy team handles it by hand and will confirm.' };
    }
    if (t.status === 'cancelled') {
      return { ...base, outcome: 'cancelled', retained: [], text: 'Stopped: the request was closed before this system was reached.' };
    }
    const r = { actions: [], retained: [], ...((t.result as Partial<ErasureResult> | null) ?? {}) } as ErasureResult & { completedByStaffAt?: string };
    const retained = r.retained.map((x) => ({
      what: x.what ?? itemLabel(x.item),
      count: x.count,
      reason: x.reason,
      ...(x.until ? { until: x.until } : {}),
    }));
    const done = r.actions.filter((a) => a.how === 'deleted' || a.how === 'anonymised').map((a) => `${a.what}: ${a.count} ${a.how}`).join('; ');
    const openActions = (t.actions ?? []).filter((a) => a.status === 'open').length;
    const outcome = (t.outcome ?? r.outcome) as ErasureResult['outcome'];
    let text: string;
    switch (outcome) {
      case 'not_found':
        text = 'No data about you was held there.';
        break;
      case 'scheduled': {
        const job = r.vendorJob;
        text = `Deletion requested; the provider carries it out on its own schedule${job?.expectedBy ? ` (expected by ${job.expectedBy})` : ''}${job?.id ? `, reference ${job.id}` : ''}.`;
        break;
      }
      case 'restorable':
        text = `Removed from use, but the provider can still restore it for a while${r.remains ? `: ${clause(r.remains)}` : ''}.`;
        break;
      case 'action_required':
        text = openActions > 0
          ? `Being completed by our staff${r.remains ? `: ${clause(r.remains)}` : ''}.`
          : `Completed by our staff${r.remains ? ` (${clause(r.remains)})` : ''}.`;
        break;
      case 'retained':
        text = `Erased${done ? ` (${done})` : ''}, except what we must keep (below).`;
        break;
      default:
        text = `Erased${done ? ` (${done})` : ''}.`;
    }
    if (r.note) text += ` ${sentence(r.note)}`;
    if (r.completedByStaffAt && outcome !== 'action_required') text += ` (Done by our staff on ${r.completedByStaffAt.slice(0, 10)}.)`;
    return { ...base, outcome, text, retained, ...(r.vendorJob ? { vendorJob: r.vendorJob } : {}) };
  });
}

/**
 * Every recipient of the data map, each with what happened there (the systems that stand for it),
 * after the product's own store. A recipient no system stands for is said to be handled by hand.
 */
export function erasureByRecipient(lines: ErasureLine[]): { name: string; lines: ErasureLine[] }[] {
  const out: { name: string; lines: ErasureLine[] }[] = [];
  const own = lines.filter((l) => l.recipient === 'product' || l.system === 'product-db');
  if (own.length) out.push({ name: 'Our own product database', lines: own });
  for (const p of Object.values(PROCESSORS)) {
    const mine = lines.filter((l) => (l.recipient ?? l.system) === p.key);
    out.push({
      name: p.name,
      lines: mine.length ? mine : [{ system: p.key, label: p.name, outcome: 'not_configured', retained: [], text: 'Not contacted automatically: our privacy team handles it by hand and will confirm.' }],
    });
  }
  return out;
}

export function renderErasureConfirmation(
  request: RequestView,
  lines: ErasureLine[],
  controller: ControllerView,
): { subject: string; text: string; html: string } {
  const pending = lines.some((l) => l.outcome === 'failed' || l.outcome === 'not_configured' || (l.outcome === 'action_required' && /^Being completed/.test(l.text)));
  const subject = pending ? 'Your erasure request: progress update' : 'Your erasure request is complete';
  const kept = (r: ErasureLine['retained'][number]) => `${r.what} (${r.count} record(s)). ${sentence(r.reason)}${r.until ? ` How long: ${clause(r.until)}.` : ''}`;
  const groups = erasureByRecipient(lines);
  const text: string[] = [
    `${controller.name}: erasure request ${request.id} (received ${request.receivedAt.toISOString()}).`,
    '',
    'What happened at each place your data went:',
  ];
  const html: string[] = [
    `<h1>${esc(subject)}</h1><p>${esc(controller.name)}: erasure request <code>${esc(request.id)}</code>, received ${esc(request.receivedAt.toISOString())}.</p><table><tr><th>Where</th><th>What happened</th></tr>`,
  ];
  for (const g of groups) {
    for (const l of g.lines) {
      const name = g.lines.length > 1 || l.label !== g.name ? `${g.name} — ${l.label}` : g.name;
      text.push(`  - ${l.label}: ${l.text}`);
      for (const r of l.retained) text.push(`      Kept: ${kept(r)}`);
      html.push(`<tr><td>${esc(name)}</td><td>${esc(l.text)}${l.retained.map((r) => `<br><b>Kept:</b> ${esc(kept(r))}`).join('')}</td></tr>`);
    }
  }
  html.push('</table>');
  const footer = `Questions: ${controller.contact}${controller.dpo ? ` (data protection officer: ${controller.dpo})` : ''}. You may complain to a supervisory authority: ${controller.supervisoryAuthority}.`;
  text.push('', footer);
  html.push(`<p class="muted">${esc(footer)}</p>`);
  return { subject, text: text.join('\n'), html: page(subject, html.join('\n')) };
}
