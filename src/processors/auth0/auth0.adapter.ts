// Auth0 Management API v2 (vendors.md §1, §10).
//  - Users are found two ways and the ids merged: GET /users-by-email (exact and case-sensitive: the
//    verified address, and the product's stored spelling when it differs) and the v3 user search
//    q=email:"…" (case-insensitive; social and enterprise identities keep the provider's
//    capitalisation, e.g. Jane.Doe@Example.com, and only the search finds them). Lookup progress is
//    kept in refs, so a task handed back for a long rate-limit wait does not repeat finished lookups.
//  - Access: each user (without the social identities' tokens) and its logs (Auth0 lets at most
//    1,000 entries per user be paged through: more is reported as truncated). A database-connection
//    identity means Auth0 holds a password hash, which can never be shown.
//  - Erasure: DELETE each user (204, also for unknown ids). The tenant logs stay for the plan's log
//    retention and no API deletes them: reported as retained.
import {
  DataSystemError,
  erasureOutcome,
  type AccessResult,
  type DataSystem,
  type ErasureResult,
  type RetainedRecord,
  type TaskContext,
  type UnreadableRecord,
} from '../../systems/data-system.js';
import { Items, mergeIds, notFound, stripSecrets } from '../common.js';
import { TokenCache } from '../http/token-cache.js';
import { VendorHttpClient, type QueryValue } from '../http/vendor-http.js';
import type { VendorGate } from '../http/vendor-limiter.js';
import type { VendorConfig } from '../vendor-config.js';
import { type Auth0Log, type Auth0User, mapAuth0User } from './auth0.mapping.js';

const PAGE = 100; // per_page maximum (search and logs)
const CEILING = 1000; // Auth0 pages through at most 1,000 results (search and logs)

/** Lookup progress kept in refs (`auth0Lookup`). */
interface LookupProgress {
  /** Addresses already asked of users-by-email. */
  byEmail: string[];
  /** Next page of the v3 search to read; `searchDone` once every page was read. */
  searchPage: number;
  searchDone: boolean;
}

interface SearchPage {
  users?: Auth0User[];
  total?: number;
}

interface LogPage {
  logs?: Auth0Log[];
  total?: number;
}

