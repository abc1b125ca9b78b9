// Application Insights query API fake (api.applicationinsights.io): `POST /v1/apps/{appId}/query`
// with JSON {query, timespan?} and `GET /v1/apps/{appId}/query?query=&timespan=` (vendors.md §9.4 4d;
// azure-rest-api-specs applicationinsights data-plane Microsoft.Insights/preview/v1/AppInsights.json
// and examples/query-get.json, query-post.json). Reads the telemetry store the ARM purge fake
// deletes from. Traps reproduced:
// - Entra bearer token for https://api.applicationinsights.io only; an ARM token is refused;
//   the app registration needs the Reader role on the component (azure-ad-authentication.md);
// - answers {tables:[{name:"PrimaryResult", columns:[{name,type}], rows:[[…]]}]} with the
//   API's types; dynamic columns (customDimensions, …) come back as JSON text, not objects
//   (query-get.json: "{\"_MS.ProcessedByMetricExtractors\":…}");
// - classic table and column names (requests, user_AuthenticatedId, customDimensions); the
//   workspace names (AppRequests, UserAuthenticatedId, Properties) are unknown here unless
//   `workspaceTables` is set (UNCONFIRMED which the API resolves for a workspace-based component;
//   the classic names are documented to keep working: convert-classic-resource.md);
// - the timespan (ISO 8601 duration or interval) bounds `timestamp` in addition to the query;
// - a small KQL subset (app-insights.kql.ts); an unknown table/column → 400 BadArgumentError /
//   SemanticError SEM0100 "Failed to resolve …", anything it cannot parse → SyntaxError SYN0002
//   (shapes as quoted by Azure/azure-sdk-for-net Monitor.Query README and azure-monitor-docs
//   logs/api/errors.md);
// - a POST without `Content-Type: application/json` answers 200 with an empty body (documented in
//   azure-monitor-docs logs/api/errors.md for the Log Analytics query API, the same service;
//   `emptyWithoutJson: false` turns it off);
// - unknown appId → 404 ApplicationNotFoundError (Azure/azure-cli-extensions issue 4591), unknown
//   path → 404 PathNotFoundError (errors.md).
// Auth errors: no bearer → 401 AuthorizationRequiredError "Valid authentication was not provided"
// (microsoft/vscode-ext-kusto issue 80; status UNCONFIRMED); a token for another audience, unknown
// or expired → 403 InvalidTokenError "The provided authentication is not valid for this resource"
// (Azure/azure-sdk-for-js PR 15399, logs/api/batch-queries.md); no Reader role → 403
// InsufficientAccessError (errors.md). NOT FOUND: the query API's rate limits and 429 body; the
// fake answers 429 {error:{code:"ThrottledError"}} with Retry-After when a limit is set.
import { randomUUID } from 'node:crypto';
import { AppInsightsTelemetryStore, CLASSIC_TABLES, classicColumns, classicTableOf, type ClassicTable, workspaceColumns } from './app-insights.store.js';
import { APP_INSIGHTS_API_RESOURCE, sameResource } from './azure-login.fake.js';
import { type FakeRequest, type FakeResponse, FakeVendorServer, type FakeServerOptions } from './fake-server.js';
import { KqlError, type KqlSource, runKql } from './app-insights.kql.js';

export interface AppInsightsFakeOptions extends FakeServerOptions {
  /** The telemetry shared with the ARM purge fake (default: a new store). */
  store?: AppInsightsTelemetryStore;
  /** Client ids holding the Reader role on the component (default: anyone with a valid token). */
  readers?: string[];
  /** Also resolve the workspace tables (AppRequests, …) with their column names. Default false. */
  workspaceTables?: boolean;
  /** Send real/int/long cells as strings, as the spec's query-get.json example shows. Default false. */
  numbersAsStrings?: boolean;
  /** A POST without a JSON content type answers 200 with an empty body. Default true. */
  emptyWithoutJson?: boolean;
}

/** One query the API answered, for assertions. */
export interface AppInsightsQueryRecord {
  method: string;
  query: string;
  timespan?: string;
  clientId?: string;
  status: number;
  rowCount?: number;
}

const apiError = (status: number, code: string, message: string, innererror?: unknown): FakeResponse => ({
  status,
  body: { error: { message, code, correlationId: randomUUID(), ...(innererror ? { innererror } : {}) } },
});

export class AppInsightsFake extends FakeVendorServer {
  readonly name = 'app-insights';
  readonly store: AppInsightsTelemetryStore;
  readonly queries: AppInsightsQueryRecord[] = [];
  readers?: string[];
  workspaceTables: boolean;
  numbersAsStrings: boolean;
  emptyWithoutJson: boolean;

  constructor(opts: AppInsightsFakeOptions = {}) {
    super(opts);
    this.store = opts.store ?? new AppInsightsTelemetryStore();
    this.readers = opts.readers;
    this.workspaceTables = opts.workspaceTables ?? false;
    this.numbersAsStrings = opts.numbersAsStrings ?? false;
    this.emptyWithoutJson = opts.emptyWithoutJson ?? true;
  }

  get appId(): string {
    return this.store.appId;
  }

  protected clearStore(): void {
    this.store.clear();
    this.queries.length = 0;
  }

  protected tooManyRequests(resetAt: number): FakeResponse {
    const wait = Math.max(1, resetAt - Math.floor(Date.now() / 1000));
    return { ...apiError(429, 'ThrottledError', 'Your request was throttled. Please retry later.'), headers: { 'retry-after': String(wait) } };
  }

