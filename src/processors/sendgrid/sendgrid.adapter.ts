// SendGrid: Marketing Campaigns contacts (search by e-mail answers 404 when nothing matches;
// deletion is an async job) and the suppression lists kept per e-mail address.
import type { AccessResult, DataSystem, ErasureResult, RetainedRecord, TaskContext, VendorJob, VendorJobState } from '../../systems/data-system.js';
import { Items, joinName, mergeIds, notFound, stripSecrets } from '../common.js';
import { VendorHttpClient } from '../http/vendor-http.js';
import type { VendorGate } from '../http/vendor-limiter.js';
import type { VendorConfig } from '../vendor-config.js';

interface SendGridContact {
  id: string;
  email?: string;
  first_name?: string;
  last_name?: string;
  phone_number?: string;
  [k: string]: unknown;
}

// Suppression reads by e-mail: [name, path prefix]. The e-mail is a path segment (redacted in errors).
const SUPPRESSIONS = [
  ['group unsubscribes', '/v3/asm/suppressions/'],
  ['global unsubscribe', '/v3/asm/suppressions/global/'],
  ['bounces', '/v3/suppression/bounces/'],
  ['blocks', '/v3/suppression/blocks/'],
  ['spam reports', '/v3/suppression/spam_reports/'],
  ['invalid e-mails', '/v3/suppression/invalid_emails/'],
] as const;

export class SendGridAdapter implements DataSystem {
  readonly key = 'sendgrid';
  readonly recipient = 'sendgrid';
  readonly label = 'SendGrid';
  private readonly http: VendorHttpClient;

  constructor(private readonly cfg: VendorConfig['sendgrid'], timeoutMs: number, gate?: VendorGate) {
    this.http = new VendorHttpClient({
      vendor: 'SendGrid',
      baseUrl: cfg.baseUrl,
      timeoutMs,
      gate,
      headers: { authorization: `Bearer ${cfg.apiKey}` },
    });
  }

  isConfigured(): boolean {
    return Boolean(this.cfg.baseUrl && this.cfg.apiKey);
  }

  async access(ctx: TaskContext): Promise<AccessResult> {
    const contacts = await this.findContacts(ctx);
    const suppressions = await this.suppressions(ctx);
    const items = new Items();
    for (const c of contacts) {
      const where = `SendGrid contact ${c.id}`;
      items
        .add('email', c.email, where)
        .add('name', joinName(c.first_name, c.last_name), where)
        .add('phone_number', c.phone_number, where);
    }
    for (const s of suppressions) items.add('email', ctx.subject.email, `SendGrid suppression list: ${s.list}`);
    if (contacts.length === 0 && suppressions.length === 0) return notFound();
    return {
      outcome: 'found',
      items: items.list,
      records: [...contacts.map((c) => ({ contact: stripSecrets(c) })), ...suppressions.map((s) => ({ suppression: s.list, entries: s.entries }))],
    };
  }

  async erase(ctx: TaskContext): Promise<ErasureResult> {
    const retained = await this.retainedSuppressions(ctx);
    const ids = mergeIds(ctx.refs, 'sendgridContactIds', (await this.findContacts(ctx)).map((c) => c.id));
    if (ids.length === 0) return { outcome: 'not_found', actions: [], retained };
    const pending = await this.earlierJob(ctx, ids);
    if (pending) return this.result(ids, pending.id, pending.status, retained);
    await ctx.saveRefs({ sendgridContactIds: ids });
    const res = await this.http.request<{ job_id: string }>({
      method: 'DELETE',
      path: '/v3/marketing/contacts',
      query: { ids: ids.join(',') }, // one comma-separated string; array-style params are refused
      signal: ctx.signal,
    });
    const jobId = String(res.body.job_id);
    await ctx.saveRefs({ sendgridJobId: jobId, sendgridJobContactIds: ids });
    return this.result(ids, jobId, 'pending', retained);
  }

