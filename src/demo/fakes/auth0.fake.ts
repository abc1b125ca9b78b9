// Auth0 fake: the Authentication API token call and the Management API v2 user calls, written from
// test/vendor-openapi/auth0-authentication.json, auth0-management.json and vendors.md §1, §8, §10.
// Traps it reproduces:
// - POST /oauth/token: client credentials only, JSON or form body; the audience must be exactly
//   https://{domain}/api/v2/; the token carries the client's granted scopes (§1 Auth).
// - Every Management call needs a token for that audience and one of the scopes its operation lists
//   ("expected any of"), else 403 with the operation's documented message (A0-OAS security).
// - users-by-email is an exact, case-sensitive match answering [] for no match (§1, §10). Only the
//   database connection (auth0|…) stores e-mails lower-cased; social and enterprise identities keep
//   the provider's capitalisation (§10), so addUser keeps their case.
// - GET /api/v2/users?q=email:"…"&search_engine=v3 matches e-mails case-insensitively (§10); page /
//   per_page ≤ 100 / include_totals; only the first 1,000 results can be paged through.
// - DELETE /users/{id} answers 204 for unknown ids too (§1 Delete); tenant logs stay after the user
//   is deleted (§1, §10: log retention), see `logsFor`.
// - X-RateLimit-Limit/Remaining/Reset (epoch seconds) on Management answers; 429 with the documented
//   message (§1 Rate limits).
// UNCONFIRMED choices: the 401/403/404/429 bodies ({statusCode, error, message, errorCode}; the
// OpenAPI documents give no error bodies), the 1,000-result condition ((page+1)·per_page > 1000 →
// 400), logs without per_page (newest 100), logs of a deleted user still readable by user id.
import { type FakeRequest, type FakeResponse, FakeVendorServer, type FakeServerOptions, rateLimitHeaders, type RequestLine } from './fake-server.js';

export interface Auth0FakeIdentity {
  connection?: string;
  user_id?: string;
  provider?: string;
  isSocial?: boolean;
  [k: string]: unknown;
}

export interface Auth0FakeUser {
  user_id: string;
  email: string;
  name?: string;
  given_name?: string;
  family_name?: string;
  phone_number?: string;
  created_at?: string;
  updated_at?: string;
  last_ip?: string;
  last_login?: string;
  logins_count?: number;
  identities?: Auth0FakeIdentity[];
  [k: string]: unknown;
}

export interface Auth0FakeLog {
  date: string;
  type: string;
  description?: string;
  ip?: string;
  user_agent?: string;
  user_id?: string;
  log_id?: string;
  [k: string]: unknown;
}

export interface Auth0FakeClient {
  clientId: string;
  clientSecret: string;
  /** Scopes granted to the client on the Management API; [] = no client grant for it. */
  scopes: string[];
}

export interface Auth0FakeOptions extends FakeServerOptions {
  domain?: string;
  clientId?: string;
  clientSecret?: string;
  /** Scopes granted to the default client (default: read:users delete:users read:logs read:logs_users). */
  scopes?: string[];
  /** More machine-to-machine applications, each with its own grant. */
  clients?: Auth0FakeClient[];
  tokenTtlSec?: number;
}

export const AUTH0_DEFAULT_SCOPES = ['read:users', 'delete:users', 'read:logs', 'read:logs_users'];

// The scopes each operation accepts and the 403 text, as in auth0-management.json.
const SCOPES = {
  usersByEmail: { any: ['read:users'], message: 'Insufficient scope; expected any of: read:users.' },
  getUser: { any: ['read:users', 'read:current_user', 'read:user_idp_tokens'], message: 'Insufficient scope; expected any of: read:users, read:user_idp_tokens, read:current_user.' },
  deleteUser: { any: ['delete:users', 'delete:current_user'], message: 'Insufficient scope; expected any of: delete:users,delete:current_user.' },
  userLogs: { any: ['read:logs', 'read:logs_users'], message: 'Insufficient scope; expected any of: read:logs, read:logs_users.' },
  // GET /api/v2/users is not in the trimmed document; Auth0 lists read:users for it.
  searchUsers: { any: ['read:users'], message: 'Insufficient scope; expected any of: read:users.' },
};

