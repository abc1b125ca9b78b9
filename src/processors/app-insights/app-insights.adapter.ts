// Microsoft Azure Application Insights: telemetry the product's SDK sent about the subject (vendors.md §9.4).
//  - Tokens: Entra client credentials (v2 endpoint, scope <resource>/.default), one per audience:
//    https://api.applicationinsights.io for the query API, https://management.azure.com/ for ARM.
//  - Access: the query API (POST /v1/apps/{appId}/query, classic table names, which also resolve for
//    a workspace-based component), over requests, pageViews, customEvents, traces, exceptions and
//    dependencies: each APPINSIGHTS_MATCH_COLUMNS column compared case-insensitively with the user id
//    and the e-mail, plus the e-mail as a whole term in message texts.
//  - Erasure: the same query first, summarised by table and column, so that only what matches is
//    purged (Microsoft's advice); the (table, column, exact values) pairs are saved in refs, then
//    purged through ARM (components 2020-02-02 / workspaces 2020-08-01, workspace names for a
//    workspace), one purge per pair with `in`, batched across erasures (purge-batcher.ts) and paced
//    at 50 per hour. Azure runs purges within 30 days (its SLA): the outcome is "scheduled" until
//    every purge reports "completed" and the telemetry no longer answers the query.
import {
  DataSystemError,
  erasureOutcome,
  type AccessResult,
  type DataSystem,
  type ErasureResult,
  type SubjectIdentifiers,
  type SystemRefs,
  type TaskContext,
  type VendorJob,
  type VendorJobState,
} from '../../systems/data-system.js';
import { notFound } from '../common.js';
import { TokenCache } from '../http/token-cache.js';
import { VendorHttpClient, type VendorRequest } from '../http/vendor-http.js';
import type { VendorGate } from '../http/vendor-limiter.js';
import type { VendorConfig } from '../vendor-config.js';
import { mapTelemetry, mentions, type QueryTable, rowsOf, toRecord } from './app-insights.mapping.js';
import {
  kqlString,
  matchExpr,
  PURGE_API_VERSION,
  type Table,
  TABLES,
  TEXT_COLUMNS,
  ALL_TEXT_COLUMNS,
  WORKSPACE_TABLES,
  workspaceColumn,
} from './app-insights.schema.js';
import { type AcceptedPurge, pairKey, PurgeBatcher, type PurgeTarget } from './purge-batcher.js';

const QUERY_AUDIENCE = 'https://api.applicationinsights.io';
const ARM_AUDIENCE = 'https://management.azure.com/';
/** Application Insights keeps telemetry 90 days by default, 730 at most: the query spans all of it. */
export const TIMESPAN = 'P730D';
/** Rows read back for an access request; more are reported as truncated. */
export const ACCESS_ROW_LIMIT = 10_000;
/** Azure's formal SLA for a purge ("no way to expedite"). */
const PURGE_SLA_DAYS = 30;
const SOURCE = 'SourceTable';
const UNION = `union withsource=${SOURCE} ${TABLES.join(', ')}`;

/** A (table, column) to purge, with the exact values found there and how many rows they cover. */
export interface PurgePair extends PurgeTarget {
  table: Table;
  rows: number;
}

interface Progress {
  queryDone: boolean;
  pairs: PurgePair[];
  /** Rows found per table (a row matched by several columns counts once). */
  rows: Partial<Record<Table, number>>;
  purges: Record<string, AcceptedPurge>;
}

interface QueryAnswer {
  tables?: QueryTable[];
  error?: { code?: string };
}

/** A failure from an Azure API, with Azure's error code (never its free text: it can name people). */
export class AzureError extends DataSystemError {
  constructor(base: DataSystemError, kind: DataSystemError['kind'], readonly code: string | undefined, hint?: string) {
    super(kind, `${base.message}${code && !base.message.includes(`(${code})`) ? ` (${code})` : ''}${hint ? `: ${hint}` : ''}`, base.retryAfterMs, base.status);
  }
}

const ENTRA_AUTH = /^(invalid_client|unauthorized_client|invalid_resource|invalid_scope|invalid_grant)$/;

