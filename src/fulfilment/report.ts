// Builds what the subject receives: the Art. 15 access report (readable + JSON) and the erasure
// confirmation. Pure functions of the request and its tasks.
import { DATA_ITEMS, PROCESSORS, type DataItemKey, type ProcessorKey } from '../inventory/inventory.js';
import { esc, page } from '../mail/html.js';
import type { AccessResult, ErasureResult } from '../systems/data-system.js';

export interface TaskView {
  system: string;
  label: string;
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

export interface AccessReport {
  format: 'dsar-access-report/1';
  requestId: string;
  generatedAt: string;
  receivedAt: string;
  subject: { email: string };
  items: {
    key: DataItemKey;
    label: string;
    sources: string[];
    purposes: string[];
    recipients: { name: string; note?: string }[];
    values: { system: string; value: unknown; where?: string }[];
  }[];
  systems: {
    key: string;
    label: string;
    status: string;
    outcome: string | null;
    note?: string;
    records?: unknown[];
  }[];
  recipients: { name: string; entity: string; country: string; role: string; current: boolean }[];
}

const SYSTEM_STATUS_TEXT: Record<string, string> = {
  found: 'data found (below)',
  not_found: 'no data held about you',
  action_required: 'this provider answers us separately: our staff forward its answer to you (not a sign that nothing is held)',
  not_configured: 'not contacted automatically: our privacy team follows this up by hand',
  failed: 'could not be reached yet: we keep trying and will send you an update',
};

export function buildAccessReport(request: RequestView, tasks: TaskView[], now = new Date()): AccessReport {
  const values = new Map<DataItemKey, AccessReport['items'][number]['values']>();
  const systems: AccessReport['systems'] = [];
  for (const t of tasks) {
    const r = t.status === 'done' ? (t.result as AccessResult | null) : null;
    for (const v of r?.items ?? []) {
      const list = values.get(v.item) ?? [];
      list.push({ system: t.label, value: v.value, ...(v.where ? { where: v.where } : {}) });
      values.set(v.item, list);
    }
    systems.push({
      key: t.system,
      label: t.label,
      status: t.status,
      outcome: t.status === 'failed' ? 'failed' : t.outcome,
      ...(r?.note ? { note: r.note } : {}),
      ...(r?.records?.length ? { records: r.records } : {}),
    });
  }
  return {
    format: 'dsar-access-report/1',
    requestId: request.id,
    generatedAt: now.toISOString(),
    receivedAt: request.receivedAt.toISOString(),
    subject: { email: request.email },
    items: DATA_ITEMS.map((d) => ({
      key: d.key,
      label: d.label,
      sources: [...d.sources],
      purposes: [...d.purposes],
      recipients: d.recipients.map((r) => ({
        name: PROCESSORS[r.processor as ProcessorKey].name,
        ...('note' in r && r.note ? { note: r.note } : {}),
      })),
      values: values.get(d.key) ?? [],
    })),
    systems,
    recipients: Object.values(PROCESSORS).map((p) => ({
      name: p.name,
      entity: p.entity,
      country: p.country,
      role: p.role,
      current: p.inMap.includes('current'),
    })),
  };
}

function show(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

export function renderAccessReport(report: AccessReport): { subject: string; text: string; html: string } {
  const subject = 'Your personal data: access report';
  const held = report.items.filter((i) => i.values.length > 0);
  const text: string[] = [
    `Access report for request ${report.requestId} (received ${report.receivedAt}).`,
    'This is the personal data we hold about you, where it came from, why we hold it, and who receives it.',
    'A machine-readable copy (JSON) is attached.',
    '',
  ];
  const html: string[] = [
    `<h1>Your personal data</h1><p>Access report for request <code>${esc(report.requestId)}</code>, received ${esc(report.receivedAt)}.
A machine-readable copy (JSON) is attached.</p>`,
  ];
  if (held.length === 0) {
    text.push('We found no personal data about you in our own systems.', '');
    html.push('<p>We found no personal data about you in our own systems.</p>');
  }
  for (const i of held) {
    const recipients = i.recipients.map((r) => (r.note ? `${r.name} (${r.note})` : r.name)).join(', ') || 'nobody outside the company';
    text.push(`== ${i.label}`);
    for (const v of i.values) text.push(`  - ${show(v.value)}   [${v.system}${v.where ? `, ${v.where}` : ''}]`);
    text.push(`  Source: ${i.sources.join('; ')}`, `  Why we hold it: ${i.purposes.join('; ')}`, `  Who receives it: ${recipients}`, '');
    html.push(`<h2>${esc(i.label)}</h2><table><tr><th>Value</th><th>Where</th></tr>${i.values
      .map((v) => `<tr><td>${esc(show(v.value))}</td><td>${esc(v.system)}${v.where ? `, ${esc(v.where)}` : ''}</td></tr>`)
      .join('')}</table><p><b>Source:</b> ${esc(i.sources.join('; '))}<br><b>Why we hold it:</b> ${esc(
      i.purposes.join('; '),
    )}<br><b>Who receives it:</b> ${esc(recipients)}</p>`);
  }
  text.push('== What each system answered');
  html.push('<h2>What each system answered</h2><table><tr><th>System</th><th>Answer</th></tr>');
  for (const s of report.systems) {
    const answer = SYSTEM_STATUS_TEXT[s.outcome ?? ''] ?? s.outcome ?? s.status;
    text.push(`  - ${s.label}: ${answer}${s.note ? ` (${s.note})` : ''}`);
    html.push(`<tr><td>${esc(s.label)}</td><td>${esc(answer)}${s.note ? `<br><span class="muted">${esc(s.note)}</span>` : ''}</td></tr>`);
    if (s.records?.length) {
      text.push(`    Records held by ${s.label}:`);
      for (const r of s.records) text.push(`      ${JSON.stringify(r)}`);
    }
  }
  html.push('</table>');
  for (const s of report.systems.filter((x) => x.records?.length)) {
    html.push(`<h3>Records held by ${esc(s.label)}</h3><pre>${esc(JSON.stringify(s.records, null, 2))}</pre>`);
  }
  text.push('', '== Who receives personal data from us');
  html.push('<h2>Who receives personal data from us</h2><table><tr><th>Recipient</th><th>Entity</th><th>Country</th><th>Role</th></tr>');
  for (const r of report.recipients) {
    text.push(`  - ${r.name}: ${r.role}. ${r.entity}, ${r.country}.`);
    html.push(`<tr><td>${esc(r.name)}</td><td>${esc(r.entity)}</td><td>${esc(r.country)}</td><td>${esc(r.role)}</td></tr>`);
  }
  html.push('</table>');
  text.push('', 'You may also ask us to correct or erase your data, or object to its use, and you may complain to a data protection authority.');
  html.push('<p class="muted">You may also ask us to correct or erase your data, or object to its use, and you may complain to a data protection authority.</p>');
  return { subject, text: text.join('\n'), html: page(subject, html.join('\n')) };
}

export interface ErasureLine {
  system: string;
  label: string;
  outcome: ErasureResult['outcome'] | 'not_configured' | 'failed' | 'cancelled';
  text: string;
  retained: { what: string; count: number; reason: string; until?: string }[];
  vendorJob?: ErasureResult['vendorJob'];
}

export function buildErasureSummary(tasks: TaskView[]): ErasureLine[] {
  return tasks.map((t) => {
    if (t.status === 'failed') {
      return { system: t.system, label: t.label, outcome: 'failed', retained: [], text: 'Not erased yet: the system could not be reached. We keep trying and will write again.' };
    }
    if (t.status === 'skipped') {
      return { system: t.system, label: t.label, outcome: 'not_configured', retained: [], text: 'Not contacted automatically: our privacy team handles it by hand and will confirm.' };
    }
    if (t.status === 'cancelled') {
      return { system: t.system, label: t.label, outcome: 'cancelled', retained: [], text: 'Stopped: the request was closed before this system was reached.' };
    }
    const r = t.result as ErasureResult;
    const retained = r.retained.map((x) => ({
      what: x.what ?? DATA_ITEMS.find((d) => d.key === x.item)?.label ?? x.item,
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
        text = `Removed from use, but the provider can still restore it for a while${r.remains ? `: ${r.remains}` : ''}.`;
        break;
      case 'action_required':
        text = openActions > 0
          ? `Being completed by our staff${r.remains ? `: ${r.remains}` : ''}.`
          : `Completed by our staff${r.remains ? ` (${r.remains})` : ''}.`;
        break;
      case 'retained':
        text = `Erased${done ? ` (${done})` : ''}, except what we must keep (below).`;
        break;
      default:
        text = `Erased${done ? ` (${done})` : ''}.`;
    }
    if (r.note) text += ` ${r.note}`;
    return { system: t.system, label: t.label, outcome, text, retained, ...(r.vendorJob ? { vendorJob: r.vendorJob } : {}) };
  });
}

export function renderErasureConfirmation(request: RequestView, lines: ErasureLine[]): { subject: string; text: string; html: string } {
  const pending = lines.some((l) => l.outcome === 'failed' || (l.outcome === 'action_required' && /^Being completed/.test(l.text)));
  const subject = pending ? 'Your erasure request: progress update' : 'Your erasure request is complete';
  const text: string[] = [`Erasure request ${request.id} (received ${request.receivedAt.toISOString()}).`, '', 'What happened in each system:'];
  const html: string[] = [`<h1>${esc(subject)}</h1><p>Erasure request <code>${esc(request.id)}</code>, received ${esc(request.receivedAt.toISOString())}.</p><table><tr><th>System</th><th>Result</th></tr>`];
  for (const l of lines) {
    text.push(`  - ${l.label}: ${l.text}`);
    const kept = (r: ErasureLine['retained'][number]) => `${r.what} (${r.count} record(s)). ${r.reason}${r.until ? ` Kept until ${r.until}.` : ''}`;
    for (const r of l.retained) text.push(`      Kept: ${kept(r)}`);
    html.push(`<tr><td>${esc(l.label)}</td><td>${esc(l.text)}${l.retained.map((r) => `<br><b>Kept:</b> ${esc(kept(r))}`).join('')}</td></tr>`);
  }
  html.push('</table>');
  return { subject, text: text.join('\n'), html: page(subject, html.join('\n')) };
}
