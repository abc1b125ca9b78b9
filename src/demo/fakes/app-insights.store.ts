// The telemetry that the Application Insights fakes share: the query API fake reads it, the ARM
// purge fake deletes from it. Rows are kept in the classic schema (requests, pageViews, …); the
// workspace view (AppRequests, …) is derived with the documented column mapping.
// Sources: table and column names and types per MicrosoftDocs/azure-monitor-docs
// articles/azure-monitor/app/convert-classic-resource.md ("Table structure", "Table schemas");
// column order of `requests` as in azure-rest-api-specs applicationinsights data-plane
// examples/query-get.json; `client_IP` is 0.0.0.0 unless the app overrides it and user ids,
// session ids and customDimensions hold personal data (azure-monitor-docs
// articles/azure-monitor/logs/personal-data-mgmt.md, "Application data").
import { randomBytes, randomUUID } from 'node:crypto';

/** Column types as the query API names them in `columns[].type`. */
export type KqlType = 'string' | 'datetime' | 'real' | 'int' | 'long' | 'bool' | 'dynamic';

export interface ColumnDef {
  name: string;
  type: KqlType;
}

export type ClassicTable = 'requests' | 'pageViews' | 'customEvents' | 'traces' | 'exceptions' | 'dependencies';
export const CLASSIC_TABLES: readonly ClassicTable[] = ['requests', 'pageViews', 'customEvents', 'traces', 'exceptions', 'dependencies'];

/** Workspace-based table names (Log Analytics), per the migration doc's "Table structure". */
export const WORKSPACE_TABLES: Record<ClassicTable, string> = {
  requests: 'AppRequests',
  pageViews: 'AppPageViews',
  customEvents: 'AppEvents',
  traces: 'AppTraces',
  exceptions: 'AppExceptions',
  dependencies: 'AppDependencies',
};

/** A row in the classic schema; datetimes as ISO strings, dynamic columns as plain objects. */
export type TelemetryRow = Record<string, unknown>;

const s = (name: string): ColumnDef => ({ name, type: 'string' });
const dims: ColumnDef[] = [{ name: 'customDimensions', type: 'dynamic' }, { name: 'customMeasurements', type: 'dynamic' }];

// Columns every classic table carries, after its own ones.
const COMMON: ColumnDef[] = [
  s('operation_Name'), s('operation_Id'), s('operation_ParentId'), s('operation_SyntheticSource'),
  s('session_Id'), s('user_Id'), s('user_AuthenticatedId'), s('user_AccountId'), s('application_Version'),
  s('client_Type'), s('client_Model'), s('client_OS'), s('client_IP'), s('client_City'), s('client_StateOrProvince'),
  s('client_CountryOrRegion'), s('client_Browser'), s('cloud_RoleName'), s('cloud_RoleInstance'),
  s('appId'), s('appName'), s('iKey'), s('sdkVersion'), s('itemId'), s('itemType'), { name: 'itemCount', type: 'int' },
];

const OWN: Record<ClassicTable, ColumnDef[]> = {
  requests: [
    { name: 'timestamp', type: 'datetime' }, s('id'), s('source'), s('name'), s('url'), s('success'), s('resultCode'),
    { name: 'duration', type: 'real' }, s('performanceBucket'), ...dims,
  ],
  pageViews: [{ name: 'timestamp', type: 'datetime' }, s('id'), s('name'), s('url'), { name: 'duration', type: 'real' }, s('performanceBucket'), ...dims],
  customEvents: [{ name: 'timestamp', type: 'datetime' }, s('name'), ...dims],
  traces: [{ name: 'timestamp', type: 'datetime' }, s('message'), { name: 'severityLevel', type: 'int' }, ...dims],
  exceptions: [
    { name: 'timestamp', type: 'datetime' }, s('problemId'), s('handledAt'), s('type'), s('message'), s('assembly'), s('method'),
    s('outerType'), s('outerMessage'), s('outerAssembly'), s('outerMethod'), s('innermostType'), s('innermostMessage'),
    s('innermostAssembly'), s('innermostMethod'), { name: 'severityLevel', type: 'int' }, { name: 'details', type: 'dynamic' }, ...dims,
  ],
  dependencies: [
    { name: 'timestamp', type: 'datetime' }, s('id'), s('target'), s('type'), s('name'), s('data'), s('success'), s('resultCode'),
    { name: 'duration', type: 'real' }, s('performanceBucket'), ...dims,
  ],
};

