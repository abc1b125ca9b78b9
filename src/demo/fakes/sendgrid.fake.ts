// SendGrid fake: bearer API key; Marketing Campaigns contact search by e-mail, read, async delete
// jobs with their status; suppression reads by e-mail. Traps kept: search/emails answers 404 when
// nothing matches; DELETE /v3/marketing/contacts needs `ids` as ONE comma-separated value and
// answers 202 {job_id} even for unknown ids; the contact stays visible until the job completes
// (`deleteJobDelayMs`, default 0 = completes before the next request is handled).
import { randomUUID } from 'node:crypto';
import { epochSeconds, type FakeRequest, type FakeResponse, FakeVendorServer, type FakeServerOptions, rateLimitHeaders } from './fake-server.js';

export interface SendGridFakeContact {
  id: string;
  email: string;
  first_name?: string;
  last_name?: string;
  phone_number?: string;
  alternate_emails?: string[];
  list_ids?: string[];
  [k: string]: unknown;
}

export interface SendGridSuppressions {
  groups?: { id: number; name: string }[];
  global?: boolean;
  bounces?: { created: number; reason: string; status: string }[];
  blocks?: { created: number; reason: string; status: string }[];
  spam_reports?: { created: number; ip: string }[];
  invalid_emails?: { created: number; reason: string }[];
}

export interface SendGridDeleteJob {
  id: string;
  ids: string[];
  status: 'pending' | 'completed';
  completeAt: number;
  deleted: number;
}

export interface SendGridFakeOptions extends FakeServerOptions {
  apiKey?: string;
  deleteJobDelayMs?: number;
}

const errors = (status: number, message: string, headers?: Record<string, string>): FakeResponse => ({ status, headers, body: { errors: [{ field: null, message }] } });
const GROUPS = [{ id: 101, name: 'Product news', description: 'Product announcements', is_default: false }, { id: 102, name: 'Billing', description: 'Billing notices', is_default: true }];

export class SendGridFake extends FakeVendorServer {
  readonly name = 'sendgrid';
  readonly apiKey: string;
  readonly contacts = new Map<string, SendGridFakeContact & { created_at: string; updated_at: string }>();
  readonly suppressions = new Map<string, SendGridSuppressions>();
  readonly jobs = new Map<string, SendGridDeleteJob>();
  deleteJobDelayMs: number;

  constructor(opts: SendGridFakeOptions = {}) {
    super(opts);
    this.apiKey = opts.apiKey ?? 'SG.fake-sendgrid-key';
    this.deleteJobDelayMs = opts.deleteJobDelayMs ?? 0;
  }

  addContact(c: Partial<SendGridFakeContact> & { email: string }): SendGridFakeContact {
    const now = new Date().toISOString();
    const contact: SendGridFakeContact & { created_at: string; updated_at: string } = { list_ids: [], alternate_emails: [], ...c, id: c.id ?? randomUUID(), email: c.email.toLowerCase(), created_at: now, updated_at: now };
    this.contacts.set(contact.id, contact);
    return contact;
  }

  addSuppressions(email: string, s: SendGridSuppressions): void {
    this.suppressions.set(email.toLowerCase(), s);
  }

  /** Completes every pending delete job now. */
  completeJobs(): void {
    for (const job of this.jobs.values()) if (job.status === 'pending') this.finish(job);
  }

  protected clearStore(): void {
    this.contacts.clear();
    this.suppressions.clear();
    this.jobs.clear();
  }

  protected tooManyRequests(resetAt: number): FakeResponse {
    return errors(429, 'too many requests', rateLimitHeaders(600, 0, resetAt));
  }

