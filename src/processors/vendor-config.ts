// Processor credentials and endpoints, read once from the environment. Every base URL can be
// overridden so the adapters can be pointed at the local fakes (src/demo/fakes).
import { type MatchColumn, parseMatchColumns, type ResourceKind, resourceKind } from './app-insights/app-insights.schema.js';

type Env = Record<string, string | undefined>;

export interface VendorConfig {
  timeoutMs: number;
  auth0: { baseUrl: string; domain?: string; clientId?: string; clientSecret?: string };
  intercom: { baseUrl: string; accessToken?: string; version: string };
  /** maxEvents: events read per Amplitude id for an access request (more are reported as truncated). */
  amplitude: { baseUrl: string; apiKey?: string; secretKey?: string; requester: string; maxEvents: number };
  /** siteId: the site the product identifies users on (Identify API), so lookups also find them by user id. */
  hotjar: { baseUrl: string; clientId?: string; clientSecret?: string; organizationId?: string; siteId?: string };
  /**
   * loginUrl: the org's My Domain URL (https://<mydomain>.my.salesforce.com), the only host that
   * issues client-credentials tokens; no default.
   */
  pardot: { baseUrl: string; loginUrl?: string; businessUnitId?: string; clientId?: string; clientSecret?: string; salesforceApiVersion: string };
  /** subusers: usernames (`on-behalf-of`) whose suppressions are also read and cleared and for whom the recipient erasure job is also sent (it does not cascade). */
  sendgrid: { baseUrl: string; apiKey?: string; subusers: string[] };
  /**
   * Inline Manual's People API is not publicly documented (only its existence, per-site API tokens
   * and the "write access" flag are confirmed): base URL, paths and auth header are all settings.
   */
  inlineManual: {
    baseUrl: string;
    apiToken?: string;
    /** Path with `{email}`, answering a list of profiles (full-text search: filtered exactly here). */
    searchPath: string;
    /** Path with `{id}`, for reading and deleting one profile. */
    profilePath: string;
    authHeader: string;
    /** Prefix of the token in the auth header ('' = token alone). */
    authScheme: string;
  };
  /**
   * Azure Application Insights: an Entra app registration (client credentials) with Reader on the
   * component (query API, Data.Read) and Data Purger on the resource that holds the data.
   */
  appInsights: {
    tenantId?: string;
    clientId?: string;
    clientSecret?: string;
    /** The component's Application ID (API Access blade), for the query API. */
    appId?: string;
    /** ARM id of the classic component or of the Log Analytics workspace it writes to (the purge target). */
    resourceId?: string;
    resourceKind?: ResourceKind;
    /** Hosts only; the documented paths go under them. */
    loginUrl: string;
    managementUrl: string;
    queryUrl: string;
    matchColumns: MatchColumn[];
    /** Erasures pending within this window share one purge per (table, column); 0 = none. */
    purgeBatchMs: number;
  };
}

