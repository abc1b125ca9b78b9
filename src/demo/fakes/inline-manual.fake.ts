// Inline Manual fake (People / profiles API). Written from vendors.md §7, §8 and §9.1.
// CONFIRMED and kept strict: per-site API tokens that can be disabled (the API then answers an
// error) and that need the "write access" flag to delete (without it only GET works → 403); a
// case-insensitive full-text search across profiles (partial matches on e-mail and names count, so a
// search for an address also finds longer addresses containing it).
// UNCONFIRMED, so every one is an option: the paths (defaults GET /people?search=…, GET and DELETE
// /people/{id}), the auth header and scheme (default `Authorization: Bearer <token>`), the bodies
// ({data: …}, errors {errors: [...]}), DELETE's status (204). Any other path → 404, or with
// `unknownPathAnswer` a non-JSON HTML page, as a wrong path on a real web host would answer.
import { type FakeRequest, type FakeResponse, FakeVendorServer, type FakeServerOptions } from './fake-server.js';

export interface InlineManualFakeProfile {
  id: string;
  email: string;
  name?: string;
  first_name?: string;
  last_name?: string;
  tags?: string[];
  created_at?: string;
  [k: string]: unknown;
}

export interface InlineManualToken {
  token: string;
  enabled: boolean;
  write: boolean;
}

export interface InlineManualFakeOptions extends FakeServerOptions {
  apiToken?: string;
  /** A second token without write access (GET only). */
  readOnlyToken?: string;
  /** Search path (default '/people') and its query parameter (default 'search'). */
  searchPath?: string;
  searchParam?: string;
  /** Profile path with `{id}` (default '/people/{id}'). */
  profilePath?: string;
  /** Header carrying the token (default 'authorization') and its scheme ('' = the token alone). */
  authHeader?: string;
  authScheme?: string;
  /** What an unknown path answers: JSON 404 (default), or an HTML page with 404 or 200. */
  unknownPathAnswer?: 'json404' | 'html404' | 'html200';
  deleteStatus?: 200 | 204;
}

const errors = (status: number, message: string): FakeResponse => ({ status, body: { errors: [message] } });
const HTML = '<!DOCTYPE html>\n<html><head><title>Inline Manual</title></head><body><h1>Page not found</h1></body></html>';

export class InlineManualFake extends FakeVendorServer {
  readonly name = 'inline-manual';
  readonly apiToken: string;
  readonly readOnlyToken: string;
  readonly profiles = new Map<string, InlineManualFakeProfile>();
  readonly apiTokens = new Map<string, InlineManualToken>();
  readonly searchPath: string;
  readonly searchParam: string;
  readonly profilePath: string;
  readonly authHeader: string;
  readonly authScheme: string;
  unknownPathAnswer: 'json404' | 'html404' | 'html200';
  deleteStatus: 200 | 204;
  private seq = 0;

  constructor(opts: InlineManualFakeOptions = {}) {
    super(opts);
    this.apiToken = opts.apiToken ?? 'fake-inline-manual-token';
    this.readOnlyToken = opts.readOnlyToken ?? 'fake-inline-manual-readonly';
    this.searchPath = opts.searchPath ?? '/people';
    this.searchParam = opts.searchParam ?? 'search';
    this.profilePath = opts.profilePath ?? '/people/{id}';
    this.authHeader = (opts.authHeader ?? 'authorization').toLowerCase();
    this.authScheme = opts.authScheme ?? 'Bearer';
    this.unknownPathAnswer = opts.unknownPathAnswer ?? 'json404';
    this.deleteStatus = opts.deleteStatus ?? 204;
    this.defaultTokens();
  }

  private defaultTokens(): void {
    this.apiTokens.set(this.apiToken, { token: this.apiToken, enabled: true, write: true });
    this.apiTokens.set(this.readOnlyToken, { token: this.readOnlyToken, enabled: true, write: false });
  }

  // ---- seeding and inspection ----

  addProfile(p: Partial<InlineManualFakeProfile> & { email: string }): InlineManualFakeProfile {
    const profile: InlineManualFakeProfile = { created_at: new Date().toISOString(), tags: [], ...p, id: p.id ?? `p${++this.seq}` };
    this.profiles.set(profile.id, profile);
    return profile;
  }

  /** Another site token (Site Settings → API Access). */
  addToken(token: string, opts: { write?: boolean; enabled?: boolean } = {}): InlineManualToken {
    const t = { token, enabled: opts.enabled ?? true, write: opts.write ?? false };
    this.apiTokens.set(token, t);
    return t;
  }

  /** Switches a token's Enabled flag off: the API then answers an error. */
  disableToken(token: string): void {
    const t = this.apiTokens.get(token);
    if (t) t.enabled = false;
  }

  protected clearStore(): void {
    this.profiles.clear();
    this.apiTokens.clear();
    this.defaultTokens();
  }

  protected tooManyRequests(resetAt: number): FakeResponse {
    return { status: 429, headers: { 'retry-after': String(Math.max(1, resetAt - Math.floor(Date.now() / 1000))) }, body: { errors: ['Too many requests'] } };
  }

  // ---- HTTP ----

  protected handle(req: FakeRequest): FakeResponse {
    const idPattern = new RegExp(`^${escape(this.profilePath).replace('\\{id\\}', '([^/]+)')}$`);
    const one = idPattern.exec(req.path);
    const search = req.path === this.searchPath;
    if (!search && !one) return this.unknownPath();

    const header = req.headers[this.authHeader];
    const value = typeof header === 'string' ? header : '';
    const prefix = this.authScheme ? `${this.authScheme} ` : '';
    const token = value.startsWith(prefix) ? this.apiTokens.get(value.slice(prefix.length)) : undefined;
    if (!token) return errors(401, 'Invalid API token');
    if (!token.enabled) return errors(401, 'This API token is disabled');

    if (search) {
      if (req.method !== 'GET') return errors(405, 'Method not allowed');
      // Case-insensitive full-text search: a partial match on e-mail or a name counts. Without a
      // search term the call lists every profile (listing with filters is a documented use case).
      const q = (req.query.get(this.searchParam) ?? '').toLowerCase();
      const data = [...this.profiles.values()].filter((p) => !q || [p.email, p.name, p.first_name, p.last_name].some((f) => typeof f === 'string' && f.toLowerCase().includes(q)));
      return { status: 200, body: { data } };
    }
    if (req.method !== 'GET' && req.method !== 'DELETE') return errors(405, 'Method not allowed');
    if (req.method === 'DELETE' && !token.write) return errors(403, 'This API token has no write access');
    const p = this.profiles.get(decodeURIComponent(one![1]!));
    if (!p) return errors(404, 'Profile not found');
    if (req.method === 'GET') return { status: 200, body: { data: p } };
    this.profiles.delete(p.id);
    return this.deleteStatus === 204 ? { status: 204 } : { status: 200, body: { data: p } };
  }

  private unknownPath(): FakeResponse {
    if (this.unknownPathAnswer === 'json404') return errors(404, 'Not found');
    return { status: this.unknownPathAnswer === 'html200' ? 200 : 404, headers: { 'content-type': 'text/html; charset=utf-8' }, body: HTML };
  }
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
