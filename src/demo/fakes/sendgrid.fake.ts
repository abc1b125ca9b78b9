// SendGrid fake (v3 API), written from test/vendor-openapi/sendgrid-contacts.json,
// sendgrid-suppressions.json, sendgrid-erasure.json and vendors.md §0.3, §6, §8, §10. Traps it
// reproduces:
// - Bearer API key; optional `on-behalf-of: <subuser>` acting for a subuser, each subuser with its
//   own contacts, suppressions and e-mail activity; an unknown subuser is refused (403) (§6 Auth).
// - POST /v3/marketing/contacts/search/emails: 1–100 addresses, case-insensitive, alternate_emails
//   match too; 200 with per-address results when any matches, 404 when none does (§6, §0.3).
// - POST /v3/marketing/contacts/search (SGQL): e-mails are stored lower-case, only the first 50
//   results are returned (§6); this fake understands `email = '…'` / `lower(email) = '…'` terms
//   joined by OR and refuses any other query with 400.
// - DELETE /v3/marketing/contacts?ids=<a,b> (ONE comma-separated value; exactly one of ids /
//   delete_all_contacts) → 202 {job_id}; the job runs asynchronously (`deleteJobDelayMs`) and is
//   read at GET /v3/marketing/contacts/imports/{id}; the contacts stay visible until it ends (§6).
//   A DELETE whose ids are all gone answers 404 (§10; `unknownIdsDelete` = 'accepted' gives 202).
// - POST /v3/recipients/erasejob {email_addresses: 1–5,000, ≤ 256 KB} → 202 {job_id}: erases the
//   addresses' transactional e-mail activity (recipient, subject, IP, events); marketing contact
//   deletion does not touch that activity (§10). Does not cascade to subusers (§6). Limited to 100
//   requests a minute; its 429 carries X-RateLimit-Reset in SECONDS TO WAIT and
//   X-Envoy-Ratelimited: true (sendgrid-erasure.json RecipientsDataErasure429), while every other
//   endpoint sends X-RateLimit-Reset as an epoch timestamp (§6 Rate limits).
// - Suppression reads and deletes by e-mail (global, groups, bounces, blocks, spam reports, invalid
//   e-mails); deletes answer 204 (sendgrid-suppressions.json).
// UNCONFIRMED choices: 403 "access forbidden" for an unknown on-behalf-of subuser (customer
// "account-id …" values are refused the same way), erasejob leaving marketing contacts and
// suppressions alone, suppression deletes answering 204 when nothing was held, 400 "Content-Type
// should be application/json." for other body types, the error messages not quoted in the documents.
import { randomUUID } from 'node:crypto';
import { epochSeconds, type FakeRequest, type FakeResponse, FakeVendorServer, type FakeServerOptions, rateLimitHeaders, type RequestLine } from './fake-server.js';

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
  /** Suppression groups the address unsubscribed from. */
  groups?: { id: number; name?: string }[];
  global?: boolean;
  bounces?: { created: number; reason: string; status: string }[];
  blocks?: { created: number; reason: string; status: string }[];
  spam_reports?: { created: number; ip: string }[];
  invalid_emails?: { created: number; reason: string }[];
}

/** One transactional message as SendGrid's e-mail activity holds it. */
export interface SendGridEmailActivity {
  msg_id: string;
  to_email: string;
  from_email: string;
  subject: string;
  originating_ip: string;
  categories: string[];
  status: 'delivered' | 'not_delivered' | 'processing';
  events: { event: string; at: number }[];
  last_event_time: number;
}

export interface SendGridDeleteJob {
  id: string;
  /** '' for the parent account, else the subuser. */
  account: string;
  ids: string[];
  status: 'pending' | 'completed';
  startedAt: number;
  completeAt: number;
  deleted: number;
}

export interface SendGridErasureJob {
  id: string;
  account: string;
  emails: string[];
  erasedMessages: number;
  at: number;
}

export interface SendGridSuppressionGroup {
  id: number;
  name: string;
  description: string;
  is_default: boolean;
}