export function loadVendorConfig(env: Env = process.env): VendorConfig {
  const auth0Domain = hostname(env, 'AUTH0_DOMAIN');
  return {
    timeoutMs: int(env, 'VENDOR_HTTP_TIMEOUT_MS', 15000, 100, 600000),
    auth0: {
      baseUrl: url(env, 'AUTH0_BASE_URL', auth0Domain ? `https://${auth0Domain}` : ''),
      domain: auth0Domain,
      clientId: opt(env, 'AUTH0_CLIENT_ID'),
      clientSecret: opt(env, 'AUTH0_CLIENT_SECRET'),
    },
    intercom: {
      baseUrl: url(env, 'INTERCOM_BASE_URL', 'https://api.intercom.io'),
      accessToken: opt(env, 'INTERCOM_ACCESS_TOKEN'),
      version: match(env, 'INTERCOM_VERSION', '2.14', /^(\d+\.\d+|Unstable)$/),
    },
    amplitude: {
      baseUrl: url(env, 'AMPLITUDE_BASE_URL', 'https://amplitude.com'),
      apiKey: opt(env, 'AMPLITUDE_API_KEY'),
      secretKey: opt(env, 'AMPLITUDE_SECRET_KEY'),
      requester: match(env, 'AMPLITUDE_REQUESTER', 'privacy@localhost', /^[^\s@]+@[^\s@]+$/),
      maxEvents: int(env, 'AMPLITUDE_MAX_EVENTS', 20000, 1, 10_000_000),
    },
    hotjar: {
      baseUrl: url(env, 'HOTJAR_BASE_URL', 'https://api.hotjar.io'),
      clientId: opt(env, 'HOTJAR_CLIENT_ID'),
      clientSecret: opt(env, 'HOTJAR_CLIENT_SECRET'),
      organizationId: opt(env, 'HOTJAR_ORGANIZATION_ID') && match(env, 'HOTJAR_ORGANIZATION_ID', '', /^\d+$/),
      siteId: opt(env, 'HOTJAR_SITE_ID') && match(env, 'HOTJAR_SITE_ID', '', /^\d+$/),
    },
    pardot: pardotConfig(env),
    sendgrid: {
      baseUrl: url(env, 'SENDGRID_BASE_URL', 'https://api.sendgrid.com'),
      apiKey: opt(env, 'SENDGRID_API_KEY'),
      subusers: list(env, 'SENDGRID_SUBUSERS', /^[A-Za-z0-9._@+-]{1,64}$/, 'a comma-separated list of SendGrid subuser usernames'),
    },
    inlineManual: {
      // UNCONFIRMED default: the legacy SDKs use https://inlinemanual.com/api; the People API
      // version path is a guess. Check the vendor's developer docs before enabling.
      baseUrl: url(env, 'INLINE_MANUAL_BASE_URL', 'https://inlinemanual.com/api/v3'),
      apiToken: opt(env, 'INLINE_MANUAL_API_TOKEN'),
      searchPath: template(env, 'INLINE_MANUAL_SEARCH_PATH', '/people?search={email}', '{email}'),
      profilePath: template(env, 'INLINE_MANUAL_PROFILE_PATH', '/people/{id}', '{id}'),
      authHeader: match(env, 'INLINE_MANUAL_AUTH_HEADER', 'Authorization', /^[A-Za-z0-9-]+$/),
      authScheme: env.INLINE_MANUAL_AUTH_SCHEME === undefined ? 'Bearer' : env.INLINE_MANUAL_AUTH_SCHEME.trim(),
    },
    appInsights: appInsightsConfig(env),
  };
}

const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

function appInsightsConfig(env: Env): VendorConfig['appInsights'] {
  const tenantId = opt(env, 'APPINSIGHTS_TENANT_ID');
  // A tenant is named by its id or one of its verified domains (contoso.onmicrosoft.com).
  if (tenantId && !GUID.test(tenantId) && !/^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/.test(tenantId)) {
    throw bad('APPINSIGHTS_TENANT_ID', 'must be the Entra tenant id (a GUID) or one of its domain names');
  }
  const guid = (name: string) => {
    const v = opt(env, name);
    if (v !== undefined && !GUID.test(v)) throw bad(name, 'must be a GUID');
    return v;
  };
  const resourceId = opt(env, 'APPINSIGHTS_RESOURCE_ID')?.replace(/\/+$/, '');
  const kind = resourceId ? resourceKind(resourceId) : undefined;
  if (resourceId && !kind) {
    throw bad(
      'APPINSIGHTS_RESOURCE_ID',
      'must be the ARM id of an Application Insights component (/subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.Insights/components/<name>) ' +
        'or of a Log Analytics workspace (…/providers/Microsoft.OperationalInsights/workspaces/<name>)',
    );
  }
  let matchColumns: MatchColumn[];
  try {
    matchColumns = parseMatchColumns(opt(env, 'APPINSIGHTS_MATCH_COLUMNS') ?? 'user_AuthenticatedId,user_Id,customDimensions.email');
  } catch (err) {
    throw bad('APPINSIGHTS_MATCH_COLUMNS', (err as Error).message);
  }
  return {
    tenantId,
    clientId: guid('APPINSIGHTS_CLIENT_ID'),
    clientSecret: opt(env, 'APPINSIGHTS_CLIENT_SECRET'),
    appId: guid('APPINSIGHTS_APP_ID'),
    resourceId,
    resourceKind: kind,
    loginUrl: host(env, 'AZURE_LOGIN_URL', 'https://login.microsoftonline.com'),
    managementUrl: host(env, 'AZURE_MANAGEMENT_URL', 'https://management.azure.com'),
    queryUrl: host(env, 'APPINSIGHTS_QUERY_URL', 'https://api.applicationinsights.io'),
    matchColumns,
    purgeBatchMs: int(env, 'APPINSIGHTS_PURGE_BATCH_SECONDS', 300, 0, 3600) * 1000,
  };
}

