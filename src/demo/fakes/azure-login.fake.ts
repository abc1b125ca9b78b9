// Microsoft Entra ID token endpoint fake (login.microsoftonline.com), client-credentials grant only:
// v1 `POST /{tenant}/oauth2/token` (resource=…) and v2 `POST /{tenant}/oauth2/v2.0/token`
// (scope=<resource>/.default). The tokens it issues carry their audience; the Application Insights
// query fake and the ARM fake share its TokenRegistry and refuse a token meant for the other.
// vendors.md §9.4 (4d). Traps reproduced:
// - form-encoded bodies only: a JSON body is not read, so grant_type is "missing" (AADSTS900144);
// - v1 answers with expires_in / ext_expires_in / expires_on / not_before as strings and echoes
//   `resource` (azure-monitor-docs app/azure-ad-authentication.md sample: "expires_in": "86399");
//   v2 answers numbers and no resource (entra-docs v2-oauth2-client-creds-grant-flow.md);
// - v2 refuses `resource` (AADSTS901002) and needs `scope` ending in /.default; v1 needs `resource`;
// - a scope or resource the tenant does not know → AADSTS500011 invalid_resource;
// - unknown tenant → AADSTS90002, /common and /consumers → AADSTS9001023, unknown client →
//   AADSTS700016, missing secret → AADSTS7000218 (401), wrong secret → AADSTS7000215 (401);
// - error bodies {error, error_description "AADSTSnnnn: …\r\nTrace ID: …\r\nCorrelation ID: …\r\n
//   Timestamp: …", error_codes, timestamp, trace_id, correlation_id, error_uri} (entra-docs
//   reference-error-codes.md and the v2 client-credentials doc's error response).
// UNCONFIRMED: the HTTP status per AADSTS code (400 except invalid_client → 401, per RFC 6749 §5.2);
// the exact wording of AADSTS900144 for a missing v1 `resource`; the 429 Entra sends when throttling
// (AADSTS90055 TenantThrottlingError is documented, its status and Retry-After are not).
import { randomUUID } from 'node:crypto';
import { type FakeRequest, type FakeResponse, FakeVendorServer, type FakeServerOptions } from './fake-server.js';

export interface AzureLoginClient {
  clientId: string;
  clientSecret: string;
}

export interface AzureLoginFakeOptions extends FakeServerOptions {
  tenantId?: string;
  /** Verified domain names that also resolve to the tenant (e.g. contoso.onmicrosoft.com). */
  tenantDomains?: string[];
  clientId?: string;
  clientSecret?: string;
  /** More app registrations in the tenant. */
  clients?: AzureLoginClient[];
  /** Resources (application ID URIs) that have a service principal in the tenant. */
  resources?: string[];
  tokenTtlSec?: number;
}

/** One token handed out, for assertions. */
export interface AzureIssuedToken {
  version: 'v1' | 'v2';
  clientId: string;
  audience: string;
  at: number;
}

export const APP_INSIGHTS_API_RESOURCE = 'https://api.applicationinsights.io';
export const ARM_RESOURCE = 'https://management.azure.com/';

// ARM accepts both of its application ID URIs, with or without the trailing slash
// (its InvalidAuthenticationTokenAudience message lists all four).
const DEFAULT_RESOURCES = [APP_INSIGHTS_API_RESOURCE, ARM_RESOURCE, 'https://management.core.windows.net/'];

/** Resource identifiers compared as Entra does for these ones: trailing slashes do not matter. */
export function sameResource(a: string, b: string): boolean {
  return a.replace(/\/+$/, '').toLowerCase() === b.replace(/\/+$/, '').toLowerCase();
}

export class AzureLoginFake extends FakeVendorServer {
  readonly name = 'azure-login';
  readonly tenantId: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly clients: AzureLoginClient[];
  readonly resources: string[];
  readonly issued: AzureIssuedToken[] = [];
  private readonly tenantDomains: string[];
  private readonly ttl: number;

  constructor(opts: AzureLoginFakeOptions = {}) {
    super(opts);
    this.tenantId = opts.tenantId ?? 'f3b5c1a2-7d4e-4c1b-9a8e-2b6d0c9e1f00';
    this.tenantDomains = (opts.tenantDomains ?? ['product.onmicrosoft.com']).map((d) => d.toLowerCase());
    this.clientId = opts.clientId ?? '6a1f9c3e-2b7d-4e8a-b5c4-0d9e8f7a6b51';
    this.clientSecret = opts.clientSecret ?? 'fake~entra~client~secret~value';
    this.clients = [{ clientId: this.clientId, clientSecret: this.clientSecret }, ...(opts.clients ?? [])];
    this.resources = opts.resources ?? DEFAULT_RESOURCES;
    this.ttl = opts.tokenTtlSec ?? 3599;
  }

  protected clearStore(): void {
    this.issued.length = 0;
  }

  protected tooManyRequests(resetAt: number): FakeResponse {
    const wait = Math.max(1, resetAt - Math.floor(Date.now() / 1000));
    return { ...this.aadError(429, 'temporarily_unavailable', 90055, 'There are too many incoming requests.'), headers: { 'retry-after': String(wait) } };
  }