/** A value for Auth0's user search query syntax: a quoted phrase, with `\` and `"` escaped. */
export function auth0QueryValue(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

const LOG_RETAINED = {
  what: 'Auth0 tenant log entries about the deleted user(s): date and type of each sign-in and account event, IP address, browser (user agent), approximate location',
  reason: 'Auth0 keeps its tenant logs for the log retention period of the plan and offers no deletion',
  until: 'the end of that retention period',
};

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
    const ids = await this.findUserIds(ctx);
    const items = new Items();
    const records: unknown[] = [];
    const unreadable: UnreadableRecord[] = [];
    const cut: { id: string; total: number }[] = [];
    let logsRead = 0;
    for (const id of ids) {
      const user = await this.api<Auth0User>(ctx, { path: `/api/v2/users/${encodeURIComponent(id)}`, okStatuses: [404] });
      if (!user) continue; // deleted since it was found
      const { logs, total } = await this.readLogs(ctx, id);
      logsRead += logs.length;
      if (total > logs.length) cut.push({ id, total });
      mapAuth0User(items, user, logs);
      records.push(stripSecrets({ user, logs }));
      for (const idn of user.identities ?? []) {
        if (idn.provider !== 'auth0') continue; // only Auth0's own database connections hold passwords
        unreadable.push({
          item: 'password',
          where: `Auth0 user ${id} (database connection ${idn.connection ?? 'Username-Password-Authentication'})`,
          why: 'held by Auth0 as a one-way hash, cannot be shown to anyone',
        });
      }
    }
    if (records.length === 0) return notFound();
    return {
      outcome: 'found',
      items: items.list,
      records,
      ...(unreadable.length ? { unreadable } : {}),
      ...(cut.length
        ? {
            truncated: {
              what: 'Auth0 log entries',
              read: logsRead,
              reason: `Auth0 lets at most the newest ${CEILING} log entries of a user be read through its API; it holds more for ${cut.map((c) => `${c.id} (${c.total})`).join(', ')}`,
            },
          }
        : {}),
    };
  }

  async erase(ctx: TaskContext): Promise<ErasureResult> {
    const ids = await this.findUserIds(ctx);
    if (ids.length === 0) return { outcome: 'not_found', actions: [], retained: [] };

    // Log entries per user, counted before the user is deleted (a retry reports the same count).
    const logCounts: Record<string, number> = { ...((ctx.refs.auth0LogCounts as Record<string, number> | undefined) ?? {}) };
    for (const id of ids) {
      if (typeof logCounts[id] === 'number') continue;
      const page = await this.api<LogPage>(ctx, {
        path: `/api/v2/users/${encodeURIComponent(id)}/logs`,
        query: { page: 0, per_page: 1, include_totals: true },
      });
      logCounts[id] = typeof page?.total === 'number' ? page.total : (page?.logs?.length ?? 0);
      await ctx.saveRefs({ auth0LogCounts: logCounts });
    }

    const deleted = new Set(Array.isArray(ctx.refs.auth0DeletedIds) ? (ctx.refs.auth0DeletedIds as string[]) : []);
    for (const id of ids) {
      if (deleted.has(id)) continue;
      // 204 also when the user is already gone (an earlier attempt): Auth0 does not say which.
      await this.api(ctx, { method: 'DELETE', path: `/api/v2/users/${encodeURIComponent(id)}` });
      deleted.add(id);
      await ctx.saveRefs({ auth0DeletedIds: [...deleted] });
    }

    const logs = ids.reduce((n, id) => n + (logCounts[id] ?? 0), 0);
    const actions: ErasureResult['actions'] = [{ what: 'Auth0 user (profile, identities, sign-in metadata)', count: ids.length, how: 'deleted' }];
    const retained: RetainedRecord[] = logs > 0 ? [{ item: 'activity', count: logs, ...LOG_RETAINED }] : [];
    return {
      outcome: erasureOutcome({ actions, retained }),
      actions,
      retained,
      ...(logs > 0 ? { remains: `${logs} Auth0 tenant log entr${logs === 1 ? 'y' : 'ies'}, until the end of the tenant's log retention period` } : {}),
    };
  }

  /**
   * Every user id for the subject: earlier attempts' ids, users-by-email for each spelling of the
   * address, and every page of the v3 search. Progress and ids are saved after each call.
   */
  private async findUserIds(ctx: TaskContext): Promise<string[]> {
    const saved = ctx.refs.auth0Lookup as Partial<LookupProgress> | undefined;
    const progress: LookupProgress = {
      byEmail: Array.isArray(saved?.byEmail) ? [...saved.byEmail] : [],
      searchPage: typeof saved?.searchPage === 'number' ? saved.searchPage : 0,
      searchDone: saved?.searchDone === true,
    };
    let ids = mergeIds<string>(ctx.refs, 'auth0UserIds', []);
    const save = async (found: string[]) => {
      ids = [...new Set([...ids, ...found])];
      await ctx.saveRefs({ auth0UserIds: ids, auth0Lookup: { ...progress, byEmail: [...progress.byEmail] } });
    };

    const spellings = [...new Set([ctx.subject.email, ctx.subject.storedEmail].filter((e): e is string => Boolean(e)))];
    for (const email of spellings) {
      if (progress.byEmail.includes(email)) continue;
      const users = (await this.api<Auth0User[]>(ctx, { path: '/api/v2/users-by-email', query: { email } })) ?? [];
      if (!Array.isArray(users)) throw new DataSystemError('permanent', 'Auth0 users-by-email answered something other than a list');
      for (const u of users) {
        if (u.email !== email) throw new DataSystemError('permanent', `Auth0 users-by-email returned user ${u.user_id}, whose e-mail is not the one asked for: stopped`);
      }
      progress.byEmail.push(email);
      await save(users.map((u) => u.user_id));
    }

    const wanted = new Set(spellings.map((e) => e.toLowerCase()));
    while (!progress.searchDone) {
      if ((progress.searchPage + 1) * PAGE > CEILING) {
        throw new DataSystemError('permanent', `Auth0's user search matches more than ${CEILING} users for the address; Auth0 pages through at most ${CEILING}: stopped`);
      }
      const body = await this.api<SearchPage | Auth0User[]>(ctx, {
        path: '/api/v2/users',
        query: {
          q: `email:${auth0QueryValue(ctx.subject.email)}`,
          search_engine: 'v3',
          page: progress.searchPage,
          per_page: PAGE,
          include_totals: true,
        },
      });
      const users = Array.isArray(body) ? body : (body?.users ?? []);
      for (const u of users) {
        if (typeof u.email !== 'string' || !wanted.has(u.email.toLowerCase())) {
          throw new DataSystemError('permanent', `Auth0's user search returned user ${u.user_id}, whose e-mail is not the subject's: stopped`);
        }
      }
      const total = Array.isArray(body) ? undefined : body?.total;
      if (typeof total === 'number' && total > CEILING) {
        throw new DataSystemError('permanent', `Auth0's user search matches ${total} users for the address; Auth0 pages through at most ${CEILING}: stopped`);
      }
      progress.searchPage++;
      progress.searchDone = users.length < PAGE || (typeof total === 'number' && progress.searchPage * PAGE >= total);
      await save(users.map((u) => u.user_id));
    }
    return ids;
  }

  /** The newest log entries of a user (at most 1,000, newest first), and how many Auth0 holds. */
  private async readLogs(ctx: TaskContext, id: string): Promise<{ logs: Auth0Log[]; total: number }> {
    const logs: Auth0Log[] = [];
    let total = 0;
    for (let page = 0; page * PAGE < CEILING; page++) {
      const body = await this.api<LogPage | Auth0Log[]>(ctx, {
        path: `/api/v2/users/${encodeURIComponent(id)}/logs`,
        query: { page, per_page: PAGE, sort: 'date:-1', include_totals: true },
      });
      const batch = Array.isArray(body) ? body : (body?.logs ?? []);
      logs.push(...batch);
      total = Array.isArray(body) || typeof body?.total !== 'number' ? logs.length : body.total;
      if (batch.length < PAGE || logs.length >= total) break;
    }
    return { logs, total: Math.max(total, logs.length) };
  }

  private async api<T>(
    ctx: TaskContext,
    req: { method?: 'GET' | 'DELETE'; path: string; query?: Record<string, QueryValue>; okStatuses?: number[] },
  ): Promise<T | undefined> {
    return this.tokens.withToken(async (token) => {
      const res = await this.http.request<T>({
        method: req.method ?? 'GET',
        path: req.path,
        query: req.query,
        okStatuses: req.okStatuses,
        headers: { authorization: `Bearer ${token}` },
        signal: ctx.signal,
      });
      return req.okStatuses?.includes(res.status) ? undefined : res.body;
    }, ctx.signal);
  }
}