  protected handle(req: FakeRequest): FakeResponse {
    const m = /^\/v1\/apps\/([^/]+)\/query$/.exec(req.path);
    if (!m || (req.method !== 'GET' && req.method !== 'POST')) return apiError(404, 'PathNotFoundError', 'The requested path does not exist');

    const auth = String(req.headers.authorization ?? '');
    if (!/^Bearer \S+$/i.test(auth)) return apiError(401, 'AuthorizationRequiredError', 'Valid authentication was not provided');
    const grant = this.tokens.check(auth);
    if (!grant || !grant.audience || !sameResource(grant.audience, APP_INSIGHTS_API_RESOURCE)) {
      return apiError(403, 'InvalidTokenError', 'The provided authentication is not valid for this resource', {
        code: 'SignatureVerificationFailed',
        message: 'Could not validate the request',
      });
    }
    if (decodeURIComponent(m[1]!).toLowerCase() !== this.appId.toLowerCase()) {
      return apiError(404, 'ApplicationNotFoundError', 'The application could not be found');
    }
    if (this.readers && !this.readers.includes(grant.clientId ?? '')) {
      return apiError(403, 'InsufficientAccessError', 'The provided credentials have insufficient access to perform the requested operation');
    }

    let query: unknown;
    let timespan: string | undefined = req.query.get('timespan') ?? undefined;
    if (req.method === 'POST') {
      if (!String(req.headers['content-type'] ?? '').toLowerCase().includes('application/json') && this.emptyWithoutJson) {
        return { status: 200, body: '' };
      }
      if (!req.body || typeof req.body !== 'object') return this.badRequest('InvalidJsonBody', 'The request body is not a JSON object');
      const b = req.body as { query?: unknown; timespan?: unknown };
      query = b.query;
      if (b.timespan !== undefined) timespan = String(b.timespan);
    } else {
      query = req.query.get('query') ?? undefined;
    }
    if (typeof query !== 'string' || !query.trim()) return this.badRequest('MissingQuery', "The 'query' parameter is required");

    const record: AppInsightsQueryRecord = { method: req.method, query, timespan, clientId: grant.clientId, status: 200 };
    this.queries.push(record);
    const now = Date.now();
    let window: { from: number; to: number } | undefined;
    if (timespan !== undefined) {
      window = parseTimespan(timespan, now);
      if (!window) {
        record.status = 400;
        return this.badRequest('InvalidTimespan', `The timespan '${timespan}' is not a valid ISO 8601 duration or interval`);
      }
    }
    try {
      const result = runKql(query, (t) => this.source(t), { now, window });
      record.rowCount = result.rows.length;
      const numeric = new Set(['real', 'int', 'long']);
      const rows = this.numbersAsStrings
        ? result.rows.map((r) => r.map((v, i) => (v !== null && numeric.has(result.columns[i]!.type) ? String(v) : v)))
        : result.rows;
      const id = randomUUID();
      return {
        status: 200,
        headers: { 'x-ms-request-id': id, 'x-ms-correlation-request-id': id },
        body: { tables: [{ name: 'PrimaryResult', columns: result.columns, rows }] },
      };
    } catch (err) {
      if (!(err instanceof KqlError)) throw err;
      record.status = 400;
      const summary = err.kind === 'SyntaxError' ? 'A recognition error occurred in the query.' : 'A semantic error occurred.';
      return apiError(400, 'BadArgumentError', 'The request had some invalid properties', {
        code: err.kind,
        message: summary,
        innererror: { code: err.code, message: err.message, ...(err.at ?? {}) },
      });
    }
  }

  private source(name: string): KqlSource | undefined {
    if ((CLASSIC_TABLES as readonly string[]).includes(name)) {
      const t = name as ClassicTable;
      return { columns: classicColumns(t), rows: this.store.rows(t), timeColumn: 'timestamp' };
    }
    const t = this.workspaceTables ? classicTableOf(name) : undefined;
    return t ? { columns: workspaceColumns(t), rows: this.store.workspaceRows(t), timeColumn: 'TimeGenerated' } : undefined;
  }

  // Shape of a request-validation failure as logs/api/batch-queries.md shows it (UNCONFIRMED
  // detail codes).
  private badRequest(detail: string, message: string): FakeResponse {
    return apiError(400, 'BadArgumentError', 'The request had some invalid properties', {
      code: 'QueryValidationError',
      message: 'Failed parsing the query',
      details: [{ code: detail, message, target: null }],
    });
  }
}

const DURATION = /^P(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i;

function durationMs(s: string): number | undefined {
  const m = DURATION.exec(s);
  if (!m || s.toUpperCase() === 'P' || s.toUpperCase().endsWith('T')) return undefined;
  const [w, d, h, min, sec] = m.slice(1).map((x) => Number(x ?? 0));
  return (((w! * 7 + d!) * 24 + h!) * 60 + min!) * 60_000 + sec! * 1000;
}

/** ISO 8601 duration (back from now), `start/end`, `start/duration` or `duration/end`. */
export function parseTimespan(ts: string, now: number): { from: number; to: number } | undefined {
  const parts = ts.split('/');
  if (parts.length === 1) {
    const d = durationMs(ts);
    return d === undefined ? undefined : { from: now - d, to: now };
  }
  if (parts.length !== 2) return undefined;
  const [a, b] = parts as [string, string];
  const ta = Date.parse(a);
  const tb = Date.parse(b);
  if (!Number.isNaN(ta) && !Number.isNaN(tb)) return ta <= tb ? { from: ta, to: tb } : undefined;
  if (!Number.isNaN(ta)) {
    const d = durationMs(b);
    return d === undefined ? undefined : { from: ta, to: ta + d };
  }
  const d = durationMs(a);
  return d === undefined || Number.isNaN(tb) ? undefined : { from: tb - d, to: tb };
}
