// Azure Resource Manager fake (management.azure.com) for the two documented purge APIs
// (vendors.md §9.4 4a–4c):
// - classic component: POST /subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.Insights/
//   components/{name}/purge?api-version=2015-05-01|2020-02-02 (azure-rest-api-specs
//   applicationinsights Microsoft.Insights stable/{2015-05-01,2020-02-02}/components_API.json);
// - workspace: POST …/providers/Microsoft.OperationalInsights/workspaces/{name}/purge?api-version=
//   2020-08-01 (operationalinsights stable/2020-08-01/WorkspacePurge.json; 2023-09-01 also exists);
// - status: GET {resourceId}/operations/{purgeId}?api-version=… → 200 {status: pending|completed}.
// Traps reproduced:
// - an ARM token (audience https://management.azure.com/ or management.core.windows.net, with or
//   without the slash); an Application Insights API token → 401 InvalidAuthenticationTokenAudience
//   (message as quoted in JetBrains/azure-tools-for-intellij issue 16, hashicorp/go-azure-helpers
//   issue 51); no header → 401 AuthenticationFailed (azure-monitor-docs logs/api/errors.md);
// - the client needs the Data Purger role (personal-data-mgmt.md) → otherwise 403
//   AuthorizationFailed "The client '…' … does not have authorization to perform action
//   'Microsoft.OperationalInsights/workspaces/purge/action' over scope '…'";
// - body {table, filters:[{column, operator, value, key?}]} checked against the resource's schema:
//   classic names for a component, workspace names for a workspace (AppRequests, UserId,
//   Properties, TimeGenerated, _ResourceId) — a classic table name sent to a workspace is refused;
//   operators ==, =~, in, in~, >, >=, <, <=, between only (spec description);
// - 202 {operationId} with `x-ms-status-location: {host}{resourceId}/operations/purge-{operationId}
//   ?api-version=…` (WorkspacesPurge.json example, personal-data-mgmt.md); the status answers
//   `pending` until the test calls completePurges() (the documented SLA is 30 days, "no way to
//   expedite"); only then do the rows leave the store the query fake reads;
// - 50 purge requests per hour (spec description), enforced with the base class's hourly limit.
// NOT FOUND in the documents: the 429 for purge. The fake answers ARM's usual throttling shape,
// 429 {error:{code:"TooManyRequests", message}} with Retry-After in seconds.
// UNCONFIRMED: the error codes for a body that fails validation (the fake uses 400 BadRequest
// with a message naming the fault; InvalidRequestContent for a body that is not an object); whether
// the status path takes the bare operationId (default: only purge-{operationId}, as in the
// documented status location; `acceptBareOperationId` relaxes it); NoRegisteredProviderFound for
// an unsupported api-version and ResourceNotFound for an unknown resource (ARM's general codes).
import { randomUUID } from 'node:crypto';
import {
  type AppInsightsTelemetryStore,
  CLASSIC_TABLES,
  type ClassicTable,
  classicColumnOf,
  classicColumns,
  classicTableOf,
  type ColumnDef,
  type TelemetryRow,
  workspaceColumns,
} from './app-insights.store.js';
import { sameResource } from './azure-login.fake.js';
import { type FakeRequest, type FakeResponse, FakeVendorServer, type FakeServerOptions } from './fake-server.js';

export type AzurePurgeKind = 'component' | 'workspace';

export interface AzurePurgeFilter {
  column: string;
  operator: string;
  value: unknown;
  key?: string;
}

/** One accepted purge, for assertions. */
export interface AzurePurgeRecord {
  operationId: string;
  /** The id in the status location (purge-{operationId}). */
  purgeId: string;
  resourceId: string;
  kind: AzurePurgeKind;
  apiVersion: string;
  /** The table as sent (classic or workspace name). */
  table: string;
  filters: AzurePurgeFilter[];
  clientId?: string;
  status: 'pending' | 'completed';
  requestedAt: number;
  completedAt?: number;
  /** Rows removed when it completed. */
  removed?: number;
}

export interface AzureManagementFakeOptions extends FakeServerOptions {
  /** The telemetry the purges delete from (shared with the query fake). */
  store: AppInsightsTelemetryStore;
  /** ARM ids of the component(s) and/or workspace(s) that exist (default: one workspace). */
  resources?: string[];
  /** Client ids holding the Data Purger role on those resources (default: none). */
  purgers?: string[];
  /** Purge requests accepted per rolling hour (documented: 50). */
  purgesPerHour?: number;
  componentApiVersions?: string[];
  workspaceApiVersions?: string[];
  /** Complete a purge on its first status read after this many ms (default: only completePurges()). */
  autoCompleteAfterMs?: number;
  /** Let the status path take the bare operationId as well as purge-{operationId}. */
  acceptBareOperationId?: boolean;
}