const ITEM_TYPE: Record<ClassicTable, string> = {
  requests: 'request', pageViews: 'pageView', customEvents: 'customEvent', traces: 'trace', exceptions: 'exception', dependencies: 'dependency',
};

export function classicColumns(table: ClassicTable): ColumnDef[] {
  return [...OWN[table], ...COMMON];
}

// Classic → workspace column names where more than the first letter changes (migration doc).
const RENAMED: Record<string, string | null> = {
  timestamp: 'TimeGenerated', customDimensions: 'Properties', customMeasurements: 'Measurements', itemType: 'Type',
  appId: 'ResourceGUID', appName: null, itemId: null, application_Version: 'AppVersion', cloud_RoleInstance: 'AppRoleInstance',
  cloud_RoleName: 'AppRoleName', operation_ParentId: 'ParentId', operation_SyntheticSource: 'SyntheticSource', sdkVersion: 'SDKVersion', iKey: 'IKey', duration: 'DurationMs',
};

/** The workspace name of a classic column, or null where the workspace schema dropped it. */
export function workspaceColumnName(table: ClassicTable, classic: string): string | null {
  if (classic === 'type') return table === 'exceptions' ? 'ExceptionType' : 'DependencyType';
  if (classic in RENAMED) return RENAMED[classic]!;
  // operation_Id → OperationId, user_AuthenticatedId → UserAuthenticatedId, url → Url, …
  const cap = classic.charAt(0).toUpperCase() + classic.slice(1);
  return cap.replace(/_/g, '');
}

/** Workspace columns of a table: the mapped classic columns plus `_ResourceId` (the component's ARM id). */
export function workspaceColumns(table: ClassicTable): ColumnDef[] {
  const out: ColumnDef[] = [];
  for (const c of classicColumns(table)) {
    const name = workspaceColumnName(table, c.name);
    // `success` is a string in the classic schema and a Bool in the workspace one.
    if (name) out.push({ name, type: c.name === 'success' ? 'bool' : c.type });
  }
  out.push(s('_ResourceId'));
  return out;
}

export function classicTableOf(workspaceTable: string): ClassicTable | undefined {
  return CLASSIC_TABLES.find((t) => WORKSPACE_TABLES[t] === workspaceTable);
}

/** The classic column behind a workspace column name (`_ResourceId` maps to itself). */
export function classicColumnOf(table: ClassicTable, workspaceColumn: string): string | undefined {
  if (workspaceColumn === '_ResourceId') return '_ResourceId';
  return classicColumns(table).find((c) => workspaceColumnName(table, c.name) === workspaceColumn)?.name;
}

export interface AppInsightsStoreOptions {
  /** "Application ID" from the API Access blade (the query API's {appId}). */
  appId?: string;
  appName?: string;
  iKey?: string;
  /** ARM id of the Application Insights component (workspace rows carry it as `_ResourceId`). */
  componentResourceId?: string;
}

/** Who a subject is, as the product's telemetry would carry them. */
export interface AppInsightsSubject {
  /** The product's user id, set as the authenticated user context (user_AuthenticatedId). */
  userId: string;
  email: string;
  /** The SDK's anonymous cookie id (user_Id); random when not given. */
  anonymousId?: string;
  ip?: string;
  city?: string;
  stateOrProvince?: string;
  country?: string;
  browser?: string;
  os?: string;
  /** client_Type (e.g. PC, Browser). */
  device?: string;
  model?: string;
  /** Account creation date, sent as a custom dimension. */
  createdAt?: string;
  /** Age of the subject's rows (default: spread over the last few hours). */
  at?: Date;
}