// Entra: bad client, secret, tenant or resource → auth (400 or 401 per AADSTS code).
function mapLoginError(status: number, body: unknown, base: DataSystemError): DataSystemError | undefined {
  const b = (body ?? {}) as { error?: unknown; error_codes?: unknown };
  const aadsts = Array.isArray(b.error_codes) && typeof b.error_codes[0] === 'number' ? `AADSTS${b.error_codes[0]}` : undefined;
  const code = [typeof b.error === 'string' ? b.error : undefined, aadsts].filter(Boolean).join(', ') || undefined;
  if ((status === 400 || status === 401) && ((typeof b.error === 'string' && ENTRA_AUTH.test(b.error)) || aadsts === 'AADSTS90002')) {
    return new AzureError(base, 'auth', code, 'check APPINSIGHTS_TENANT_ID, APPINSIGHTS_CLIENT_ID and APPINSIGHTS_CLIENT_SECRET');
  }
  return code ? new AzureError(base, base.kind, code) : undefined;
}

function azureCode(body: unknown): { code?: string; inner?: string } {
  const e = (body as { error?: { code?: unknown; innererror?: { code?: unknown; innererror?: { code?: unknown } } } } | undefined)?.error;
  const str = (v: unknown) => (typeof v === 'string' && /^[A-Za-z0-9_.-]{1,60}$/.test(v) ? v : undefined);
  return { code: str(e?.code), inner: str(e?.innererror?.code) };
}

// Query API: an expired or wrong-audience token is a 403 InvalidTokenError (refreshed once).
function mapQueryError(status: number, body: unknown, base: DataSystemError): DataSystemError | undefined {
  const { code, inner } = azureCode(body);
  if (status === 403 && code === 'InsufficientAccessError') {
    return new AzureError(base, 'auth', code, 'the app registration needs the Reader role on the Application Insights component');
  }
  if (status === 404 && code === 'ApplicationNotFoundError') return new AzureError(base, 'permanent', code, 'check APPINSIGHTS_APP_ID');
  if (status === 400 && inner === 'SemanticError') return new AzureError(base, 'permanent', `${code}/${inner}`, 'the query did not resolve: check APPINSIGHTS_MATCH_COLUMNS');
  return code ? new AzureError(base, base.kind, code) : undefined;
}

function mapArmError(status: number, body: unknown, base: DataSystemError): DataSystemError | undefined {
  const { code } = azureCode(body);
  if (status === 403 && code === 'AuthorizationFailed') {
    return new AzureError(base, 'auth', code, 'the app registration needs the Data Purger role on APPINSIGHTS_RESOURCE_ID');
  }
  if (status === 404 && (code === 'ResourceNotFound' || code === 'ResourceGroupNotFound' || code === 'SubscriptionNotFound')) {
    return new AzureError(base, 'permanent', code, 'check APPINSIGHTS_RESOURCE_ID');
  }
  return code ? new AzureError(base, base.kind, code) : undefined;
}

/** The token must be fetched again: 401 anywhere, or the query API's 403 InvalidTokenError. */
function staleToken(err: unknown): boolean {
  return err instanceof DataSystemError && (err.status === 401 || (err instanceof AzureError && err.code === 'InvalidTokenError'));
}

function progressOf(refs: SystemRefs): Progress {
  return {
    queryDone: refs.queryDone === true,
    pairs: Array.isArray(refs.pairs) ? (refs.pairs as PurgePair[]) : [],
    rows: refs.rows && typeof refs.rows === 'object' ? (refs.rows as Progress['rows']) : {},
    purges: refs.purges && typeof refs.purges === 'object' ? { ...(refs.purges as Record<string, AcceptedPurge>) } : {},
  };
}

export class AppInsightsAdapter implements DataSystem {
  readonly key = 'azure-app-insights';
  readonly recipient = 'azure-app-insights';
  readonly label = 'Microsoft Azure Application Insights';
  private readonly http: VendorHttpClient;
  private readonly queryTokens: TokenCache;
  private readonly armTokens: TokenCache;
  readonly batcher: PurgeBatcher;

