// Auth0 fake: POST /oauth/token (client credentials, JSON or form) and the Management API v2 user
// calls. Traps kept: users-by-email answers [] (not 404) and is case-sensitive; DELETE answers 204
// even for unknown ids; logs page with per_page ≤ 100.
import { epochSeconds, type FakeRequest, type FakeResponse, FakeVendorServer, type FakeServerOptions, rateLimitHeaders } from './fake-server.js';

export interface Auth0FakeUser {
  user_id: string;
  email: string;
  name?: string;
  given_name?: string;
  family_name?: string;
  phone_number?: string;
  created_at?: string;
  last_ip?: string;
  identities?: unknown[];
  [k: string]: unknown;
}

export interface Auth0FakeLog {
  date: string;
  type: string;
  description?: string;
  ip?: string;
  user_agent?: string;
  [k: string]: unknown;
}

export interface Auth0FakeOptions extends FakeServerOptions {
  domain?: string;
  clientId?: string;
  clientSecret?: string;
  tokenTtlSec?: number;
}

const unauthorized = (message: string): FakeResponse => ({
  status: 401,
  body: { statusCode: 401, error: 'Unauthorized', message, attributes: { error: message } },
});

export class Auth0Fake extends FakeVendorServer {
  readonly name = 'auth0';
  readonly domain: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly users = new Map<string, Auth0FakeUser>();
  readonly logs = new Map<string, Auth0FakeLog[]>();
  private readonly ttl: number;

  constructor(opts: Auth0FakeOptions = {}) {
    super(opts);
    this.domain = opts.domain ?? 'dsar-fake.eu.auth0.com';
    this.clientId = opts.clientId ?? 'fake-auth0-client';
    this.clientSecret = opts.clientSecret ?? 'fake-auth0-secret';
    this.ttl = opts.tokenTtlSec ?? 86400;
  }

  addUser(user: Auth0FakeUser, logs: Auth0FakeLog[] = []): Auth0FakeUser {
    const u = { created_at: new Date().toISOString(), identities: [], ...user };
    this.users.set(u.user_id, u);
    this.logs.set(u.user_id, logs);
    return u;
  }

  protected clearStore(): void {
    this.users.clear();
    this.logs.clear();
  }

  protected tooManyRequests(resetAt: number): FakeResponse {
    return {
      status: 429,
      headers: rateLimitHeaders(2, 0, resetAt),
      body: { statusCode: 429, error: 'Too Many Requests', message: 'Too many requests. Check the X-RateLimit-Limit, X-RateLimit-Remaining and X-RateLimit-Reset headers.', errorCode: 'too_many_requests' },
    };
  }

  protected handle(req: FakeRequest): FakeResponse {
    if (req.method === 'POST' && req.path === '/oauth/token') return this.token(req);
    if (!req.path.startsWith('/api/v2/')) return { status: 404, body: { statusCode: 404, error: 'Not Found', message: 'Not Found' } };
    if (!req.headers.authorization) return unauthorized('Missing authentication');
    if (!this.tokenValid(req.headers.authorization)) return unauthorized(/Bearer/.test(req.headers.authorization) ? 'Expired token received for JSON Web Token validation' : 'Bad HTTP authentication header format');
    const rl = rateLimitHeaders(50, 49, epochSeconds() + 1);

    if (req.method === 'GET' && req.path === '/api/v2/users-by-email') {
      const email = req.query.get('email');
      if (!email) return { status: 400, body: { statusCode: 400, error: 'Bad Request', message: 'Query validation error: \'Missing required property: email\'', errorCode: 'invalid_query_string' } };
      // Case-sensitive, as documented.
      return { status: 200, headers: rl, body: [...this.users.values()].filter((u) => u.email === email) };
    }
    const m = /^\/api\/v2\/users\/([^/]+)(\/logs)?$/.exec(req.path);
    if (!m) return { status: 404, body: { statusCode: 404, error: 'Not Found', message: 'Not Found' } };
    const id = decodeURIComponent(m[1]!);
    const user = this.users.get(id);
    if (req.method === 'DELETE' && !m[2]) {
      this.users.delete(id);
      this.logs.delete(id);
      return { status: 204, headers: rl }; // 204 even when the user does not exist
    }
    if (req.method !== 'GET') return { status: 404, body: { statusCode: 404, error: 'Not Found', message: 'Not Found' } };
    if (!m[2]) {
      if (!user) return { status: 404, headers: rl, body: { statusCode: 404, error: 'Not Found', message: 'The user does not exist.', errorCode: 'inexistent_user' } };
      return { status: 200, headers: rl, body: user };
    }
    const perPage = Number(req.query.get('per_page') ?? 50);
    const page = Number(req.query.get('page') ?? 0);
    if (!(perPage >= 1 && perPage <= 100)) return { status: 400, body: { statusCode: 400, error: 'Bad Request', message: 'Query validation error: per_page', errorCode: 'invalid_query_string' } };
    const all = [...(this.logs.get(id) ?? [])].sort((a, b) => b.date.localeCompare(a.date));
    const slice = all.slice(page * perPage, page * perPage + perPage);
    const body = req.query.get('include_totals') === 'true' ? { start: page * perPage, limit: perPage, length: slice.length, total: all.length, logs: slice } : slice;
    return { status: 200, headers: rl, body };
  }

  private token(req: FakeRequest): FakeResponse {
    const b = (req.body ?? {}) as Record<string, string>;
    if (b.grant_type !== 'client_credentials') return { status: 400, body: { error: 'unsupported_grant_type', error_description: 'Unsupported grant type' } };
    if (b.client_id !== this.clientId || b.client_secret !== this.clientSecret) return { status: 401, body: { error: 'access_denied', error_description: 'Unauthorized' } };
    if (b.audience !== `https://${this.domain}/api/v2/`) return { status: 403, body: { error: 'access_denied', error_description: `Service not found: ${b.audience}` } };
    return { status: 200, body: { access_token: this.issueToken(this.ttl), expires_in: this.ttl, scope: 'read:users delete:users read:logs read:logs_users', token_type: 'Bearer' } };
  }
}