const SEARCH_CEILING = 1000;
const CEILING_MESSAGE = 'You can only page through the first 1000 records. See https://auth0.com/docs/users/search/v3/view-search-results-by-page#limitation';

// Connection of an identity, from the provider part of the user id (auth0|… is the database).
const CONNECTIONS: Record<string, string> = {
  auth0: 'Username-Password-Authentication', 'google-oauth2': 'google-oauth2', github: 'github', apple: 'apple',
  linkedin: 'linkedin', windowslive: 'windowslive', facebook: 'facebook', samlp: 'enterprise-saml', waad: 'azure-ad', oidc: 'enterprise-oidc',
};
const SOCIAL = new Set(['google-oauth2', 'github', 'apple', 'linkedin', 'windowslive', 'facebook', 'twitter']);

const mgmtError = (status: number, error: string, message: string, errorCode?: string, headers?: Record<string, string>): FakeResponse => ({
  status,
  headers,
  body: { statusCode: status, error, message, ...(errorCode ? { errorCode } : {}) },
});
const badQuery = (message: string, rl?: Record<string, string>) => mgmtError(400, 'Bad Request', message, 'invalid_query_string', rl);
const oauthError = (status: number, error: string, description: string): FakeResponse => ({ status, body: { error, error_description: description } });

export class Auth0Fake extends FakeVendorServer {
  readonly name = 'auth0';
  readonly domain: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly clients = new Map<string, Auth0FakeClient>();
  /** The tenant's users by user_id. */
  readonly users = new Map<string, Auth0FakeUser>();
  /** The tenant's log events (kept after a user is deleted, for the tenant's log retention). */
  readonly tenantLogs: Auth0FakeLog[] = [];
  private readonly ttl: number;
  private logSeq = 0;

  constructor(opts: Auth0FakeOptions = {}) {
    super(opts);
    this.domain = opts.domain ?? 'dsar-fake.eu.auth0.com';
    this.clientId = opts.clientId ?? 'fake-auth0-client';
    this.clientSecret = opts.clientSecret ?? 'fake-auth0-secret';
    this.ttl = opts.tokenTtlSec ?? 86400;
    this.clients.set(this.clientId, { clientId: this.clientId, clientSecret: this.clientSecret, scopes: opts.scopes ?? AUTH0_DEFAULT_SCOPES });
    for (const c of opts.clients ?? []) this.clients.set(c.clientId, c);
  }

  /** The Management API audience a token must be issued for. */
  get audience(): string {
    return `https://${this.domain}/api/v2/`;
  }

  /**
   * Seeds a user and its log events. Database users (auth0|…) get their e-mail lower-cased as
   * Auth0 stores it; social and enterprise identities keep the capitalisation given.
   */
  addUser(user: Auth0FakeUser, logs: Auth0FakeLog[] = []): Auth0FakeUser {
    const [provider, ...rest] = user.user_id.split('|');
    const isDatabase = provider === 'auth0';
    const now = new Date().toISOString();
    const u: Auth0FakeUser = {
      created_at: now,
      updated_at: now,
      email_verified: !isDatabase,
      identities: [{ connection: CONNECTIONS[provider!] ?? provider!, user_id: rest.join('|') || user.user_id, provider: provider!, isSocial: SOCIAL.has(provider!) }],
      ...user,
      email: isDatabase ? user.email.toLowerCase() : user.email,
    };
    this.users.set(u.user_id, u);
    for (const l of logs) this.addLog({ ...l, user_id: u.user_id });
    return u;
  }

  addLog(log: Auth0FakeLog): Auth0FakeLog {
    const entry = { log_id: `9002024${String(++this.logSeq).padStart(12, '0')}`, ...log };
    this.tenantLogs.push(entry);
    return entry;
  }