export interface SendGridFakeOptions extends FakeServerOptions {
  apiKey?: string;
  /** Subuser usernames the parent account may act for through `on-behalf-of`. */
  subusers?: string[];
  /** How long a contact deletion job stays pending (default 0: it completes before the next request). */
  deleteJobDelayMs?: number;
  /** A DELETE whose ids are all unknown: 404 (default) or 202 with a job. */
  unknownIdsDelete?: 'not_found' | 'accepted';
  /** Requests a minute accepted by the erasure API (documented: 100; 0 = not enforced). */
  erasureRateLimitPerMinute?: number;
  suppressionGroups?: SendGridSuppressionGroup[];
}

type StoredContact = SendGridFakeContact & { created_at: string; updated_at: string };

interface Account {
  contacts: Map<string, StoredContact>;
  suppressions: Map<string, SendGridSuppressions>;
  activity: SendGridEmailActivity[];
}

const DEFAULT_GROUPS: SendGridSuppressionGroup[] = [
  { id: 101, name: 'Product news', description: 'Product announcements', is_default: false },
  { id: 102, name: 'Billing', description: 'Billing notices', is_default: true },
];
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const ERASE = '/v3/recipients/erasejob';

// Error bodies: most endpoints use {field: null, message}; the erasure API's schema wants a string field.
const errors = (status: number, message: string, headers?: Record<string, string>, field: string | null = null): FakeResponse => ({
  status,
  headers,
  body: { errors: [{ field, message }] },
});

export class SendGridFake extends FakeVendorServer {
  readonly name = 'sendgrid';
  readonly apiKey: string;
  readonly subusers: Set<string>;
  /** Contact deletion jobs of every account, by job id. */
  readonly jobs = new Map<string, SendGridDeleteJob>();
  /** Recipient erasure jobs of every account, by job id. */
  readonly erasureJobs = new Map<string, SendGridErasureJob>();
  readonly suppressionGroups: SendGridSuppressionGroup[];
  deleteJobDelayMs: number;
  unknownIdsDelete: 'not_found' | 'accepted';
  private readonly accounts = new Map<string, Account>();
  private readonly erasurePerMinute: number;

  constructor(opts: SendGridFakeOptions = {}) {
    super(opts);
    this.apiKey = opts.apiKey ?? 'SG.fake-sendgrid-key';
    this.subusers = new Set(opts.subusers ?? ['fake-subuser']);
    this.deleteJobDelayMs = opts.deleteJobDelayMs ?? 0;
    this.unknownIdsDelete = opts.unknownIdsDelete ?? 'not_found';
    this.erasurePerMinute = opts.erasureRateLimitPerMinute ?? 100;
    this.suppressionGroups = opts.suppressionGroups ?? DEFAULT_GROUPS;
    this.applyErasureLimit();
  }

  private applyErasureLimit(): void {
    if (this.erasurePerMinute > 0) this.setRateLimit({ perMinute: this.erasurePerMinute }, 'erasure');
  }

  override reset(): void {
    super.reset();
    this.applyErasureLimit();
  }

  /** The data of the parent account ('' or omitted) or of a subuser. */
  account(subuser = ''): Account {
    if (subuser && !this.subusers.has(subuser)) throw new Error(`unknown SendGrid subuser ${subuser}`);
    let a = this.accounts.get(subuser);
    if (!a) this.accounts.set(subuser, (a = { contacts: new Map(), suppressions: new Map(), activity: [] }));
    return a;
  }

  /** The parent account's marketing contacts. */
  get contacts(): Map<string, StoredContact> {
    return this.account().contacts;
  }

  /** The parent account's suppressions by lower-cased e-mail. */
  get suppressions(): Map<string, SendGridSuppressions> {
    return this.account().suppressions;
  }

  addContact(c: Partial<SendGridFakeContact> & { email: string }, subuser = ''): SendGridFakeContact {
    const now = new Date().toISOString();
    const contact: StoredContact = {
      list_ids: [], ...c, alternate_emails: (c.alternate_emails ?? []).map((e) => e.toLowerCase()),
      id: c.id ?? randomUUID(), email: c.email.toLowerCase(), created_at: now, updated_at: now,
    };
    this.account(subuser).contacts.set(contact.id, contact);
    return contact;
  }

  addSuppressions(email: string, s: SendGridSuppressions, subuser = ''): void {
    const store = this.account(subuser).suppressions;
    const key = email.toLowerCase();
    store.set(key, { ...store.get(key), ...s });
  }