  protected handle(req: FakeRequest): FakeResponse {
    this.runDueJobs();
    if (req.headers.authorization !== `Bearer ${this.apiKey}`) return errors(401, 'authorization required');
    const rl = rateLimitHeaders(600, 599, epochSeconds() + 60);
    const path = req.path;

    if (req.method === 'POST' && path === '/v3/marketing/contacts/search/emails') {
      const emails = (req.body as { emails?: unknown })?.emails;
      if (!Array.isArray(emails) || emails.length === 0 || emails.length > 100) return errors(400, 'emails must hold 1 to 100 addresses', rl);
      const result: Record<string, unknown> = {};
      let any = false;
      for (const e of emails.map((x) => String(x).toLowerCase())) {
        const c = [...this.contacts.values()].find((x) => x.email === e || x.alternate_emails?.includes(e));
        if (c) any = true;
        result[e] = c ? { contact: c } : { error: 'contact not found' };
      }
      return any ? { status: 200, headers: rl, body: { result } } : errors(404, 'No contacts found', rl);
    }
    if (req.method === 'DELETE' && path === '/v3/marketing/contacts') {
      const ids = req.query.getAll('ids');
      const all = req.query.get('delete_all_contacts');
      if ((ids.length === 1) === (all === 'true') || ids.length > 1) return errors(400, "either 'ids' OR 'delete_all_contacts' should be supplied as query param", rl);
      const list = ids[0]!.split(',').filter(Boolean);
      const job: SendGridDeleteJob = { id: randomUUID(), ids: list, status: 'pending', completeAt: Date.now() + this.deleteJobDelayMs, deleted: 0 };
      this.jobs.set(job.id, job);
      return { status: 202, headers: rl, body: { job_id: job.id } };
    }
    let m = /^\/v3\/marketing\/contacts\/imports\/([^/]+)$/.exec(path);
    if (m && req.method === 'GET') {
      const job = this.jobs.get(m[1]!);
      if (!job) return errors(404, 'job not found', rl);
      return {
        status: 200,
        headers: rl,
        body: { id: job.id, status: job.status, job_type: 'delete', results: { requested_count: job.ids.length, deleted_count: job.deleted, errored_count: 0 }, started_at: new Date(job.completeAt - this.deleteJobDelayMs).toISOString(), finished_at: job.status === 'completed' ? new Date(job.completeAt).toISOString() : null },
      };
    }
    m = /^\/v3\/marketing\/contacts\/([^/]+)$/.exec(path);
    if (m && req.method === 'GET') {
      const c = this.contacts.get(m[1]!);
      return c ? { status: 200, headers: rl, body: c } : { status: 404, headers: rl, body: {} };
    }
    if (req.method === 'GET') {
      const s = this.suppressionRead(path);
      if (s) return { ...s, headers: rl };
    }
    return errors(404, 'not found', rl);
  }

  private suppressionRead(path: string): FakeResponse | undefined {
    const m = /^\/v3\/(asm\/suppressions\/global|asm\/suppressions|suppression\/(bounces|blocks|spam_reports|invalid_emails))\/([^/]+)$/.exec(path);
    if (!m) return undefined;
    const email = decodeURIComponent(m[3]!).toLowerCase();
    const s = this.suppressions.get(email) ?? {};
    if (m[1] === 'asm/suppressions/global') return { status: 200, body: s.global ? { recipient_email: email } : {} };
    if (m[1] === 'asm/suppressions') {
      const held = new Set((s.groups ?? []).map((g) => g.id));
      return { status: 200, body: { suppressions: GROUPS.map((g) => ({ ...g, suppressed: held.has(g.id) })) } };
    }
    const list = (s[m[2] as 'bounces' | 'blocks' | 'spam_reports' | 'invalid_emails'] ?? []) as Record<string, unknown>[];
    return { status: 200, body: list.map((e) => ({ ...e, email })) };
  }

  private runDueJobs(): void {
    const now = Date.now();
    for (const job of this.jobs.values()) if (job.status === 'pending' && job.completeAt <= now) this.finish(job);
  }

  private finish(job: SendGridDeleteJob): void {
    for (const id of job.ids) if (this.contacts.delete(id)) job.deleted++;
    job.status = 'completed';
  }
}