const OPERATORS = ['==', '=~', 'in', 'in~', '>', '>=', '<', '<=', 'between'];
const ARM_AUDIENCES = ['https://management.azure.com/', 'https://management.core.windows.net/'];
const RESOURCE = /^(\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/(Microsoft\.Insights\/components|Microsoft\.OperationalInsights\/workspaces)\/[^/]+)(?:\/(purge)|\/operations\/([^/]+))$/i;

const armError = (status: number, code: string, message: string, headers?: Record<string, string>): FakeResponse => ({
  status,
  headers,
  body: { error: { code, message } },
});

export class AzureManagementFake extends FakeVendorServer {
  readonly name = 'azure-management';
  readonly store: AppInsightsTelemetryStore;
  readonly resources: string[];
  readonly purges: AzurePurgeRecord[] = [];
  purgers: string[];
  autoCompleteAfterMs?: number;
  acceptBareOperationId: boolean;
  private readonly purgesPerHour: number;
  private readonly apiVersions: Record<AzurePurgeKind, string[]>;

  constructor(opts: AzureManagementFakeOptions) {
    super(opts);
    this.store = opts.store;
    this.resources = opts.resources ?? [
      '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/product-rg/providers/Microsoft.OperationalInsights/workspaces/product-logs',
    ];
    this.purgers = opts.purgers ?? [];
    this.purgesPerHour = opts.purgesPerHour ?? 50;
    this.autoCompleteAfterMs = opts.autoCompleteAfterMs;
    this.acceptBareOperationId = opts.acceptBareOperationId ?? false;
    this.apiVersions = {
      component: opts.componentApiVersions ?? ['2015-05-01', '2020-02-02'],
      workspace: opts.workspaceApiVersions ?? ['2020-08-01', '2023-09-01'],
    };
    this.setRateLimit({ perHour: this.purgesPerHour }, 'purge');
  }

  /** The first registered resource (what APPINSIGHTS_RESOURCE_ID points at). */
  get resourceId(): string {
    return this.resources[0]!;
  }

  override reset(): void {
    super.reset();
    this.setRateLimit({ perHour: this.purgesPerHour }, 'purge');
  }

  /** Runs every pending purge (or the given ones): matching rows leave the store. */
  completePurges(operationIds?: string[]): AzurePurgeRecord[] {
    const done: AzurePurgeRecord[] = [];
    for (const p of this.purges) {
      if (p.status !== 'pending' || (operationIds && !operationIds.includes(p.operationId))) continue;
      const table = (p.kind === 'workspace' ? classicTableOf(p.table) : p.table) as ClassicTable;
      p.removed = this.store.remove(table, (row) => this.matches(p, table, row));
      p.status = 'completed';
      p.completedAt = Date.now();
      done.push(p);
    }
    return done;
  }

  pending(): AzurePurgeRecord[] {
    return this.purges.filter((p) => p.status === 'pending');
  }

  override limitGroup(method: string, path: string): string {
    return method === 'POST' && /\/purge$/i.test(path) ? 'purge' : 'default';
  }

  protected clearStore(): void {
    this.store.clear();
    this.purges.length = 0;
  }

  protected tooManyRequests(resetAt: number): FakeResponse {
    const wait = Math.max(1, resetAt - Math.floor(Date.now() / 1000));
    return armError(429, 'TooManyRequests', `Purge requests are throttled at ${this.purgesPerHour} requests per hour. Please try again after '${wait}' seconds.`, { 'retry-after': String(wait) });
  }

