// Auth0 Management API v2: users found by e-mail (several identities possible), read with their
// logs, deleted by id. DELETE answers 204 even for unknown ids, so a repeat is harmless.
import type { AccessResult, DataSystem, ErasureResult, TaskContext } from '../../systems/data-system.js';
import { Items, mergeIds, notFound, stripSecrets } from '../common.js';
import { TokenCache } from '../http/token-cache.js';
import { VendorHttpClient } from '../http/vendor-http.js';
import type { VendorGate } from '../http/vendor-limiter.js';
import type { VendorConfig } from '../vendor-config.js';
import { type Auth0Log, type Auth0User, mapAuth0User } from './auth0.mapping.js';

const LOG_PAGE = 100; // per_page maximum
const LOG_LIMIT = 1000; // Auth0 pages through at most 1,000 log entries

export class Auth0Adapter implements DataSystem {
  readonly key = 'auth0';
  readonly recipient = 'auth0';
  readonly label = 'Auth0';
  private readonly http: VendorHttpClient;
  private readonly tokens: TokenCache;

  constructor(private readonly cfg: VendorConfig['auth0'], timeoutMs: number, gate?: VendorGate) {
    this.http = new VendorHttpClient({ vendor: 'Auth0', baseUrl: cfg.baseUrl, timeoutMs, gate });
    this.tokens = new TokenCache(async (signal) => {
      const res = await this.http.request<{ access_token: string; expires_in?: number }>({
        method: 'POST',
        path: '/oauth/token',
        json: {
          grant_type: 'client_credentials',
          client_id: cfg.clientId,
          client_secret: cfg.clientSecret,
          audience: `https://${cfg.domain}/api/v2/`,
        },
        signal,
      });
      return { accessToken: res.body.access_token, expiresIn: res.body.expires_in };
    }, 86400);
  }

  isConfigured(): boolean {
    return Boolean(this.cfg.baseUrl && this.cfg.domain && this.cfg.clientId && this.cfg.clientSecret);
  }

  async access(ctx: TaskContext): Promise<AccessResult> {
    const found = await this.findUsers(ctx);
    const items = new Items();
    const records: unknown[] = [];
    for (const u of found) {
      const user = await this.api<Auth0User>(ctx, 'GET', `/api/v2/users/${encodeURIComponent(u.user_id)}`, {}, [404]);
      if (!user) continue; // deleted between the search and the read
      const logs = await this.readLogs(ctx, u.user_id);
      mapAuth0User(items, user, logs);
      records.push(stripSecrets({ user, logs }));
    }
    if (records.length === 0) return notFound();
    return { outcome: 'found', items: items.list, records };
  }

  async erase(ctx: TaskContext): Promise<ErasureResult> {
    const ids = mergeIds(ctx.refs, 'auth0UserIds', (await this.findUsers(ctx)).map((u) => u.user_id));
    if (ids.length === 0) return { outcome: 'not_found', actions: [], retained: [] };
    await ctx.saveRefs({ auth0UserIds: ids });
    for (const id of ids) await this.api(ctx, 'DELETE', `/api/v2/users/${encodeURIComponent(id)}`);
    return {
      outcome: 'erased',
      actions: [{ what: 'Auth0 user account', count: ids.length, how: 'deleted' }],
      retained: [],
      note: 'Auth0 tenant logs are not removed by user deletion; they expire with the tenant log retention period.',
    };
  }

  private async findUsers(ctx: TaskContext): Promise<Auth0User[]> {
    // The e-mail match is case-sensitive and database connections store it lower-cased.
    const users = await this.api<Auth0User[]>(ctx, 'GET', '/api/v2/users-by-email', { email: ctx.subject.email.toLowerCase() });
    return Array.isArray(users) ? users : [];
  }

  private async readLogs(ctx: TaskContext, id: string): Promise<Auth0Log[]> {
    const logs: Auth0Log[] = [];
    for (let page = 0; page * LOG_PAGE < LOG_LIMIT; page++) {
      const body = await this.api<{ logs?: Auth0Log[]; total?: number } | Auth0Log[]>(
        ctx,
        'GET',
        `/api/v2/users/${encodeURIComponent(id)}/logs`,
        { page, per_page: LOG_PAGE, sort: 'date:-1', include_totals: true },
        [404],
      );
      const batch = Array.isArray(body) ? body : (body?.logs ?? []);
      logs.push(...batch);
      const total = Array.isArray(body) ? undefined : body?.total;
      if (batch.length < LOG_PAGE || (total !== undefined && logs.length >= total)) break;
    }
    return logs;
  }

  private async api<T>(
    ctx: TaskContext,
    method: 'GET' | 'DELETE',
    path: string,
    query: Record<string, string | number | boolean> = {},
    okStatuses: number[] = [],
  ): Promise<T | undefined> {
    return this.tokens.withToken(async (token) => {
      const res = await this.http.request<T>({
        method,
        path,
        query,
        okStatuses,
        headers: { authorization: `Bearer ${token}` },
        signal: ctx.signal,
      });
      return okStatuses.includes(res.status) ? undefined : res.body;
    }, ctx.signal);
  }
}