export interface SeededAppInsightsSubject {
  userId: string;
  email: string;
  anonymousId: string;
  sessionId: string;
  rows: Record<ClassicTable, TelemetryRow[]>;
}

export class AppInsightsTelemetryStore {
  readonly appId: string;
  readonly appName: string;
  readonly iKey: string;
  readonly componentResourceId: string;
  private readonly tables = new Map<ClassicTable, TelemetryRow[]>();

  constructor(opts: AppInsightsStoreOptions = {}) {
    this.appId = opts.appId ?? '34adfa4f-cedf-4dc0-ba29-b6d1a69ab345';
    this.appName = opts.appName ?? 'product-web';
    this.iKey = opts.iKey ?? '5a2e4e0c-e136-4a15-9824-90ba859b0a89';
    this.componentResourceId =
      opts.componentResourceId ?? '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/product-rg/providers/Microsoft.Insights/components/product-web';
    this.clear();
  }

  clear(): void {
    for (const t of CLASSIC_TABLES) this.tables.set(t, []);
  }

  /** Adds one telemetry item; missing columns get the SDK's defaults or null. */
  add(table: ClassicTable, row: TelemetryRow = {}): TelemetryRow {
    const full: TelemetryRow = {};
    for (const c of classicColumns(table)) full[c.name] = null;
    Object.assign(full, {
      timestamp: new Date().toISOString(),
      itemType: ITEM_TYPE[table],
      itemId: randomUUID(),
      itemCount: 1,
      appId: this.appId,
      appName: this.appName,
      iKey: this.iKey,
      sdkVersion: 'javascript:3.3.4',
      client_IP: '0.0.0.0',
      operation_Id: randomBytes(16).toString('hex'),
      customDimensions: {},
    });
    for (const [k, v] of Object.entries(row)) {
      if (!(k in full)) throw new Error(`${table} has no column ${k}`);
      full[k] = v instanceof Date ? v.toISOString() : v;
    }
    this.tables.get(table)!.push(full);
    return full;
  }

  rows(table: ClassicTable): TelemetryRow[] {
    return this.tables.get(table)!;
  }

  /** The table's rows as the workspace (Log Analytics) schema shows them. */
  workspaceRows(table: ClassicTable): TelemetryRow[] {
    return this.rows(table).map((r) => this.workspaceRow(table, r));
  }

  /** One classic row as the workspace schema shows it. */
  workspaceRow(table: ClassicTable, row: TelemetryRow): TelemetryRow {
    const out: TelemetryRow = {};
    for (const [k, v] of Object.entries(row)) {
      const name = workspaceColumnName(table, k);
      if (name) out[name] = k === 'success' && typeof v === 'string' ? v.toLowerCase() === 'true' : v;
    }
    out._ResourceId = this.componentResourceId;
    return out;
  }

  /** Rows of every table that satisfy `pred`, for assertions. */
  find(pred: (row: TelemetryRow, table: ClassicTable) => boolean): { table: ClassicTable; row: TelemetryRow }[] {
    return CLASSIC_TABLES.flatMap((table) => this.rows(table).filter((r) => pred(r, table)).map((row) => ({ table, row })));
  }

  /** Removes the rows of one table that satisfy `pred`; returns how many went. */
  remove(table: ClassicTable, pred: (row: TelemetryRow) => boolean): number {
    const rows = this.rows(table);
    const keep = rows.filter((r) => !pred(r));
    this.tables.set(table, keep);
    return rows.length - keep.length;
  }

  count(table?: ClassicTable): number {
    return (table ? [table] : CLASSIC_TABLES).reduce((n, t) => n + this.rows(t).length, 0);
  }