  private result(ids: string[], jobId: string, status: string, retained: RetainedRecord[]): ErasureResult {
    return {
      outcome: 'scheduled',
      actions: [{ what: 'SendGrid marketing contact', count: ids.length, how: 'requested' }],
      retained,
      vendorJob: { id: jobId, status },
      note: 'SendGrid deletes contacts in an asynchronous job; the contact stays visible until the job completes.',
    };
  }

  // GET /v3/marketing/contacts/imports/{id} also reports delete jobs: pending → completed | errored | failed.
  async checkErasure(ctx: TaskContext, job: VendorJob): Promise<VendorJobState> {
    const res = await this.http.request<{ status?: string; results?: { errored_count?: number } }>({
      path: `/v3/marketing/contacts/imports/${encodeURIComponent(job.id)}`,
      okStatuses: [404],
      signal: ctx.signal,
    });
    if (res.status === 404) return { state: 'failed', reason: 'SendGrid does not know the delete job' };
    const status = res.body?.status ?? 'unknown';
    if (status === 'completed') return { state: 'done', status };
    if (status === 'errored' || status === 'failed') return { state: 'failed', reason: `SendGrid delete job ${status}` };
    return { state: 'pending', status };
  }

  // A retry reuses the delete job of an earlier attempt when it covered the same contacts and has not failed.
  private async earlierJob(ctx: TaskContext, ids: string[]): Promise<{ id: string; status: string } | undefined> {
    const jobId = ctx.refs.sendgridJobId;
    const covered = ctx.refs.sendgridJobContactIds;
    if (typeof jobId !== 'string' || !Array.isArray(covered) || !ids.every((id) => covered.includes(id))) return undefined;
    const res = await this.http.request<{ status?: string }>({ path: `/v3/marketing/contacts/imports/${encodeURIComponent(jobId)}`, okStatuses: [404], signal: ctx.signal });
    const status = res.status === 404 ? undefined : res.body?.status;
    return status === 'pending' || status === 'completed' ? { id: jobId, status } : undefined;
  }

  private async findContacts(ctx: TaskContext): Promise<SendGridContact[]> {
    const res = await this.http.request<{ result?: Record<string, { contact?: SendGridContact }> }>({
      method: 'POST',
      path: '/v3/marketing/contacts/search/emails',
      json: { emails: [ctx.subject.email] },
      okStatuses: [404], // 404 = no address matched
      signal: ctx.signal,
    });
    if (res.status === 404) return [];
    return Object.values(res.body?.result ?? {}).flatMap((r) => (r.contact ? [r.contact] : []));
  }

  private async suppressions(ctx: TaskContext): Promise<{ list: string; entries: unknown }[]> {
    const out: { list: string; entries: unknown }[] = [];
    for (const [list, prefix] of SUPPRESSIONS) {
      const res = await this.http.request<unknown>({ path: prefix + encodeURIComponent(ctx.subject.email), okStatuses: [404], signal: ctx.signal });
      if (res.status === 404) continue;
      const entries = list === 'group unsubscribes'
        ? ((res.body as { suppressions?: { suppressed?: boolean }[] })?.suppressions ?? []).filter((g) => g.suppressed)
        : res.body;
      const held = Array.isArray(entries) ? entries.length > 0 : Boolean(entries && Object.keys(entries).length > 0);
      if (held) out.push({ list, entries });
    }
    return out;
  }

  // Suppressions are kept on purpose: removing them could resume sending to the person.
  private async retainedSuppressions(ctx: TaskContext): Promise<RetainedRecord[]> {
    const lists = await this.suppressions(ctx);
    if (lists.length === 0) return [];
    return [{
      item: 'email',
      count: lists.length,
      reason: `Kept on SendGrid suppression lists (${lists.map((l) => l.list).join(', ')}) so that no further e-mail is sent to the address.`,
    }];
  }
}
