// Pardot (Account Engagement) v5 fake, also serving the Salesforce token endpoint. Traps kept:
// both Authorization and Pardot-Business-Unit-Id required; `fields` required on reads; query by
// email returns every prospect sharing it (AMPSEA); pages via nextPageToken (only `fields` may go
// with it); DELETE → 204 into the recycle bin, then 404 with `Pardot-Warning: 201`; error bodies
// {code, message}; concurrency limit answers code 66.
import { randomBytes } from 'node:crypto';
import { type FakeRequest, type FakeResponse, FakeVendorServer, type FakeServerOptions } from './fake-server.js';

export interface PardotFakeProspect {
  id: number;
  email: string;
  firstName?: string;
  lastName?: string;
  jobTitle?: string;
  company?: string;
  industry?: string;
  phone?: string;
  city?: string;
  state?: string;
  country?: string;
  createdAt?: string;
  [k: string]: unknown;
}

export interface PardotFakeOptions extends FakeServerOptions {
  clientId?: string;
  clientSecret?: string;
  businessUnitId?: string;
  tokenTtlSec?: number;
  /** Page size of prospect queries (Pardot: default 200, max 1000). */
  pageSize?: number;
}

// Error codes: 66 and 122 are documented; the codes for token and business-unit failures are not.
const err = (status: number, code: number, message: string, headers?: Record<string, string>): FakeResponse => ({ status, headers, body: { code, message } });

export class PardotFake extends FakeVendorServer {
  readonly name = 'pardot';
  readonly clientId: string;
  readonly clientSecret: string;
  readonly businessUnitId: string;
  readonly prospects = new Map<number, PardotFakeProspect & { deleted: boolean }>();
  pageSize: number;
  private readonly ttl: number;
  private nextId = 1001;
  private pageTokens = new Map<string, { ids: number[]; offset: number }>();

  constructor(opts: PardotFakeOptions = {}) {
    super(opts);
    this.clientId = opts.clientId ?? 'fake-salesforce-client';
    this.clientSecret = opts.clientSecret ?? 'fake-salesforce-secret';
    this.businessUnitId = opts.businessUnitId ?? '0Uv000000000001AAA';
    this.ttl = opts.tokenTtlSec ?? 7200;
    this.pageSize = opts.pageSize ?? 200;
  }

  addProspect(p: Partial<PardotFakeProspect> & { email: string }): PardotFakeProspect {
    const prospect: PardotFakeProspect & { deleted: boolean } = { createdAt: new Date().toISOString(), ...p, id: p.id ?? this.nextId++, deleted: false };
    this.prospects.set(prospect.id, prospect);
    return prospect;
  }

  /** Prospects not in the recycle bin. */
  active(): PardotFakeProspect[] {
    return [...this.prospects.values()].filter((p) => !p.deleted);
  }

  protected clearStore(): void {
    this.prospects.clear();
    this.pageTokens.clear();
  }

  protected tooManyRequests(): FakeResponse {
    return err(429, 66, 'You have exceeded your concurrent request limit. Please wait, before trying again');
  }

  protected handle(req: FakeRequest): FakeResponse {
    if (req.method === 'POST' && req.path === '/services/oauth2/token') {
      const b = (req.body ?? {}) as Record<string, string>;
      if (b.grant_type !== 'client_credentials') return { status: 400, body: { error: 'unsupported_grant_type', error_description: 'grant type not supported' } };
      if (b.client_id !== this.clientId || b.client_secret !== this.clientSecret) return { status: 400, body: { error: 'invalid_client', error_description: 'invalid client credentials' } };
      // Salesforce token responses carry no expires_in.
      return { status: 200, body: { access_token: this.issueToken(this.ttl), instance_url: 'https://fake.my.salesforce.com', token_type: 'Bearer', issued_at: String(Date.now()), scope: 'pardot_api' } };
    }
    if (!req.path.startsWith('/api/v5/')) return err(404, 404, 'Not found');
    if (!this.tokenValid(req.headers.authorization)) return err(401, 184, 'access_token is invalid, unverified, or has expired');
    if (req.headers['pardot-business-unit-id'] !== this.businessUnitId) return err(401, 181, 'Business unit id is missing or invalid');

    const m = /^\/api\/v5\/objects\/prospects(?:\/(\d+))?$/.exec(req.path);
    if (!m) return err(404, 404, 'Not found');
    if (!m[1]) return req.method === 'GET' ? this.query(req) : err(405, 405, 'Method not allowed');
    const p = this.prospects.get(Number(m[1]));
    const gone = err(404, 3, 'Object with the given ID does not exist or is in the recycle bin', p?.deleted ? { 'pardot-warning': '201;Record In Recycle Bin' } : undefined);
    if (req.method === 'DELETE') {
      if (!p || p.deleted) return gone;
      p.deleted = true;
      return { status: 204 };
    }
    if (req.method !== 'GET') return err(405, 405, 'Method not allowed');
    const fields = this.fields(req);
    if (!Array.isArray(fields)) return fields;
    if (!p || p.deleted) return gone;
    return { status: 200, body: pick(p, fields) };
  }

  private fields(req: FakeRequest): string[] | FakeResponse {
    const f = req.query.get('fields');
    if (!f) return err(400, 14, 'Required parameter is missing: fields');
    return f.split(',').map((s) => s.trim()).filter(Boolean);
  }

  private query(req: FakeRequest): FakeResponse {
    const fields = this.fields(req);
    if (!Array.isArray(fields)) return fields;
    const token = req.query.get('nextPageToken');
    let ids: number[];
    let offset = 0;
    if (token) {
      const extra = [...req.query.keys()].filter((k) => k !== 'fields' && k !== 'nextPageToken');
      if (extra.length) return err(400, 400, 'Only fields may be sent with nextPageToken');
      const t = this.pageTokens.get(token);
      if (!t) return err(400, 400, 'Invalid nextPageToken');
      ({ ids, offset } = t);
    } else {
      const email = req.query.get('email');
      ids = [...this.prospects.values()].filter((p) => !p.deleted && (!email || p.email.toLowerCase() === email.toLowerCase())).map((p) => p.id).sort((a, b) => a - b);
    }
    const limit = Math.min(Number(req.query.get('limit') ?? this.pageSize), 1000);
    const page = ids.slice(offset, offset + limit);
    let next: string | null = null;
    if (offset + limit < ids.length) {
      next = randomBytes(9).toString('base64url');
      this.pageTokens.set(next, { ids, offset: offset + limit });
    }
    return {
      status: 200,
      body: {
        values: page.map((id) => pick(this.prospects.get(id)!, fields)),
        nextPageToken: next,
        nextPageUrl: next ? `${this.url}/api/v5/objects/prospects?nextPageToken=${next}&fields=${fields.join(',')}` : null,
      },
    };
  }
}

function pick(p: Record<string, unknown>, fields: string[]): Record<string, unknown> {
  return Object.fromEntries(fields.map((f) => [f, p[f] ?? null]));
}