  protected handle(req: FakeRequest): FakeResponse {
    const auth = this.authenticate(req);
    if ('status' in auth) return auth;

    const m = RESOURCE.exec(req.path);
    if (!m) return armError(404, 'NotFound', `The requested path '${req.path}' does not exist.`);
    const kind: AzurePurgeKind = /workspaces$/i.test(m[2]!) ? 'workspace' : 'component';
    const type = kind === 'workspace' ? 'workspaces' : 'components';
    const apiVersion = req.query.get('api-version');
    if (!apiVersion) return armError(400, 'MissingApiVersionParameter', 'The api-version query parameter (?api-version=) is required for all requests.');
    if (!this.apiVersions[kind].includes(apiVersion)) {
      return armError(400, 'NoRegisteredProviderFound', `No registered resource provider found for location 'westeurope' and API version '${apiVersion}' for type '${type}'. The supported api-versions are '${this.apiVersions[kind].join(', ')}'.`);
    }
    const resourceId = this.resources.find((r) => r.toLowerCase() === m[1]!.toLowerCase());
    if (!resourceId) {
      const [, , , , rg] = m[1]!.split('/');
      const name = m[1]!.split('/').pop();
      return armError(404, 'ResourceNotFound', `The Resource '${m[2]}/${name}' under resource group '${rg}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`);
    }

    if (m[3]) {
      if (req.method !== 'POST') return armError(405, 'MethodNotAllowed', `The requested resource does not support http method '${req.method}'.`);
      const action = kind === 'workspace' ? 'Microsoft.OperationalInsights/workspaces/purge/action' : 'microsoft.insights/components/purge/action';
      if (!this.purgers.includes(auth.clientId)) {
        return armError(403, 'AuthorizationFailed', `The client '${auth.clientId}' with object id '${auth.clientId}' does not have authorization to perform action '${action}' over scope '${resourceId}' or the scope is invalid. If access was recently granted, please refresh your credentials.`);
      }
      return this.purge(req, resourceId, kind, apiVersion, auth.clientId);
    }

    if (req.method !== 'GET') return armError(405, 'MethodNotAllowed', `The requested resource does not support http method '${req.method}'.`);
    if (!this.purgers.includes(auth.clientId)) {
      const action = kind === 'workspace' ? 'Microsoft.OperationalInsights/workspaces/operations/read' : 'microsoft.insights/components/operations/read';
      return armError(403, 'AuthorizationFailed', `The client '${auth.clientId}' with object id '${auth.clientId}' does not have authorization to perform action '${action}' over scope '${resourceId}' or the scope is invalid. If access was recently granted, please refresh your credentials.`);
    }
    const id = decodeURIComponent(m[4]!);
    const p = this.purges.find(
      (x) => x.resourceId === resourceId && (x.purgeId === id || (this.acceptBareOperationId && x.operationId === id)),
    );
    if (!p) return armError(404, 'NotFound', `The purge operation '${id}' was not found.`);
    if (p.status === 'pending' && this.autoCompleteAfterMs !== undefined && Date.now() - p.requestedAt >= this.autoCompleteAfterMs) {
      this.completePurges([p.operationId]);
    }
    return { status: 200, body: { status: p.status } };
  }

  private authenticate(req: FakeRequest): { clientId: string } | FakeResponse {
    const header = req.headers.authorization;
    const challenge = (desc: string) => ({
      'www-authenticate': `Bearer authorization_uri="https://login.windows.net/", error="invalid_token", error_description="${desc}"`,
    });
    if (!header) return armError(401, 'AuthenticationFailed', "Authentication failed. The 'Authorization' header is missing.", challenge('The authentication failed because of missing \'Authorization\' header.'));
    if (!/^Bearer \S+$/i.test(header)) {
      return armError(401, 'AuthenticationFailed', "Authentication failed. The 'Authorization' header is provided in an invalid format.", challenge('The authentication scheme of Basic is not supported.'));
    }
    const grant = this.tokens.check(header);
    if (!grant) return armError(401, 'InvalidAuthenticationToken', 'The access token is invalid.', challenge('The access token is invalid.'));
    if (!grant.audience || !ARM_AUDIENCES.some((a) => sameResource(a, grant.audience!))) {
      return armError(
        401,
        'InvalidAuthenticationTokenAudience',
        `The access token has been obtained for wrong audience or resource '${grant.audience}'. It should exactly match with one of the allowed audiences 'https://management.core.windows.net/','https://management.core.windows.net','https://management.azure.com/','https://management.azure.com'.`,
        challenge('The access token has been obtained for wrong audience or resource.'),
      );
    }
    return { clientId: grant.clientId ?? '' };
  }

