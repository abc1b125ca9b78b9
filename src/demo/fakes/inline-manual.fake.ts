// Inline Manual fake. UNCONFIRMED contract: the People API paths, auth header and bodies are not
// public, so this mirrors the adapter's configurable defaults (GET /people?search=, GET and
// DELETE /people/{id}, `Authorization: Bearer <site API token>`). What is documented: per-site
// tokens that can be disabled, and deletes need a token with write access (else 403).
import { type FakeRequest, type FakeResponse, FakeVendorServer, type FakeServerOptions } from './fake-server.js';

export interface InlineManualFakeProfile {
  id: string;
  email: string;
  name?: string;
  first_name?: string;
  tags?: string[];
  created_at?: string;
  [k: string]: unknown;
}

export interface InlineManualFakeOptions extends FakeServerOptions {
  apiToken?: string;
  /** A second token without write access (GET only). */
  readOnlyToken?: string;
}

const errors = (status: number, message: string): FakeResponse => ({ status, body: { errors: [message] } });

export class InlineManualFake extends FakeVendorServer {
  readonly name = 'inline-manual';
  readonly apiToken: string;
  readonly readOnlyToken: string;
  readonly profiles = new Map<string, InlineManualFakeProfile>();
  private seq = 0;

  constructor(opts: InlineManualFakeOptions = {}) {
    super(opts);
    this.apiToken = opts.apiToken ?? 'fake-inline-manual-token';
    this.readOnlyToken = opts.readOnlyToken ?? 'fake-inline-manual-readonly';
  }

  addProfile(p: Partial<InlineManualFakeProfile> & { email: string }): InlineManualFakeProfile {
    const profile: InlineManualFakeProfile = { created_at: new Date().toISOString(), tags: [], ...p, id: p.id ?? `p${++this.seq}` };
    this.profiles.set(profile.id, profile);
    return profile;
  }

  protected clearStore(): void {
    this.profiles.clear();
  }

  protected tooManyRequests(resetAt: number): FakeResponse {
    return { status: 429, headers: { 'retry-after': String(Math.max(1, resetAt - Math.floor(Date.now() / 1000))) }, body: { errors: ['Too many requests'] } };
  }

  protected handle(req: FakeRequest): FakeResponse {
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (token !== this.apiToken && token !== this.readOnlyToken) return errors(401, 'Invalid or disabled API token');
    if (req.method === 'GET' && req.path === '/people') {
      // Case-insensitive full-text search: a partial match on e-mail or name counts.
      const q = (req.query.get('search') ?? '').toLowerCase();
      const data = [...this.profiles.values()].filter((p) => q && (p.email.toLowerCase().includes(q) || (p.name ?? '').toLowerCase().includes(q)));
      return { status: 200, body: { data } };
    }
    const m = /^\/people\/([^/]+)$/.exec(req.path);
    if (!m) return errors(404, 'Not found');
    const p = this.profiles.get(decodeURIComponent(m[1]!));
    if (req.method === 'DELETE' && token !== this.apiToken) return errors(403, 'This API token has no write access');
    if (!p) return errors(404, 'Profile not found');
    if (req.method === 'GET') return { status: 200, body: { data: p } };
    if (req.method === 'DELETE') {
      this.profiles.delete(p.id);
      return { status: 204 };
    }
    return errors(405, 'Method not allowed');
  }
}