  /** Every log event the tenant holds for a user id, whether or not the user still exists. */
  logsFor(userId: string): Auth0FakeLog[] {
    return this.tenantLogs.filter((l) => l.user_id === userId);
  }

  protected clearStore(): void {
    this.users.clear();
    this.tenantLogs.length = 0;
  }

  // The Authentication API (token) and the Management API are limited separately.
  override limitGroup(_method: string, path: string): string {
    return path === '/oauth/token' ? 'authentication' : 'default';
  }

  protected tooManyRequests(resetAt: number, at: RequestLine): FakeResponse {
    if (at.path === '/oauth/token') return { status: 429, headers: rateLimitHeaders(2, 0, resetAt), body: { error: 'too_many_requests', error_description: 'Too many requests' } };
    return mgmtError(429, 'Too Many Requests', 'Too many requests. Check the X-RateLimit-Limit, X-RateLimit-Remaining and X-RateLimit-Reset headers.', 'too_many_requests', rateLimitHeaders(this.rateLimitWindow('default')?.limit ?? 2, 0, resetAt));
  }

  private rl(): Record<string, string> {
    const w = this.rateLimitWindow('default');
    // Nominal Free-plan figures (2 per second) when no limit is enforced.
    return w ? rateLimitHeaders(w.limit, w.remaining, w.resetAt) : rateLimitHeaders(2, 1, Math.ceil(Date.now() / 1000) + 1);
  }

  protected handle(req: FakeRequest): FakeResponse {
    if (req.path === '/oauth/token') return req.method === 'POST' ? this.token(req) : mgmtError(404, 'Not Found', 'Not Found');
    if (!req.path.startsWith('/api/v2/')) return mgmtError(404, 'Not Found', 'Not Found');
    const auth = req.headers.authorization;
    if (!auth) return mgmtError(401, 'Unauthorized', 'Missing authentication');
    if (!/^Bearer \S+$/i.test(auth)) return mgmtError(401, 'Unauthorized', 'Bad HTTP authentication header format');
    const grant = this.tokens.check(auth);
    if (!grant || grant.audience !== this.audience) return mgmtError(401, 'Unauthorized', 'Invalid token');
    const rl = this.rl();
    const need = (s: { any: string[]; message: string }) =>
      s.any.some((x) => grant.scopes.includes(x)) ? undefined : mgmtError(403, 'Forbidden', s.message, 'insufficient_scope', rl);

    if (req.path === '/api/v2/users-by-email' && req.method === 'GET') return need(SCOPES.usersByEmail) ?? this.usersByEmail(req, rl);
    if (req.path === '/api/v2/users' && req.method === 'GET') return need(SCOPES.searchUsers) ?? this.searchUsers(req, rl);
    const m = /^\/api\/v2\/users\/([^/]+)(\/logs)?$/.exec(req.path);
    if (!m) return mgmtError(404, 'Not Found', 'Not Found', undefined, rl);
    let id: string;
    try {
      id = decodeURIComponent(m[1]!);
    } catch {
      return mgmtError(400, 'Bad Request', 'Invalid request URI', 'invalid_uri', rl);
    }
    if (m[2]) return req.method === 'GET' ? (need(SCOPES.userLogs) ?? this.userLogs(id, req, rl)) : mgmtError(404, 'Not Found', 'Not Found', undefined, rl);
    if (req.method === 'DELETE') {
      const refused = need(SCOPES.deleteUser);
      if (refused) return refused;
      this.users.delete(id); // logs stay: they are the tenant's
      return { status: 204, headers: rl }; // 204 also when the user never existed
    }
    if (req.method !== 'GET') return mgmtError(404, 'Not Found', 'Not Found', undefined, rl);
    const refused = need(SCOPES.getUser);
    if (refused) return refused;
    const fields = fieldSelector(req.query);
    if (typeof fields === 'string') return badQuery(fields, rl);
    const user = this.users.get(id);
    if (!user) return mgmtError(404, 'Not Found', 'The user does not exist.', 'inexistent_user', rl);
    return { status: 200, headers: rl, body: fields(user) };
  }