  /** A transactional message sent to `to` (what recipient erasure removes). */
  addEmailActivity(a: { to: string; subject: string; from?: string; ip?: string; categories?: string[]; at?: number; events?: string[] }, subuser = ''): SendGridEmailActivity {
    const at = a.at ?? epochSeconds();
    const events = (a.events ?? ['processed', 'delivered', 'open']).map((event, i) => ({ event, at: at + i * 60 }));
    const msg: SendGridEmailActivity = {
      msg_id: `${randomUUID().replace(/-/g, '').slice(0, 22)}.filter0001`, to_email: a.to.toLowerCase(), from_email: a.from ?? 'no-reply@example.com',
      subject: a.subject, originating_ip: a.ip ?? '198.51.100.10', categories: a.categories ?? [], status: 'delivered', events,
      last_event_time: events[events.length - 1]?.at ?? at,
    };
    this.account(subuser).activity.push(msg);
    return msg;
  }

  /** The transactional e-mail activity an account holds for an address. */
  activityFor(email: string, subuser = ''): SendGridEmailActivity[] {
    return this.account(subuser).activity.filter((m) => m.to_email === email.toLowerCase());
  }

  /** Completes every pending delete job now. */
  completeJobs(): void {
    for (const job of this.jobs.values()) if (job.status === 'pending') this.finish(job);
  }

  protected clearStore(): void {
    this.accounts.clear();
    this.jobs.clear();
    this.erasureJobs.clear();
  }

  override limitGroup(method: string, path: string): string {
    return method === 'POST' && path === ERASE ? 'erasure' : 'default';
  }

  protected tooManyRequests(resetAt: number, at: RequestLine): FakeResponse {
    if (at.method === 'POST' && at.path === ERASE) {
      const w = this.rateLimitWindow('erasure');
      // Over the enforced limit: the window's own end; an injected 429: its reset.
      const wait = w && w.remaining === 0 ? w.resetInSec : Math.max(1, Math.round(resetAt - Date.now() / 1000));
      return errors(429, 'too many requests', { ...rateLimitHeaders(w?.limit ?? 100, 0, wait), 'x-envoy-ratelimited': 'true' });
    }
    return errors(429, 'too many requests', rateLimitHeaders(this.rateLimitWindow('default')?.limit ?? 600, 0, resetAt));
  }

  // X-RateLimit-* on every answer: reset as an epoch timestamp, or seconds to wait on the erasure API.
  private rl(erasure: boolean): Record<string, string> {
    const w = this.rateLimitWindow(erasure ? 'erasure' : 'default');
    const limit = w?.limit ?? (erasure ? 100 : 600);
    const remaining = w?.remaining ?? limit - 1;
    return rateLimitHeaders(limit, remaining, erasure ? (w?.resetInSec ?? 60) : (w?.resetAt ?? epochSeconds() + 60));
  }

  protected handle(req: FakeRequest): FakeResponse {
    this.runDueJobs();
    const erasure = req.path === ERASE;
    const rl = this.rl(erasure);
    const field = erasure ? '' : null;
    if (req.headers.authorization !== `Bearer ${this.apiKey}`) {
      return erasure ? errors(401, 'Failed to authenticate', rl, '') : errors(401, 'authorization required', rl);
    }
    const onBehalfOf = req.headers['on-behalf-of'];
    let owner = '';
    if (onBehalfOf !== undefined) {
      if (typeof onBehalfOf !== 'string' || !this.subusers.has(onBehalfOf)) return errors(403, 'access forbidden', rl, field);
      owner = onBehalfOf;
    }
    const acct = this.account(owner);
    const path = req.path;
    if (req.method === 'POST' && !String(req.headers['content-type'] ?? '').toLowerCase().startsWith('application/json')) {
      return errors(400, 'Content-Type should be application/json.', rl, field);
    }

    if (req.method === 'POST' && path === ERASE) return this.erase(req, owner, acct, rl);
    if (req.method === 'POST' && path === '/v3/marketing/contacts/search/emails') return this.searchEmails(req, acct, rl);
    if (req.method === 'POST' && path === '/v3/marketing/contacts/search') return this.searchSgql(req, acct, rl);
    if (req.method === 'DELETE' && path === '/v3/marketing/contacts') return this.deleteContacts(req, owner, acct, rl);
    let m = /^\/v3\/marketing\/contacts\/imports\/([^/]+)$/.exec(path);
    if (m && req.method === 'GET') {
      const job = this.jobs.get(decode(m[1]!));
      if (!job || job.account !== owner) return errors(404, 'job not found', rl);
      const done = job.status === 'completed';
      return {
        status: 200,
        headers: rl,
        body: {
          id: job.id, status: job.status, job_type: 'delete',
          results: { requested_count: job.ids.length, deleted_count: job.deleted, errored_count: 0 },
          started_at: new Date(job.startedAt).toISOString(),
          ...(done ? { finished_at: new Date(job.completeAt).toISOString() } : {}),
        },
      };
    }
    m = /^\/v3\/marketing\/contacts\/([^/]+)$/.exec(path);
    if (m && req.method === 'GET') {
      const c = acct.contacts.get(decode(m[1]!));
      return c ? { status: 200, headers: rl, body: publicContact(c) } : errors(404, 'Contact not found', rl);
    }
    return this.suppression(req.method, path, acct, rl) ?? errors(404, 'not found', rl);
  }