  constructor(private readonly cfg: VendorConfig['appInsights'], timeoutMs: number, gate?: VendorGate) {
    this.http = new VendorHttpClient({ vendor: 'Azure Application Insights', baseUrl: cfg.queryUrl, timeoutMs, gate });
    this.queryTokens = new TokenCache((signal) => this.token(QUERY_AUDIENCE, signal));
    this.armTokens = new TokenCache((signal) => this.token(ARM_AUDIENCE, signal));
    this.batcher = new PurgeBatcher(cfg.purgeBatchMs, (target, signal) => this.purge(target, signal));
  }

  isConfigured(): boolean {
    const c = this.cfg;
    return Boolean(c.tenantId && c.clientId && c.clientSecret && c.appId && c.resourceId && c.resourceKind);
  }

  async access(ctx: TaskContext): Promise<AccessResult> {
    const who = identifiers(ctx.subject);
    const rows = await this.query(
      `${UNION} | where ${this.condition(who)} | order by timestamp desc | take ${ACCESS_ROW_LIMIT + 1}`,
      ctx.signal,
    );
    // `has` also matches the address inside a longer one (x.jane@… for jane@…): only rows that are
    // the subject's by a match column or by the whole address in a message are kept.
    const mine = rows.slice(0, ACCESS_ROW_LIMIT).filter((r) => this.isSubjects(r, who));
    if (mine.length === 0) return notFound(`Searched ${TABLES.join(', ')} over the last 730 days.`);
    const records = mine.map((r) => toRecord(r, SOURCE));
    return {
      outcome: 'found',
      items: mapTelemetry(records, { email: ctx.subject.email, userId: ctx.subject.userId, emails: who.emails }),
      records,
      ...(rows.length > ACCESS_ROW_LIMIT
        ? { truncated: { what: 'Application Insights telemetry items', read: ACCESS_ROW_LIMIT, reason: `only the ${ACCESS_ROW_LIMIT} most recent items are read back` } }
        : {}),
      note: `Telemetry from ${TABLES.join(', ')} over the last 730 days (Application Insights keeps it 90 days by default, at most 730).`,
    };
  }

  async erase(ctx: TaskContext): Promise<ErasureResult> {
    const progress = progressOf(ctx.refs);
    if (!progress.queryDone) {
      // What is held and where, saved before any purge: a re-run resumes from here.
      const found = await this.discover(ctx.subject, ctx.signal);
      progress.queryDone = true;
      progress.pairs = found.pairs;
      progress.rows = found.rows;
      await ctx.saveRefs({ queryDone: true, pairs: found.pairs, rows: found.rows, purges: progress.purges });
    }
    if (progress.pairs.length === 0) {
      return { outcome: 'not_found', actions: [], retained: [], note: `Searched ${TABLES.join(', ')} over the last 730 days.` };
    }
    const todo = progress.pairs.filter((p) => !progress.purges[pairKey(p)]);
    if (todo.length) {
      // Each purge id is saved as soon as Azure accepts the purge, one save after another.
      let saving: Promise<void> = Promise.resolve();
      await this.batcher.submit(
        todo.map(({ rows: _r, ...target }) => target),
        (key, purge) => {
          progress.purges[key] = purge;
          const snapshot = { ...progress.purges };
          saving = saving.then(() => ctx.saveRefs({ purges: snapshot }));
          return saving;
        },
        ctx.signal,
      );
    }
    return this.result(progress, 'requested');
  }

  async checkErasure(ctx: TaskContext, job: VendorJob): Promise<VendorJobState> {
    const progress = progressOf(ctx.refs);
    const recorded = Object.values(progress.purges).map((p) => p.purgeId);
    const purgeIds = [...new Set(recorded.length ? recorded : job.id.split(',').filter(Boolean).map((op) => `purge-${op}`))];
    if (purgeIds.length === 0) return { state: 'failed', reason: 'no Azure purge operation recorded' };
    let completed = 0;
    for (const id of purgeIds) {
      const res = await this.arm<{ status?: string }>({ path: `/operations/${encodeURIComponent(id)}`, bucket: 'arm', signal: ctx.signal });
      if (res.body?.status === 'completed') completed++;
    }
    const status = `${completed} of ${purgeIds.length} purge(s) completed`;
    if (completed < purgeIds.length) return { state: 'pending', status };
    // Every purge has run: the subject's telemetry must no longer answer the query.
    const left = await this.discover(ctx.subject, ctx.signal);
    if (left.pairs.length) {
      const rows = Object.values(left.rows).reduce((a, b) => a + (b ?? 0), 0);
      // Start over at the next attempt: query again, purge what is there now.
      await ctx.saveRefs({ queryDone: false, pairs: [], rows: {}, purges: {} });
      return { state: 'failed', reason: `${rows} telemetry row(s) about the subject were still found after the purges completed; a new purge is needed` };
    }
    return { state: 'done', status: 'completed', finalResult: this.result(progress, 'deleted') };
  }

