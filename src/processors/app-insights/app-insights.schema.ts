// Application Insights telemetry tables and columns, in the classic names the query API resolves
// (requests, user_AuthenticatedId, customDimensions) and the workspace names a Log Analytics purge
// needs (AppRequests, UserAuthenticatedId, Properties). Sources: azure-monitor-docs
// app/convert-classic-resource.md ("Table structure") and the workspace table references
// (reference/tables/AppRequests etc.).

export const TABLES = ['requests', 'pageViews', 'customEvents', 'traces', 'exceptions', 'dependencies'] as const;
export type Table = (typeof TABLES)[number];

export const WORKSPACE_TABLES: Record<Table, string> = {
  requests: 'AppRequests',
  pageViews: 'AppPageViews',
  customEvents: 'AppEvents',
  traces: 'AppTraces',
  exceptions: 'AppExceptions',
  dependencies: 'AppDependencies',
};

/** String columns every one of the six tables carries: the only plain columns allowed as match columns. */
export const COMMON_STRING_COLUMNS = [
  'operation_Name', 'operation_Id', 'operation_ParentId', 'operation_SyntheticSource', 'session_Id', 'user_Id',
  'user_AuthenticatedId', 'user_AccountId', 'application_Version', 'client_Type', 'client_Model', 'client_OS', 'client_IP',
  'client_City', 'client_StateOrProvince', 'client_CountryOrRegion', 'client_Browser', 'cloud_RoleName', 'cloud_RoleInstance',
] as const;

/**
 * Free-text columns searched for the e-mail address (a product may log it in a message). Purged by
 * their exact text with `in`: a purge filter has no `has`/`contains`.
 */
export const TEXT_COLUMNS: Partial<Record<Table, readonly string[]>> = {
  traces: ['message'],
  exceptions: ['message', 'outerMessage', 'innermostMessage'],
};
export const ALL_TEXT_COLUMNS = [...new Set(Object.values(TEXT_COLUMNS).flat())];

// Classic → workspace names where more than "capitalise and drop the underscore" changes.
const RENAMED: Record<string, string> = {
  customDimensions: 'Properties',
  customMeasurements: 'Measurements',
  timestamp: 'TimeGenerated',
  operation_ParentId: 'ParentId',
  operation_SyntheticSource: 'SyntheticSource',
  application_Version: 'AppVersion',
  cloud_RoleName: 'AppRoleName',
  cloud_RoleInstance: 'AppRoleInstance',
  sdkVersion: 'SDKVersion',
  iKey: 'IKey',
  appId: 'ResourceGUID',
  itemType: 'Type',
  duration: 'DurationMs',
};

/** The workspace (Log Analytics) name of a classic column: user_AuthenticatedId → UserAuthenticatedId. */
export function workspaceColumn(classic: string): string {
  if (classic in RENAMED) return RENAMED[classic]!;
  return (classic.charAt(0).toUpperCase() + classic.slice(1)).replace(/_/g, '');
}

/** A column the subject's identifiers are compared with: a plain column, or a custom dimension. */
export interface MatchColumn {
  /** As configured: user_AuthenticatedId or customDimensions.email. */
  name: string;
  /** The classic column (customDimensions for a custom dimension). */
  column: string;
  /** The custom dimension's property name. */
  key?: string;
}

/** Parses APPINSIGHTS_MATCH_COLUMNS; throws a message (without the variable's name) when an entry is wrong. */
export function parseMatchColumns(text: string): MatchColumn[] {
  const out: MatchColumn[] = [];
  for (const raw of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const dim = /^customDimensions\.(.+)$/.exec(raw);
    if (dim) {
      if (!/^[A-Za-z0-9_][A-Za-z0-9_ .:-]*$/.test(dim[1]!)) throw new Error(`has a custom dimension name KQL cannot take as given ("${raw}")`);
      out.push({ name: raw, column: 'customDimensions', key: dim[1] });
    } else if ((COMMON_STRING_COLUMNS as readonly string[]).includes(raw)) {
      out.push({ name: raw, column: raw });
    } else {
      throw new Error(
        `names "${raw}", which is neither a string column of every telemetry table (e.g. user_AuthenticatedId, user_Id, user_AccountId, session_Id) nor customDimensions.<property>`,
      );
    }
  }
  if (!out.length) throw new Error('must name at least one column');
  if (new Set(out.map((c) => c.name)).size !== out.length) throw new Error('names a column twice');
  return out;
}

/**
 * A KQL string literal: double-quoted, with backslash, quote and the usual control characters
 * escaped. Other control characters have no escape KQL documents for every engine: refused.
 */
export function kqlString(value: string): string {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(value)) throw new Error('a control character cannot be put in a KQL string literal');
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t')}"`;
}

/** The KQL expression of a match column, as a string: tostring(user_Id), tostring(customDimensions["email"]). */
export function matchExpr(c: MatchColumn): string {
  return c.key === undefined ? `tostring(${c.column})` : `tostring(${c.column}[${kqlString(c.key)}])`;
}

export type ResourceKind = 'component' | 'workspace';

const RESOURCE_ID =
  /^\/subscriptions\/[0-9a-fA-F-]{36}\/resourceGroups\/[-\w._()]{1,90}\/providers\/(Microsoft\.Insights\/components|Microsoft\.OperationalInsights\/workspaces)\/[-\w.]{1,260}$/i;

/** The kind of an ARM id: a classic component or a Log Analytics workspace; undefined for anything else. */
export function resourceKind(id: string): ResourceKind | undefined {
  const m = RESOURCE_ID.exec(id);
  if (!m) return undefined;
  return /workspaces$/i.test(m[1]!) ? 'workspace' : 'component';
}

/** Purge api-versions (azure-rest-api-specs: components_API.json 2020-02-02, WorkspacePurge.json 2020-08-01). */
export const PURGE_API_VERSION: Record<ResourceKind, string> = { component: '2020-02-02', workspace: '2020-08-01' };