  private usersByEmail(req: FakeRequest, rl: Record<string, string>): FakeResponse {
    const emails = req.query.getAll('email');
    if (emails.length === 0) return badQuery("Query validation error: 'Missing required property: email'", rl);
    if (emails.length > 1) return badQuery("Query validation error: 'Expected type string but found type array' on property email", rl);
    const fields = fieldSelector(req.query);
    if (typeof fields === 'string') return badQuery(fields, rl);
    // Exact and case-sensitive, as documented.
    return { status: 200, headers: rl, body: [...this.users.values()].filter((u) => u.email === emails[0]).map(fields) };
  }

  private searchUsers(req: FakeRequest, rl: Record<string, string>): FakeResponse {
    const q = req.query;
    const engine = q.get('search_engine') ?? 'v3';
    if (engine !== 'v3') return badQuery(`Query validation error: search_engine ${engine} is not available; use v3`, rl);
    const paging = pageParams(q, 50);
    if (typeof paging === 'string') return badQuery(paging, rl);
    const fields = fieldSelector(q);
    if (typeof fields === 'string') return badQuery(fields, rl);
    let match: (u: Auth0FakeUser) => boolean = () => true;
    const text = q.get('q');
    if (text !== null) {
      const parsed = parseUserQuery(text);
      if (!parsed) return badQuery(`Invalid query: ${text.length > 40 ? 'the query' : text} is not supported`, rl);
      match = parsed;
    }
    if ((paging.page + 1) * paging.perPage > SEARCH_CEILING) return badQuery(CEILING_MESSAGE, rl);
    const all = [...this.users.values()].filter(match).sort((a, b) => String(a.created_at).localeCompare(String(b.created_at)));
    const start = paging.page * paging.perPage;
    const slice = all.slice(start, start + paging.perPage).map(fields);
    const body = paging.includeTotals ? { start, limit: paging.perPage, length: slice.length, total: all.length, users: slice } : slice;
    return { status: 200, headers: rl, body };
  }

  private userLogs(id: string, req: FakeRequest, rl: Record<string, string>): FakeResponse {
    const q = req.query;
    const paged = q.has('per_page');
    const paging = pageParams(q, 100);
    if (typeof paging === 'string') return badQuery(paging, rl);
    const sort = q.get('sort') ?? 'date:-1';
    const s = /^([a-z_]+):(1|-1)$/.exec(sort);
    if (!s) return badQuery(`Query validation error: 'String does not match pattern' on property sort`, rl);
    if (paged && (paging.page + 1) * paging.perPage > SEARCH_CEILING) return badQuery(CEILING_MESSAGE, rl);
    const dir = s[2] === '1' ? 1 : -1;
    const key = s[1]!;
    const all = this.logsFor(id).sort((a, b) => dir * String(a[key] ?? '').localeCompare(String(b[key] ?? '')));
    // Without per_page paging is off: the newest events, up to the 100-per-request limit.
    const start = paged ? paging.page * paging.perPage : 0;
    const slice = all.slice(start, start + paging.perPage);
    const body = paging.includeTotals ? { start, limit: paging.perPage, length: slice.length, total: all.length, logs: slice } : slice;
    return { status: 200, headers: rl, body };
  }