  private searchEmails(req: FakeRequest, acct: Account, rl: Record<string, string>): FakeResponse {
    const emails = (req.body as { emails?: unknown } | undefined)?.emails;
    if (!Array.isArray(emails) || emails.length === 0 || emails.length > 100) return errors(400, 'emails must hold between 1 and 100 addresses', rl);
    for (const e of emails) if (typeof e !== 'string' || !EMAIL.test(e)) return errors(400, `email ${typeof e === 'string' ? e : String(e)} is invalid`, rl);
    const result: Record<string, unknown> = {};
    let any = false;
    for (const e of emails as string[]) {
      const want = e.toLowerCase();
      const c = [...acct.contacts.values()].find((x) => x.email === want || (x.alternate_emails ?? []).includes(want));
      if (c) any = true;
      result[e] = c ? { contact: publicContact(c) } : { error: 'contact not found' };
    }
    return any ? { status: 200, headers: rl, body: { result } } : errors(404, 'No contacts found', rl);
  }

  private searchSgql(req: FakeRequest, acct: Account, rl: Record<string, string>): FakeResponse {
    const query = (req.body as { query?: unknown } | undefined)?.query;
    if (typeof query !== 'string' || !query.trim()) return errors(400, 'query is required', rl, 'query');
    const terms = query.split(/\s+OR\s+/i).map((t) => /^\s*(lower\s*\(\s*email\s*\)|email)\s*=\s*'([^']*)'\s*$/i.exec(t));
    if (terms.some((t) => !t)) return errors(400, 'unsupported query (this fake understands email = \'…\' and lower(email) = \'…\' joined by OR)', rl, 'query');
    const tests = terms.map((t) => {
      const lowered = /^lower/i.test(t![1]!);
      const v = t![2]!;
      return (c: StoredContact) => (lowered ? c.email.toLowerCase() : c.email) === v;
    });
    const all = [...acct.contacts.values()].filter((c) => tests.some((t) => t(c)));
    return {
      status: 200,
      headers: rl,
      body: { result: all.slice(0, 50).map(publicContact), contact_count: all.length, _metadata: { self: 'https://api.sendgrid.com/v3/marketing/contacts/search' } },
    };
  }

  private deleteContacts(req: FakeRequest, owner: string, acct: Account, rl: Record<string, string>): FakeResponse {
    const ids = req.query.getAll('ids');
    const all = req.query.getAll('delete_all_contacts');
    const either = "either 'ids' OR 'delete_all_contacts' should be supplied as query param";
    if (ids.length + all.length !== 1) return errors(400, either, rl);
    let list: string[];
    if (all.length === 1) {
      if (all[0] !== 'true') return errors(400, either, rl);
      list = [...acct.contacts.keys()];
    } else {
      list = ids[0]!.split(',').map((s) => s.trim());
      if (list.some((s) => !s)) return errors(400, 'ids must be a comma-separated list of contact ids', rl);
    }
    if (!list.some((id) => acct.contacts.has(id)) && this.unknownIdsDelete === 'not_found') return errors(404, 'Contacts not found', rl);
    const now = Date.now();
    const job: SendGridDeleteJob = { id: randomUUID(), account: owner, ids: list, status: 'pending', startedAt: now, completeAt: now + this.deleteJobDelayMs, deleted: 0 };
    this.jobs.set(job.id, job);
    return { status: 202, headers: rl, body: { job_id: job.id } };
  }

  private erase(req: FakeRequest, owner: string, acct: Account, rl: Record<string, string>): FakeResponse {
    const bad = (message: string, status = 400) => errors(status, message, rl, 'email_addresses');
    const b = req.body;
    if (Buffer.byteLength(JSON.stringify(b ?? '')) > 256 * 1024) return bad('The payload exceeds 256Kb');
    const list = (b as { email_addresses?: unknown } | undefined)?.email_addresses;
    if (!Array.isArray(list) || list.length === 0) return bad('email_addresses is required and must hold at least one address');
    if (list.length > 5000) return bad('email_addresses can hold at most 5000 addresses');
    for (const e of list) if (typeof e !== 'string' || !EMAIL.test(e)) return bad(`Email_address ${String(e)} is not valid`);
    const unique = [...new Set((list as string[]).map((e) => e.toLowerCase()))];
    const before = acct.activity.length;
    // Only this account's data: erasure does not cascade to subusers.
    acct.activity = acct.activity.filter((m) => !unique.includes(m.to_email));
    const job: SendGridErasureJob = { id: randomUUID(), account: owner, emails: unique, erasedMessages: before - acct.activity.length, at: Date.now() };
    this.erasureJobs.set(job.id, job);
    return { status: 202, headers: rl, body: { job_id: job.id } };
  }

  private suppression(method: string, path: string, acct: Account, rl: Record<string, string>): FakeResponse | undefined {
    let m = /^\/v3\/asm\/groups\/([^/]+)\/suppressions\/([^/]+)$/.exec(path);
    if (m) {
      if (method !== 'DELETE') return undefined;
      const s = acct.suppressions.get(decode(m[2]!).toLowerCase());
      if (s?.groups) s.groups = s.groups.filter((g) => String(g.id) !== decode(m![1]!));
      return { status: 204, headers: rl };
    }
    m = /^\/v3\/(asm\/suppressions\/global|asm\/suppressions|suppression\/(bounces|blocks|spam_reports|invalid_emails))\/([^/]+)$/.exec(path);
    if (!m) return undefined;
    const email = decode(m[3]!).toLowerCase();
    const s = acct.suppressions.get(email) ?? {};
    const kind = m[2] as 'bounces' | 'blocks' | 'spam_reports' | 'invalid_emails' | undefined;
    if (m[1] === 'asm/suppressions') {
      if (method !== 'GET') return undefined;
      const held = new Set((s.groups ?? []).map((g) => g.id));
      return { status: 200, headers: rl, body: { suppressions: this.suppressionGroups.map((g) => ({ ...g, suppressed: held.has(g.id) })) } };
    }
    if (method === 'DELETE') {
      if (m[1] === 'asm/suppressions/global') delete s.global;
      else delete s[kind!];
      return { status: 204, headers: rl };
    }
    if (method !== 'GET') return undefined;
    if (m[1] === 'asm/suppressions/global') return { status: 200, headers: rl, body: s.global ? { recipient_email: email } : {} };
    const list = (s[kind!] ?? []) as object[];
    return { status: 200, headers: rl, body: list.map((e) => ({ ...e, email })) };
  }

  private runDueJobs(): void {
    const now = Date.now();
    for (const job of this.jobs.values()) if (job.status === 'pending' && job.completeAt <= now) this.finish(job);
  }

  private finish(job: SendGridDeleteJob): void {
    const acct = this.account(job.account);
    for (const id of job.ids) if (acct.contacts.delete(id)) job.deleted++;
    job.status = 'completed';
    job.completeAt = Math.min(job.completeAt, Date.now());
  }
}

function publicContact(c: StoredContact): Record<string, unknown> {
  return { segment_ids: [], custom_fields: {}, ...c, _metadata: { self: `https://api.sendgrid.com/v3/marketing/contacts/${c.id}` } };
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