  private result(progress: Progress, how: 'requested' | 'deleted'): ErasureResult {
    const tables = TABLES.filter((t) => progress.pairs.some((p) => p.table === t));
    const actions = tables.map((t) => {
      const cols = progress.pairs.filter((p) => p.table === t).map((p) => (p.key === undefined ? p.column : `${p.column}.${p.key}`));
      return { what: `Application Insights ${t} telemetry (rows matching by ${cols.join(', ')})`, count: progress.rows[t] ?? 0, how };
    });
    const purges = progress.pairs.map((p) => progress.purges[pairKey(p)]).filter((p): p is AcceptedPurge => Boolean(p));
    const ops = [...new Set(purges.map((p) => p.operationId))];
    const last = Math.max(...purges.map((p) => Date.parse(p.at)).filter((n) => !Number.isNaN(n)), 0) || Date.now();
    const expectedBy = new Date(last + PURGE_SLA_DAYS * 86_400_000).toISOString().slice(0, 10);
    const rows = Object.values(progress.rows).reduce((a, b) => a + (b ?? 0), 0);
    const target = this.cfg.resourceKind === 'workspace' ? 'Log Analytics workspace' : 'Application Insights component';
    const base = {
      actions,
      retained: [],
      vendorJob: { id: ops.join(','), expectedBy, status: how === 'requested' ? 'pending' : 'completed' },
    };
    if (how === 'deleted') {
      return { ...base, outcome: erasureOutcome({ actions, retained: [] }), note: `Azure completed ${ops.length} purge(s) of the ${target}; the telemetry no longer answers the query.` };
    }
    return {
      ...base,
      outcome: erasureOutcome({ actions, retained: [] }),
      remains: `${rows} telemetry row(s) stay readable in Application Insights until Azure runs the purge(s), within 30 days`,
      note:
        `${ops.length} purge(s) requested from the ${target}, one per table and column, with the exact values found (Azure accepts 50 purges an hour; ` +
        `requests pending together share them). Azure's formal SLA for a purge is 30 days and it cannot be expedited: expected by ${expectedBy}.`,
    };
  }

  private isSubjects(row: Record<string, unknown>, who: { ids: string[]; emails: string[] }): boolean {
    const ids = who.ids.map((v) => v.toLowerCase());
    for (const c of this.cfg.matchColumns) {
      let v = row[c.column];
      if (c.key !== undefined) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[c.key] : undefined;
      if ((typeof v === 'string' || typeof v === 'number') && ids.includes(String(v).toLowerCase())) return true;
    }
    return ALL_TEXT_COLUMNS.some((c) => typeof row[c] === 'string' && who.emails.some((e) => mentions(row[c] as string, e)));
  }

  /** The WHERE of every query: each match column against every identifier, the e-mail in message texts. */
  private condition(who: { ids: string[]; emails: string[] }): string {
    const list = who.ids.map(kqlString).join(', ');
    const parts = this.cfg.matchColumns.map((c) => `${matchExpr(c)} in~ (${list})`);
    for (const col of ALL_TEXT_COLUMNS) for (const e of who.emails) parts.push(`${col} has ${kqlString(e)}`);
    return parts.join(' or ');
  }