  protected handle(req: FakeRequest): FakeResponse {
    const m = /^\/([^/]+)\/oauth2\/(v2\.0\/)?token$/.exec(req.path);
    if (!m) return { status: 404, body: '' };
    if (req.method !== 'POST') {
      return this.aadError(400, 'invalid_request', 900561, `The endpoint only accepts POST, OPTIONS requests. Received a ${req.method} request.`);
    }
    const v2 = Boolean(m[2]);
    const tenant = decodeURIComponent(m[1]!).toLowerCase();
    if (['common', 'consumers', 'organizations'].includes(tenant)) {
      return this.aadError(400, 'invalid_request', 9001023, 'The grant type is not supported over the /common or /consumers endpoints. Please use the /organizations or tenant-specific endpoint.');
    }
    if (tenant !== this.tenantId.toLowerCase() && !this.tenantDomains.includes(tenant)) {
      return this.aadError(400, 'invalid_request', 90002, `Tenant '${m[1]}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`);
    }
    // Only a form body is read; anything else leaves every parameter missing.
    const form = String(req.headers['content-type'] ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded');
    const b = (form && req.body && typeof req.body === 'object' ? req.body : {}) as Record<string, string | undefined>;
    const missing = (p: string) => this.aadError(400, 'invalid_request', 900144, `The request body must contain the following parameter: '${p}'.`);

    if (!b.grant_type) return missing('grant_type');
    if (b.grant_type !== 'client_credentials') {
      return this.aadError(400, 'unsupported_grant_type', 70003, `The app requested an unsupported grant type '${b.grant_type}'.`);
    }
    // client_secret_post, or client_secret_basic (both documented for v2).
    let clientId = b.client_id;
    let secret = b.client_secret;
    const basic = /^Basic (.+)$/i.exec(String(req.headers.authorization ?? ''));
    if (basic) {
      const [id, ...rest] = Buffer.from(basic[1]!, 'base64').toString('utf8').split(':');
      clientId ??= decodeURIComponent(id ?? '');
      secret ??= decodeURIComponent(rest.join(':'));
    }
    if (!clientId) return missing('client_id');

    let resource: string;
    let scopes: string[] = [];
    if (v2) {
      if (b.resource !== undefined) return this.aadError(400, 'invalid_request', 901002, "The 'resource' request parameter is not supported.");
      if (!b.scope) return missing('scope');
      scopes = b.scope.split(' ').filter(Boolean);
      const bad = scopes.find((s) => !s.endsWith('/.default'));
      if (bad) {
        return this.aadError(400, 'invalid_scope', 1002012, `The provided value for scope ${bad} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`);
      }
      const targets = new Set(scopes.map((s) => s.slice(0, -'/.default'.length).replace(/\/+$/, '').toLowerCase()));
      if (targets.size > 1) {
        return this.aadError(400, 'invalid_scope', 70011, `The provided value for the input parameter 'scope' is not valid. The scope ${b.scope} is not valid. All scopes must be for a single resource.`);
      }
      resource = scopes[0]!.slice(0, -'/.default'.length);
    } else {
      if (!b.resource) return missing('resource');
      resource = b.resource;
    }

    const client = this.clients.find((c) => c.clientId.toLowerCase() === clientId!.toLowerCase());
    if (!client) {
      return this.aadError(400, 'unauthorized_client', 700016, `Application with identifier '${clientId}' was not found in the directory '${m[1]}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`);
    }
    if (!secret) return this.aadError(401, 'invalid_client', 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.");
    if (secret !== client.clientSecret) {
      return this.aadError(401, 'invalid_client', 7000215, `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${client.clientId}'.`);
    }
    if (!this.resources.some((r) => sameResource(r, resource))) {
      return this.aadError(400, 'invalid_resource', 500011, `The resource principal named ${resource} was not found in the tenant named ${m[1]}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.`);
    }

    const token = this.issueToken(this.ttl, { scopes, audience: resource, clientId: client.clientId });
    this.issued.push({ version: v2 ? 'v2' : 'v1', clientId: client.clientId, audience: resource, at: Date.now() });
    const now = Math.floor(Date.now() / 1000);
    if (v2) return { status: 200, body: { token_type: 'Bearer', expires_in: this.ttl, ext_expires_in: this.ttl, access_token: token } };
    return {
      status: 200,
      body: {
        token_type: 'Bearer',
        expires_in: String(this.ttl),
        ext_expires_in: String(this.ttl),
        expires_on: String(now + this.ttl),
        not_before: String(now),
        resource,
        access_token: token,
      },
    };
  }

  private aadError(status: number, error: string, code: number, text: string): FakeResponse {
    const traceId = randomUUID();
    const correlationId = randomUUID();
    const timestamp = new Date().toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
    return {
      status,
      body: {
        error,
        error_description: `AADSTS${code}: ${text}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlationId}\r\nTimestamp: ${timestamp}`,
        error_codes: [code],
        timestamp,
        trace_id: traceId,
        correlation_id: correlationId,
        error_uri: `https://login.microsoftonline.com/error?code=${code}`,
      },
    };
  }
}