  /**
   * Seeds a subject across the tables the way a web product's SDK would: the product user id as
   * the authenticated user, the e-mail in customDimensions, the (overridden) client IP, location,
   * browser, OS and device on every item, and the e-mail once inside a trace message only.
   */
  seedSubject(subj: AppInsightsSubject): SeededAppInsightsSubject {
    const anonymousId = subj.anonymousId ?? randomBytes(11).toString('base64url').slice(0, 14);
    const sessionId = randomBytes(11).toString('base64url').slice(0, 14);
    const base = (subj.at ?? new Date(Date.now() - 3 * 3600_000)).getTime();
    let step = 0;
    const at = () => new Date(base + 60_000 * step++).toISOString();
    const who: TelemetryRow = {
      user_Id: anonymousId,
      user_AuthenticatedId: subj.userId,
      session_Id: sessionId,
      client_IP: subj.ip ?? '203.0.113.7',
      client_City: subj.city ?? 'Lisbon',
      client_StateOrProvince: subj.stateOrProvince ?? 'Lisbon',
      client_CountryOrRegion: subj.country ?? 'Portugal',
      client_Browser: subj.browser ?? 'Firefox 128.0',
      client_OS: subj.os ?? 'Linux',
      client_Type: subj.device ?? 'PC',
      client_Model: subj.model ?? null,
    };
    const custom = { email: subj.email, ...(subj.createdAt ? { userCreatedAt: subj.createdAt } : {}) };
    const rows: Record<ClassicTable, TelemetryRow[]> = {
      requests: [
        this.add('requests', { ...who, timestamp: at(), id: randomBytes(8).toString('hex'), name: 'GET /api/projects', url: 'https://app.example.test/api/projects', success: 'True', resultCode: '200', duration: 42.5, performanceBucket: '<250ms', customDimensions: { ...custom } }),
        this.add('requests', { ...who, timestamp: at(), id: randomBytes(8).toString('hex'), name: 'POST /api/comments', url: 'https://app.example.test/api/comments', success: 'False', resultCode: '500', duration: 812.0, performanceBucket: '500ms-1sec', customDimensions: { ...custom } }),
      ],
      pageViews: [
        this.add('pageViews', { ...who, timestamp: at(), id: randomBytes(8).toString('hex'), name: 'Projects', url: 'https://app.example.test/projects', duration: 1204.0, performanceBucket: '1sec-3sec', customDimensions: { ...custom } }),
      ],
      customEvents: [
        this.add('customEvents', { ...who, timestamp: at(), name: 'ProjectOpened', customDimensions: { ...custom, projectId: 'p-1' } }),
      ],
      traces: [
        this.add('traces', { ...who, timestamp: at(), message: 'Loaded project list', severityLevel: 1, customDimensions: { ...custom } }),
        // The e-mail only inside the message text (no user columns): found by text search alone.
        this.add('traces', { timestamp: at(), message: `Password reset mail queued for ${subj.email}`, severityLevel: 1, customDimensions: {} }),
      ],
      exceptions: [
        this.add('exceptions', { ...who, timestamp: at(), problemId: 'TypeError at renderComments', handledAt: 'UserCode', type: 'TypeError', message: "Cannot read properties of undefined (reading 'id')", outerType: 'TypeError', outerMessage: "Cannot read properties of undefined (reading 'id')", severityLevel: 3, details: [{ outerId: '0', message: "Cannot read properties of undefined (reading 'id')", type: 'TypeError' }], customDimensions: { ...custom } }),
      ],
      dependencies: [
        this.add('dependencies', { ...who, timestamp: at(), id: randomBytes(8).toString('hex'), target: 'api.example.test', type: 'Ajax', name: 'GET /api/projects', data: 'https://api.example.test/api/projects', success: 'True', resultCode: '200', duration: 38.1, performanceBucket: '<250ms', customDimensions: { ...custom } }),
      ],
    };
    return { userId: subj.userId, email: subj.email, anonymousId, sessionId, rows };
  }
}