  /**
   * Which (table, column) pairs hold the subject, with the exact values there. Rows are grouped by
   * every match column and message text, then per table the fewest columns that cover every
   * matching row are chosen (each purge counts against 50 an hour).
   */
  private async discover(subject: SubjectIdentifiers, signal: AbortSignal): Promise<{ pairs: PurgePair[]; rows: Progress['rows'] }> {
    const who = identifiers(subject);
    const cols = this.cfg.matchColumns;
    const by = [
      SOURCE,
      ...cols.map((c, i) => `m${i} = ${matchExpr(c)}`),
      ...ALL_TEXT_COLUMNS.map((c, i) => `t${i} = tostring(${c})`),
    ];
    const groups = await this.query(`${UNION} | where ${this.condition(who)} | summarize n = count() by ${by.join(', ')}`, signal);
    const idsLower = who.ids.map((v) => v.toLowerCase());

    interface Hit {
      id: string;
      column: string;
      key?: string;
      value: string;
    }
    const perTable = new Map<Table, { n: number; hits: Hit[] }[]>();
    for (const g of groups) {
      const table = g[SOURCE] as Table;
      if (!TABLES.includes(table)) throw new DataSystemError('permanent', 'Azure Application Insights answered rows of a table it was not asked about');
      const hits: Hit[] = [];
      cols.forEach((c, i) => {
        const v = g[`m${i}`];
        if (typeof v === 'string' && v !== '' && idsLower.includes(v.toLowerCase())) {
          hits.push({ id: c.name, column: c.column, ...(c.key !== undefined ? { key: c.key } : {}), value: v });
        }
      });
      ALL_TEXT_COLUMNS.forEach((c, i) => {
        const v = g[`t${i}`];
        if (TEXT_COLUMNS[table]?.includes(c) && typeof v === 'string' && who.emails.some((e) => mentions(v, e))) hits.push({ id: c, column: c, value: v });
      });
      // Matched only by `has` at a boundary our stricter test refuses (another address): not the subject's.
      if (!hits.length) continue;
      const list = perTable.get(table) ?? [];
      list.push({ n: Number(g.n) || 0, hits });
      perTable.set(table, list);
    }

    const pairs: PurgePair[] = [];
    const rows: Progress['rows'] = {};
    const order = [...cols.map((c) => c.name), ...ALL_TEXT_COLUMNS];
    for (const table of TABLES) {
      const list = perTable.get(table);
      if (!list) continue;
      rows[table] = list.reduce((a, g) => a + g.n, 0);
      const uncovered = new Set(list);
      while (uncovered.size) {
        // The column covering most uncovered rows; on a tie, the configured order.
        let best: string | undefined;
        let bestRows = 0;
        for (const id of order) {
          const covered = [...uncovered].filter((g) => g.hits.some((h) => h.id === id)).reduce((a, g) => a + Math.max(g.n, 1), 0);
          if (covered > bestRows) [best, bestRows] = [id, covered];
        }
        if (!best) break;
        const hits = list.flatMap((g) => g.hits.filter((h) => h.id === best));
        const first = hits[0]!;
        pairs.push({
          table,
          column: first.column,
          ...(first.key !== undefined ? { key: first.key } : {}),
          values: [...new Set(hits.map((h) => h.value))].sort(),
          rows: list.filter((g) => g.hits.some((h) => h.id === best)).reduce((a, g) => a + g.n, 0),
        });
        for (const g of [...uncovered]) if (g.hits.some((h) => h.id === best)) uncovered.delete(g);
      }
    }
    return { pairs, rows };
  }