  private token(req: FakeRequest): FakeResponse {
    const type = String(req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/json' && type !== 'application/x-www-form-urlencoded') {
      return oauthError(400, 'invalid_request', 'Content-Type must be application/json or application/x-www-form-urlencoded');
    }
    const b = req.body;
    if (!b || typeof b !== 'object' || Array.isArray(b)) return oauthError(400, 'invalid_request', 'Missing required parameter: grant_type');
    const body = b as Record<string, unknown>;
    if (typeof body.grant_type !== 'string' || !body.grant_type) return oauthError(400, 'invalid_request', 'Missing required parameter: grant_type');
    if (!['client_credentials', 'authorization_code', 'refresh_token', 'password', 'urn:ietf:params:oauth:grant-type:device_code'].includes(body.grant_type)) {
      return oauthError(400, 'unsupported_grant_type', `Unsupported grant type: ${body.grant_type}`);
    }
    const client = typeof body.client_id === 'string' ? this.clients.get(body.client_id) : undefined;
    if (!client || body.client_secret !== client.clientSecret) return oauthError(401, 'access_denied', 'Unauthorized');
    if (body.grant_type !== 'client_credentials') return oauthError(403, 'unauthorized_client', `Grant type '${body.grant_type}' not allowed for the client.`);
    if (body.audience === undefined) return oauthError(403, 'access_denied', 'No audience parameter was provided, and no default audience has been configured');
    if (body.audience !== this.audience) return oauthError(403, 'access_denied', `Service not found: ${String(body.audience)}`);
    if (client.scopes.length === 0) {
      return oauthError(403, 'access_denied', `Client is not authorized to access "${this.audience}". You need to create a "client-grant" associated to this API.`);
    }
    // A requested scope narrows the grant; it never widens it.
    const requested = typeof body.scope === 'string' ? body.scope.split(' ').filter(Boolean) : undefined;
    const scopes = requested ? client.scopes.filter((s) => requested.includes(s)) : client.scopes;
    const token = this.issueToken(this.ttl, { scopes, audience: this.audience, clientId: client.clientId });
    return { status: 200, body: { access_token: token, expires_in: this.ttl, scope: scopes.join(' '), token_type: 'Bearer' } };
  }
}

// `fields` / `include_fields` projection; a string is the 400 message.
function fieldSelector(q: URLSearchParams): ((u: Auth0FakeUser) => Record<string, unknown>) | string {
  const inc = q.get('include_fields');
  if (inc !== null && inc !== 'true' && inc !== 'false') return "Query validation error: 'Expected type boolean but found type string' on property include_fields";
  const fields = q.get('fields');
  if (!fields) return (u) => ({ ...u });
  const names = new Set(fields.split(',').map((f) => f.trim()).filter(Boolean));
  const include = inc !== 'false';
  return (u) => Object.fromEntries(Object.entries(u).filter(([k]) => names.has(k) === include));
}

function pageParams(q: URLSearchParams, defaultPerPage: number): { page: number; perPage: number; includeTotals: boolean } | string {
  const int = (name: string, min: number, max: number, dflt: number): number | string => {
    const v = q.get(name);
    if (v === null) return dflt;
    if (!/^\d+$/.test(v)) return `Query validation error: 'Expected type integer but found type string' on property ${name}`;
    const n = Number(v);
    return n < min || n > max ? `Query validation error: 'Value ${n} is out of range (${min}..${max})' on property ${name}` : n;
  };
  const page = int('page', 0, Number.MAX_SAFE_INTEGER, 0);
  if (typeof page === 'string') return page;
  const perPage = int('per_page', 1, 100, defaultPerPage);
  if (typeof perPage === 'string') return perPage;
  const totals = q.get('include_totals');
  if (totals !== null && totals !== 'true' && totals !== 'false') return "Query validation error: 'Expected type boolean but found type string' on property include_totals";
  return { page, perPage, includeTotals: totals === 'true' };
}

// The part of the v3 query syntax this fake understands: field:"value" or field:value terms on
// email / user_id / name joined by OR. E-mail matches ignore case (Auth0 "User search query syntax").
function parseUserQuery(text: string): ((u: Auth0FakeUser) => boolean) | undefined {
  const terms = text.split(/\s+OR\s+/);
  const tests: ((u: Auth0FakeUser) => boolean)[] = [];
  for (const term of terms) {
    const m = /^\s*(email|user_id|name)\s*:\s*(?:"((?:[^"\\]|\\.)*)"|([^\s"*]+))\s*$/.exec(term);
    if (!m) return undefined;
    const field = m[1]!;
    const value = (m[2] ?? m[3]!).replace(/\\(.)/g, '$1');
    tests.push(field === 'email' ? (u) => u.email.toLowerCase() === value.toLowerCase() : (u) => String(u[field] ?? '') === value);
  }
  return (u) => tests.some((t) => t(u));
}