/** A URL that is only a scheme and host (the documented paths are added to it). */
function host(env: Env, name: string, fallback: string): string {
  const v = url(env, name, fallback);
  if (new URL(v).pathname !== '/') throw bad(name, 'must be a scheme and host only, without a path (e.g. https://example.com)');
  return v;
}

function pardotConfig(env: Env): VendorConfig['pardot'] {
  const cfg = {
    baseUrl: url(env, 'PARDOT_BASE_URL', 'https://pi.pardot.com'),
    loginUrl: url(env, 'SALESFORCE_LOGIN_URL', '') || undefined,
    businessUnitId: opt(env, 'PARDOT_BUSINESS_UNIT_ID'),
    clientId: opt(env, 'SALESFORCE_CLIENT_ID'),
    clientSecret: opt(env, 'SALESFORCE_CLIENT_SECRET'),
    salesforceApiVersion: match(env, 'SALESFORCE_API_VERSION', '62.0', /^\d{2}\.0$/),
  };
  const wanted = cfg.businessUnitId && cfg.clientId && cfg.clientSecret;
  if (wanted && !cfg.loginUrl) {
    throw bad('SALESFORCE_LOGIN_URL', "must be set when Pardot is configured: your org's My Domain URL (https://<mydomain>.my.salesforce.com), the only host that issues client-credentials tokens");
  }
  if (cfg.loginUrl && /^https?:\/\/(login|test)\.salesforce\.com$/i.test(cfg.loginUrl)) {
    throw bad('SALESFORCE_LOGIN_URL', "must be your org's My Domain URL (https://<mydomain>.my.salesforce.com): login.salesforce.com and test.salesforce.com do not issue client-credentials tokens");
  }
  return cfg;
}

function opt(env: Env, name: string): string | undefined {
  const v = env[name]?.trim();
  return v ? v : undefined;
}

function bad(name: string, problem: string): Error {
  return new Error(`Invalid configuration: ${name} ${problem}`);
}

function url(env: Env, name: string, fallback: string): string {
  const v = opt(env, name) ?? fallback;
  if (v === '') return '';
  let parsed: URL;
  try {
    parsed = new URL(v);
  } catch {
    throw bad(name, 'must be an absolute http(s) URL');
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw bad(name, 'must be an http(s) URL');
  if (parsed.search || parsed.username || parsed.password) throw bad(name, 'must not carry a query or credentials');
  return v.replace(/\/+$/, '');
}

function hostname(env: Env, name: string): string | undefined {
  const v = opt(env, name);
  if (v !== undefined && !/^[A-Za-z0-9.-]+(:\d+)?$/.test(v)) throw bad(name, 'must be a host name such as tenant.eu.auth0.com');
  return v;
}

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const v = opt(env, name);
  if (v === undefined) return fallback;
  if (!/^\d+$/.test(v)) throw bad(name, 'must be a whole number');
  const n = Number(v);
  if (n < min || n > max) throw bad(name, `must be between ${min} and ${max}`);
  return n;
}

function match(env: Env, name: string, fallback: string, re: RegExp): string {
  const v = opt(env, name);
  if (v === undefined) return fallback;
  if (!re.test(v)) throw bad(name, 'has an invalid format');
  return v;
}

function list(env: Env, name: string, re: RegExp, what: string): string[] {
  const v = opt(env, name);
  if (v === undefined) return [];
  const items = v.split(',').map((x) => x.trim());
  if (items.some((x) => !re.test(x))) throw bad(name, `must be ${what}`);
  return [...new Set(items)];
}

function template(env: Env, name: string, fallback: string, placeholder: string): string {
  const v = opt(env, name) ?? fallback;
  if (!v.startsWith('/') || !v.includes(placeholder)) throw bad(name, `must be a path starting with / and containing ${placeholder}`);
  return v;
}