  /** One purge, on the 'purge' bucket (50 an hour); what it covers is decided when its slot is granted. */
  private async purge(targetAtSend: () => PurgeTarget, signal: AbortSignal): Promise<AcceptedPurge> {
    const workspace = this.cfg.resourceKind === 'workspace';
    const res = await this.arm<{ operationId?: unknown }>({
      method: 'POST',
      path: '/purge',
      bucket: 'purge',
      jsonAtSend: () => {
        const target = targetAtSend();
        const table = workspace ? WORKSPACE_TABLES[target.table as Table] : target.table;
        const column = workspace ? workspaceColumn(target.column) : target.column;
        return { table, filters: [{ column, operator: 'in', value: target.values, ...(target.key !== undefined ? { key: target.key } : {}) }] };
      },
      signal,
    });
    const operationId = res.body?.operationId;
    if (typeof operationId !== 'string' || !operationId) {
      throw new DataSystemError('permanent', 'Azure accepted a purge without an operationId: it cannot be followed');
    }
    // The status location names the purge id (purge-<operationId>); fall back to that form.
    const location = /\/operations\/([^/?#]+)/.exec(res.headers.get('x-ms-status-location') ?? '');
    const purgeId = location ? decodeURIComponent(location[1]!) : `purge-${operationId}`;
    return { operationId, purgeId, at: new Date().toISOString() };
  }

  private async query(kql: string, signal: AbortSignal): Promise<Record<string, unknown>[]> {
    const res = await this.withToken(
      this.queryTokens,
      (token) =>
        this.http.request<QueryAnswer>({
          method: 'POST',
          path: `/v1/apps/${encodeURIComponent(this.cfg.appId ?? '')}/query`,
          json: { query: kql, timespan: TIMESPAN },
          headers: { authorization: `Bearer ${token}` },
          mapError: mapQueryError,
          signal,
        }),
      signal,
    );
    const body = res.body;
    const table = Array.isArray(body?.tables) ? (body.tables.find((t) => t?.name === 'PrimaryResult') ?? body.tables[0]) : undefined;
    // Never "nothing found" from an answer that is not a result (e.g. an empty 200).
    if (!table || !Array.isArray(table.columns) || !Array.isArray(table.rows)) {
      throw new DataSystemError('transient', 'Azure Application Insights answered the query without a result table');
    }
    if (body?.error) {
      throw new DataSystemError('transient', `Azure Application Insights answered a partial result (${azureCode({ error: body.error }).code ?? 'error'})`);
    }
    return rowsOf(table);
  }

  private arm<T>(req: VendorRequest): Promise<{ status: number; headers: Headers; body: T }> {
    const kind = this.cfg.resourceKind ?? 'component';
    return this.withToken(
      this.armTokens,
      (token) =>
        this.http.request<T>({
          ...req,
          path: `${this.cfg.managementUrl}${this.cfg.resourceId}${req.path}`,
          query: { 'api-version': PURGE_API_VERSION[kind] },
          headers: { authorization: `Bearer ${token}` },
          mapError: mapArmError,
        }),
      req.signal,
    );
  }

  /** Runs `call` with a token of `cache`; a stale token is fetched again once. */
  private async withToken<T>(cache: TokenCache, call: (token: string) => Promise<T>, signal?: AbortSignal): Promise<T> {
    const first = await cache.get(signal);
    try {
      return await call(first);
    } catch (err) {
      if (!staleToken(err)) throw err;
      cache.invalidate();
      return call(await cache.get(signal));
    }
  }

  private async token(audience: string, signal?: AbortSignal): Promise<{ accessToken: string; expiresIn?: number }> {
    const res = await this.http.request<{ access_token?: string; expires_in?: number | string }>({
      method: 'POST',
      path: `${this.cfg.loginUrl}/${encodeURIComponent(this.cfg.tenantId ?? '')}/oauth2/v2.0/token`,
      form: {
        grant_type: 'client_credentials',
        client_id: this.cfg.clientId ?? '',
        client_secret: this.cfg.clientSecret ?? '',
        // <application ID URI>/.default: ARM's URI ends with a slash, hence https://management.azure.com//.default.
        scope: `${audience}/.default`,
      },
      mapError: mapLoginError,
      signal,
    });
    if (!res.body?.access_token) throw new DataSystemError('transient', 'Entra answered the token request without an access_token');
    const ttl = Number(res.body.expires_in);
    return { accessToken: res.body.access_token, expiresIn: Number.isFinite(ttl) && ttl > 0 ? ttl : undefined };
  }
}

/** What the subject is matched by: the user id and the e-mail (as verified and as the product stores it). */
function identifiers(subject: SubjectIdentifiers): { ids: string[]; emails: string[] } {
  const emails = [...new Set([subject.email, subject.storedEmail].filter((e): e is string => Boolean(e)).map((e) => e.toLowerCase()))];
  const ids = [...new Set([subject.userId, ...emails].filter((v): v is string => Boolean(v)))];
  return { ids, emails };
}
