// Intercom fake: bearer token, optional Intercom-Version header, contact search (email filter,
// cursor pages), get, delete. Traps kept: 200 {deleted:true} then 404 on repeat; search can lag
// behind creation (`searchLagMs`); one e-mail can match a user and leads.
import { randomUUID } from 'node:crypto';
import { epochSeconds, type FakeRequest, type FakeResponse, FakeVendorServer, type FakeServerOptions, rateLimitHeaders } from './fake-server.js';

export interface IntercomFakeContact {
  id: string;
  role: 'user' | 'lead';
  email: string;
  external_id?: string | null;
  name?: string | null;
  phone?: string | null;
  custom_attributes?: Record<string, unknown>;
  location?: { country?: string; region?: string; city?: string };
  browser?: string;
  os?: string;
  signed_up_at?: number;
  created_at?: number;
  [k: string]: unknown;
}

export interface IntercomFakeOptions extends FakeServerOptions {
  accessToken?: string;
  /** New contacts stay out of search results this long (Intercom: "a few minutes"). Default 0. */
  searchLagMs?: number;
}

const VERSIONS = new Set(['1.0', '1.1', '1.2', '1.3', '1.4', ...Array.from({ length: 17 }, (_, i) => `2.${i}`), 'Unstable']);

const errorList = (status: number, code: string, message: string, headers?: Record<string, string>): FakeResponse => ({
  status,
  headers,
  body: { type: 'error.list', request_id: randomUUID(), errors: [{ code, message }] },
});

export class IntercomFake extends FakeVendorServer {
  readonly name = 'intercom';
  readonly accessToken: string;
  readonly contacts = new Map<string, IntercomFakeContact & { addedAt: number }>();
  searchLagMs: number;
  private seq = 0;

  constructor(opts: IntercomFakeOptions = {}) {
    super(opts);
    this.accessToken = opts.accessToken ?? 'fake-intercom-token';
    this.searchLagMs = opts.searchLagMs ?? 0;
  }

  addContact(c: Partial<IntercomFakeContact> & { email: string; role: 'user' | 'lead' }): IntercomFakeContact {
    const id = c.id ?? (0x64000000 + ++this.seq).toString(16);
    const contact: IntercomFakeContact & { addedAt: number } = { type: 'contact', created_at: epochSeconds(), custom_attributes: {}, ...c, id, addedAt: Date.now() };
    this.contacts.set(id, contact);
    return contact;
  }

  protected clearStore(): void {
    this.contacts.clear();
  }

  protected tooManyRequests(resetAt: number): FakeResponse {
    return errorList(429, 'rate_limit_exceeded', 'Exceeded rate limit of 167 in 10_seconds', rateLimitHeaders(167, 0, resetAt));
  }

  protected handle(req: FakeRequest): FakeResponse {
    if (req.headers.authorization !== `Bearer ${this.accessToken}`) return errorList(401, 'unauthorized', 'Access Token Invalid');
    const version = req.headers['intercom-version'];
    if (typeof version === 'string' && !VERSIONS.has(version)) return errorList(400, 'intercom_version_invalid', 'The requested version could not be found');
    const rl = rateLimitHeaders(10000, 9999, epochSeconds() + 10);

    if (req.method === 'POST' && req.path === '/contacts/search') return this.search(req, rl);
    const m = /^\/contacts\/([^/]+)$/.exec(req.path);
    if (!m) return errorList(404, 'not_found', 'Resource Not Found');
    const contact = this.contacts.get(decodeURIComponent(m[1]!));
    if (!contact) return errorList(404, 'not_found', 'Contact Not Found', rl);
    if (req.method === 'GET') return { status: 200, headers: rl, body: publicContact(contact) };
    if (req.method === 'DELETE') {
      this.contacts.delete(contact.id);
      return { status: 200, headers: rl, body: { type: 'contact', id: contact.id, external_id: contact.external_id ?? null, deleted: true } };
    }
    return errorList(404, 'not_found', 'Resource Not Found');
  }

  private search(req: FakeRequest, rl: Record<string, string>): FakeResponse {
    const body = (req.body ?? {}) as { query?: { field?: string; operator?: string; value?: unknown }; pagination?: { per_page?: number; starting_after?: string | null } };
    const q = body.query;
    if (!q || q.field !== 'email' || q.operator !== '=' || typeof q.value !== 'string') {
      return errorList(400, 'parameter_invalid', 'This fake supports only {field:"email", operator:"=", value}');
    }
    const perPage = Math.min(body.pagination?.per_page ?? 50, 150);
    const visibleBefore = Date.now() - this.searchLagMs;
    const all = [...this.contacts.values()].filter((c) => c.email.toLowerCase() === String(q.value).toLowerCase() && c.addedAt <= visibleBefore);
    const start = body.pagination?.starting_after ? Number(Buffer.from(body.pagination.starting_after, 'base64url').toString()) : 0;
    const data = all.slice(start, start + perPage);
    const next = start + perPage < all.length ? { per_page: perPage, starting_after: Buffer.from(String(start + perPage)).toString('base64url') } : undefined;
    return {
      status: 200,
      headers: rl,
      body: {
        type: 'list',
        data: data.map(publicContact),
        total_count: all.length,
        pages: { type: 'pages', page: Math.floor(start / perPage) + 1, per_page: perPage, total_pages: Math.ceil(all.length / perPage), ...(next ? { next } : {}) },
      },
    };
  }
}

function publicContact(c: IntercomFakeContact & { addedAt?: number }): IntercomFakeContact {
  const { addedAt: _hidden, ...rest } = c;
  return rest;
}