  private purge(req: FakeRequest, resourceId: string, kind: AzurePurgeKind, apiVersion: string, clientId: string): FakeResponse {
    const ct = String(req.headers['content-type'] ?? '');
    if (!ct.toLowerCase().includes('application/json')) {
      return armError(415, 'UnsupportedMediaType', `The content media type '${ct || 'none'}' is not supported. Only 'application/json' is supported.`);
    }
    if (!req.body || typeof req.body !== 'object' || Array.isArray(req.body)) {
      return armError(400, 'InvalidRequestContent', 'The request content was invalid and could not be deserialized.');
    }
    const body = req.body as { table?: unknown; filters?: unknown };
    const bad = (message: string) => armError(400, 'BadRequest', message);
    if (typeof body.table !== 'string' || !body.table) return bad("The purge body must name a 'table'.");
    const table = kind === 'workspace' ? classicTableOf(body.table) : (CLASSIC_TABLES as readonly string[]).includes(body.table) ? (body.table as ClassicTable) : undefined;
    if (!table) return bad(`The table '${body.table}' does not exist in the ${kind === 'workspace' ? 'workspace' : 'Application Insights component'}.`);
    if (!Array.isArray(body.filters) || body.filters.length === 0) return bad("The purge body must have at least one entry in 'filters'.");
    const columns: ColumnDef[] = kind === 'workspace' ? workspaceColumns(table) : classicColumns(table);
    const filters: AzurePurgeFilter[] = [];
    for (const f of body.filters as unknown[]) {
      if (!f || typeof f !== 'object') return bad('Each filter must be an object with column, operator and value.');
      const { column, operator, value, key } = f as Record<string, unknown>;
      if (typeof column !== 'string' || !column) return bad("Each filter must name a 'column'.");
      const col = columns.find((c) => c.name === column);
      if (!col) return bad(`The column '${column}' does not exist in table '${body.table}'.`);
      if (typeof operator !== 'string' || !OPERATORS.includes(operator)) {
        return bad(`The operator '${String(operator)}' is not supported. Supported operators are ${OPERATORS.join(', ')}.`);
      }
      if (value === undefined || value === null) return bad(`The filter on '${column}' has no 'value'.`);
      if (col.type === 'dynamic' ? typeof key !== 'string' || !key : key !== undefined) {
        return bad(col.type === 'dynamic' ? `Filtering on '${column}' needs the 'key' of the custom dimension.` : `'key' applies only to custom dimension columns, not '${column}'.`);
      }
      const scalar = (v: unknown) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
      if (operator === 'in' || operator === 'in~') {
        if (!Array.isArray(value) || !value.length || !value.every(scalar)) return bad(`The operator '${operator}' needs a non-empty array of values.`);
      } else if (operator === 'between') {
        if (!Array.isArray(value) || value.length !== 2 || !value.every(scalar)) return bad("The operator 'between' needs an array of two values.");
      } else if (!scalar(value)) return bad(`The operator '${operator}' needs a single value.`);
      if (col.type === 'datetime' && [value].flat().some((v) => typeof v !== 'string' || Number.isNaN(Date.parse(v)))) {
        return bad(`The value for '${column}' must be a datetime.`);
      }
      filters.push({ column, operator, value, ...(typeof key === 'string' ? { key } : {}) });
    }
    const operationId = randomUUID();
    const record: AzurePurgeRecord = {
      operationId,
      purgeId: `purge-${operationId}`,
      resourceId,
      kind,
      apiVersion,
      table: body.table,
      filters,
      clientId,
      status: 'pending',
      requestedAt: Date.now(),
    };
    this.purges.push(record);
    const requestId = randomUUID();
    return {
      status: 202,
      headers: {
        'x-ms-status-location': `${this.url}${resourceId}/operations/${record.purgeId}?api-version=${apiVersion}`,
        'x-ms-request-id': requestId,
        'x-ms-correlation-request-id': requestId,
      },
      body: { operationId },
    };
  }

  // KQL semantics of the purge operators over one row (workspace rows are compared in the
  // workspace form, so Success is a bool and _ResourceId the component's id).
  private matches(p: AzurePurgeRecord, table: ClassicTable, classicRow: TelemetryRow): boolean {
    const row = p.kind === 'workspace' ? this.store.workspaceRow(table, classicRow) : classicRow;
    const columns = p.kind === 'workspace' ? workspaceColumns(table) : classicColumns(table);
    return p.filters.every((f) => {
      const type = columns.find((c) => c.name === f.column)!.type;
      let v = row[f.column];
      if (f.key !== undefined) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[f.key] : undefined;
      if (v === null || v === undefined) return false;
      const num = (x: unknown) => (type === 'datetime' ? Date.parse(String(x)) : Number(x));
      const text = (x: unknown) => String(x);
      const list = [f.value].flat();
      switch (f.operator) {
        case '==':
          return type === 'datetime' || type === 'real' || type === 'int' || type === 'long' ? num(v) === num(f.value) : text(v) === text(f.value);
        case '=~':
          return text(v).toLowerCase() === text(f.value).toLowerCase();
        case 'in':
          return list.some((x) => text(x) === text(v));
        case 'in~':
          return list.some((x) => text(x).toLowerCase() === text(v).toLowerCase());
        case '>':
          return num(v) > num(f.value);
        case '>=':
          return num(v) >= num(f.value);
        case '<':
          return num(v) < num(f.value);
        case '<=':
          return num(v) <= num(f.value);
        case 'between':
          return num(v) >= num(list[0]) && num(v) <= num(list[1]);
        default:
          return false;
      }
    });
  }
}

/** The resource ARM id's kind, for adapters and tests. */
export function purgeKindOf(resourceId: string): AzurePurgeKind | undefined {
  const m = /\/providers\/(Microsoft\.Insights\/components|Microsoft\.OperationalInsights\/workspaces)\/[^/]+$/i.exec(resourceId);
  return m ? (/workspaces$/i.test(m[1]!) ? 'workspace' : 'component') : undefined;
}
