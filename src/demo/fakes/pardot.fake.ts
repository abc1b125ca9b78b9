// Pardot (Account Engagement) API v5 fake, on its own host (pi.pardot.com); the OAuth token comes
// from the Salesforce fake (shared TokenRegistry), never from here. Written from vendors.md §5,
// §9.3 and §10. Traps kept:
// - Only tokens issued by the Salesforce fake whose scope includes `pardot_api` are accepted;
//   `Pardot-Business-Unit-Id` is required on every call.
// - `fields` is required on reads and queries and only the requested fields come back.
// - Query by `email` returns every prospect sharing it (AMPSEA). Pages: `limit` ≤ 1000 (default
//   200), `nextPageToken` (4 h life) with nothing but `fields` beside it; `deleted=false|true|all`.
// - DELETE → 204 into the recycle bin (restorable); a repeat DELETE and reads of recycled
//   prospects → 404 with `Pardot-Warning: 201;Record In Recycle Bin`. A later form fill by the same
//   e-mail brings a recycled prospect back (`formFill`). Permanent deletion is only a UI action on
//   the recycle bin, allowed once the synced Salesforce lead/contact is deleted (`permanentlyDelete`).
// - Limits in the body code: 5 concurrent requests → 66 (`enforceDocumentedLimits()` or
//   setRateLimit({maxConcurrent: 5})), daily quota → 122. Error bodies are {code, message}.
// - `ignoreEmailFilter` makes the e-mail query return other people's prospects too (as a filter the
//   API silently dropped would), to prove an adapter checks what it deletes.
// UNCONFIRMED (kept configurable or plausible): the HTTP status of limit answers (`limitStatus`,
// default 429); codes 13 (missing fields), 181 (missing business unit header) and 109 (not found)
// come from captured responses in third-party tests, 403 with code 201 for an unknown business
// unit from third-party test mocks, 184 (invalid token) from memory; the codes for unknown fields
// or parameters are guesses; the prospect field list follows the v5 camelCase names; the `email`
// filter itself (§5) and its case-insensitivity; refusing unknown query parameters
// (`rejectUnknownParams`).
import { randomBytes } from 'node:crypto';
import { type FakeRequest, type FakeResponse, FakeVendorServer, type FakeServerOptions } from './fake-server.js';
import type { SalesforceFake } from './salesforce.fake.js';

export interface PardotFakeProspect {
  id: number;
  email: string;
  firstName?: string;
  lastName?: string;
  jobTitle?: string;
  company?: string;
  industry?: string;
  phone?: string;
  city?: string;
  state?: string;
  country?: string;
  createdAt?: string;
  updatedAt?: string;
  /** Id of the synced Salesforce lead or contact (v5 `salesforceId`). */
  salesforceId?: string | null;
  crmLeadFid?: string | null;
  crmContactFid?: string | null;
  [k: string]: unknown;
}

export type PardotStoredProspect = PardotFakeProspect & { deleted: boolean };

export interface PardotFakeOptions extends FakeServerOptions {
  businessUnitId?: string;
  /** Page size of prospect queries when no `limit` is sent (Pardot: 200). */
  pageSize?: number;
  /** API calls allowed per UTC day (Growth 25,000 … Premium 100,000); unlimited by default. */
  dailyQuota?: number;
  /** HTTP status of limit answers (codes 66 and 122); the status is undocumented. */
  limitStatus?: number;
  /** The Salesforce fake the prospects sync with (for `permanentlyDelete`). */
  salesforce?: SalesforceFake;
  /** Misbehave: the `email` filter is dropped and the query returns every prospect. */
  ignoreEmailFilter?: boolean;
  /** Answer 400 to query parameters the fake does not know (default true). */
  rejectUnknownParams?: boolean;
}

export const PARDOT_CONCURRENT_LIMIT = 5;
const PAGE_TOKEN_TTL_MS = 4 * 3600_000;

const PROSPECT_FIELDS = new Set([
  'id', 'email', 'firstName', 'lastName', 'salutation', 'jobTitle', 'company', 'industry', 'phone', 'fax', 'website',
  'addressOne', 'addressTwo', 'city', 'state', 'zip', 'country', 'territory', 'annualRevenue', 'employees', 'department',
  'source', 'comments', 'notes', 'score', 'grade', 'optedOut', 'isDoNotEmail', 'isDoNotCall', 'isReviewed', 'isStarred',
  'isDeleted', 'doNotSell', 'isEmailHardBounced', 'emailBouncedAt', 'emailBouncedReason', 'createdAt', 'updatedAt',
  'lastActivityAt', 'recentInteraction', 'firstActivityAt', 'firstReferrerUrl', 'firstReferrerType', 'campaignId',
  'profileId', 'userId', 'prospectAccountId', 'salesforceId', 'salesforceUrl', 'salesforceLastSync', 'crmLeadFid',
  'crmContactFid', 'crmAccountFid', 'crmOwnerFid', 'createdById', 'updatedById',
]);
const QUERY_PARAMS = new Set(['fields', 'limit', 'orderBy', 'deleted', 'email', 'nextPageToken', 'idGreaterThan', 'idLessThan']);
const ORDERABLE = new Set(['id', 'createdAt', 'updatedAt', 'email']);

const err = (status: number, code: number, message: string, headers?: Record<string, string>): FakeResponse => ({ status, headers, body: { code, message } });
const RECYCLED = { 'pardot-warning': '201;Record In Recycle Bin' };

interface PageState {
  ids: number[];
  offset: number;
  limit: number;
  expiresAt: number;
}

export class PardotFake extends FakeVendorServer {
  readonly name = 'pardot';
  readonly businessUnitId: string;
  readonly prospects = new Map<number, PardotStoredProspect>();
  pageSize: number;
  dailyQuota?: number;
  limitStatus: number;
  ignoreEmailFilter: boolean;
  rejectUnknownParams: boolean;
  /** API calls counted against today's quota. */
  callsToday = 0;
  private quotaDay = '';
  private readonly salesforce?: SalesforceFake;
  private nextId = 1001;
  private pageTokens = new Map<string, PageState>();

  constructor(opts: PardotFakeOptions = {}) {
    super(opts);
    this.businessUnitId = opts.businessUnitId ?? '0Uv5g000000DsArCAG';
    this.pageSize = opts.pageSize ?? 200;
    this.dailyQuota = opts.dailyQuota;
    this.limitStatus = opts.limitStatus ?? 429;
    this.salesforce = opts.salesforce;
    this.ignoreEmailFilter = opts.ignoreEmailFilter ?? false;
    this.rejectUnknownParams = opts.rejectUnknownParams ?? true;
  }

  // ---- seeding and inspection ----

  addProspect(p: Partial<PardotFakeProspect> & { email: string }): PardotStoredProspect {
    const now = new Date().toISOString();
    const prospect: PardotStoredProspect = { createdAt: now, updatedAt: now, optedOut: false, isDoNotEmail: false, score: 0, ...p, id: p.id ?? this.nextId++, deleted: false };
    this.nextId = Math.max(this.nextId, prospect.id + 1);
    this.prospects.set(prospect.id, prospect);
    return prospect;
  }

  /** Prospects not in the recycle bin. */
  active(): PardotStoredProspect[] {
    return [...this.prospects.values()].filter((p) => !p.deleted);
  }

  /** Prospects in the recycle bin. */
  recycleBin(): PardotStoredProspect[] {
    return [...this.prospects.values()].filter((p) => p.deleted);
  }

  /** Undelete from the recycle bin (UI or the API's undelete). */
  restore(id: number): boolean {
    const p = this.prospects.get(id);
    if (!p?.deleted) return false;
    p.deleted = false;
    return true;
  }

  /**
   * The person fills a form again with this e-mail: an active prospect is updated, else a recycled
   * one comes back out of the recycle bin, else a new prospect is created (Salesforce help: a form
   * fill or click restores a recycled prospect).
   */
  formFill(email: string, fields: Partial<PardotFakeProspect> = {}): PardotStoredProspect {
    const same = [...this.prospects.values()].filter((p) => p.email.toLowerCase() === email.toLowerCase()).sort((a, b) => b.id - a.id);
    const target = same.find((p) => !p.deleted) ?? same[0];
    if (!target) return this.addProspect({ ...fields, email });
    Object.assign(target, fields, { deleted: false, updatedAt: new Date().toISOString(), lastActivityAt: new Date().toISOString() });
    return target;
  }

  /**
   * The officer's "permanently delete" action on the recycle bin (there is no API for it). Refused
   * unless the prospect is in the recycle bin and its synced Salesforce lead/contact is deleted.
   */
  permanentlyDelete(id: number): { deleted: boolean; reason?: string } {
    const p = this.prospects.get(id);
    if (!p) return { deleted: false, reason: 'no such prospect' };
    if (!p.deleted) return { deleted: false, reason: 'prospect is not in the recycle bin' };
    const synced = [p.salesforceId, p.crmLeadFid, p.crmContactFid].filter((x): x is string => typeof x === 'string' && x !== '');
    if (this.salesforce && synced.some((sfId) => this.salesforce!.state(sfId) === 'active')) {
      return { deleted: false, reason: 'the synced Salesforce lead or contact still exists' };
    }
    this.prospects.delete(id);
    return { deleted: true };
  }

  /** Applies Pardot's documented concurrency limit (5 requests at a time → code 66). */
  enforceDocumentedLimits(): this {
    return this.setRateLimit({ maxConcurrent: PARDOT_CONCURRENT_LIMIT });
  }

  /** Makes every issued page token older than its 4-hour life. */
  expirePageTokens(): void {
    for (const t of this.pageTokens.values()) t.expiresAt = 0;
  }

  protected clearStore(): void {
    this.prospects.clear();
    this.pageTokens.clear();
    this.callsToday = 0;
  }

  protected tooManyRequests(): FakeResponse {
    return err(this.limitStatus, 66, 'You have exceeded your concurrent request limit. Please wait, before trying again');
  }

  // ---- HTTP ----

  protected handle(req: FakeRequest): FakeResponse {
    if (!req.path.startsWith('/api/v5/')) return err(404, 404, 'Not found');
    const grant = this.tokens.check(req.headers.authorization);
    if (!grant) return err(401, 184, 'access_token is invalid, unverified, or has expired');
    if (!grant.scopes.includes('pardot_api')) return err(403, 49, 'Access Denied: the OAuth token is missing the pardot_api scope');
    const bu = req.headers['pardot-business-unit-id'];
    if (!bu) return err(400, 181, 'A required header is missing: Pardot-Business-Unit-Id header not found on request.');
    if (bu !== this.businessUnitId) return err(403, 201, 'Business Unit specified in Pardot-Business-Unit-Id header not found or inactive.');
    const quota = this.countCall();
    if (quota) return quota;

    const m = /^\/api\/v5\/objects\/prospects(?:\/([^/]+))?$/.exec(req.path);
    if (!m) return err(404, 404, 'Not found');
    if (!m[1]) return req.method === 'GET' ? this.query(req) : err(405, 405, 'Method not allowed');
    if (!/^\d+$/.test(m[1])) return err(400, 3, 'Invalid prospect ID');
    const p = this.prospects.get(Number(m[1]));
    const notFound = err(404, 109, 'The requested record was not found.');
    if (req.method === 'DELETE') {
      if (!p) return notFound;
      if (p.deleted) return err(404, 109, 'Object with the given ID does not exist or is in the recycle bin', RECYCLED);
      p.deleted = true;
      p.updatedAt = new Date().toISOString();
      return { status: 204 };
    }
    if (req.method !== 'GET') return err(405, 405, 'Method not allowed');
    const unknown = this.unknownParams(req, new Set(['fields', 'deleted']));
    if (unknown) return unknown;
    const fields = this.fields(req);
    if (!Array.isArray(fields)) return fields;
    const deleted = this.deletedParam(req);
    if (typeof deleted !== 'string') return deleted;
    if (!p) return notFound;
    if (p.deleted && deleted === 'false') return err(404, 109, 'Object with the given ID does not exist or is in the recycle bin', RECYCLED);
    if (!p.deleted && deleted === 'true') return notFound;
    return { status: 200, body: pick(p, fields) };
  }

  private countCall(): FakeResponse | undefined {
    const today = new Date().toISOString().slice(0, 10);
    if (today !== this.quotaDay) {
      this.quotaDay = today;
      this.callsToday = 0;
    }
    if (this.dailyQuota !== undefined && this.callsToday >= this.dailyQuota) return err(this.limitStatus, 122, 'Daily API rate limit met.');
    this.callsToday++;
    return undefined;
  }

  private unknownParams(req: FakeRequest, allowed: Set<string>): FakeResponse | undefined {
    if (!this.rejectUnknownParams) return undefined;
    const bad = [...req.query.keys()].find((k) => !allowed.has(k));
    return bad === undefined ? undefined : err(400, 5, `Invalid parameter: ${bad}`);
  }

  private fields(req: FakeRequest): string[] | FakeResponse {
    const f = req.query.get('fields');
    if (!f) return err(400, 13, 'One or more required parameters are missing: fields');
    const list = f.split(',').map((s) => s.trim()).filter(Boolean);
    const bad = list.find((x) => !PROSPECT_FIELDS.has(x) && !x.endsWith('__c'));
    if (bad !== undefined) return err(400, 5, `Invalid value specified for fields: ${bad}`);
    return list;
  }

  private deletedParam(req: FakeRequest): 'false' | 'true' | 'all' | FakeResponse {
    const d = req.query.get('deleted') ?? 'false';
    return d === 'false' || d === 'true' || d === 'all' ? d : err(400, 5, 'Invalid value specified for deleted: expected true, false or all');
  }

  private query(req: FakeRequest): FakeResponse {
    const token = req.query.get('nextPageToken');
    if (token !== null) {
      // Only `fields` may go with a page token.
      const extra = [...req.query.keys()].find((k) => k !== 'fields' && k !== 'nextPageToken');
      if (extra) return err(400, 5, `Parameter ${extra} cannot be specified with nextPageToken`);
    }
    const unknown = this.unknownParams(req, QUERY_PARAMS);
    if (unknown) return unknown;
    const fields = this.fields(req);
    if (!Array.isArray(fields)) return fields;
    let state: PageState;
    if (token !== null) {
      const t = this.pageTokens.get(token);
      if (!t || t.expiresAt < Date.now()) return err(400, 5, 'Invalid value specified for nextPageToken');
      this.pageTokens.delete(token);
      state = t;
    } else {
      const limitRaw = req.query.get('limit');
      const limit = limitRaw === null ? this.pageSize : Number(limitRaw);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) return err(400, 5, 'Invalid value specified for limit: must be between 1 and 1000');
      const deleted = this.deletedParam(req);
      if (typeof deleted !== 'string') return deleted;
      const order = (req.query.get('orderBy') ?? 'id asc').trim().split(/\s+/);
      if (!ORDERABLE.has(order[0]!) || order.length > 2 || (order[1] && !/^(asc|desc)$/i.test(order[1]))) {
        return err(400, 5, `Invalid value specified for orderBy: ${req.query.get('orderBy')}`);
      }
      const email = req.query.get('email');
      const gt = req.query.get('idGreaterThan');
      const lt = req.query.get('idLessThan');
      const rows = [...this.prospects.values()].filter(
        (p) =>
          (deleted === 'all' || p.deleted === (deleted === 'true')) &&
          (email === null || this.ignoreEmailFilter || p.email.toLowerCase() === email.toLowerCase()) &&
          (gt === null || p.id > Number(gt)) &&
          (lt === null || p.id < Number(lt)),
      );
      const key = order[0]!;
      const dir = order[1]?.toLowerCase() === 'desc' ? -1 : 1;
      rows.sort((a, b) => (String(a[key] ?? '').localeCompare(String(b[key] ?? ''), undefined, { numeric: true }) || a.id - b.id) * dir);
      state = { ids: rows.map((p) => p.id), offset: 0, limit, expiresAt: Date.now() + PAGE_TOKEN_TTL_MS };
    }
    const pageIds = state.ids.slice(state.offset, state.offset + state.limit);
    let next: string | null = null;
    if (state.offset + state.limit < state.ids.length) {
      next = randomBytes(12).toString('base64url');
      this.pageTokens.set(next, { ...state, offset: state.offset + state.limit });
    }
    return {
      status: 200,
      body: {
        values: pageIds.map((id) => this.prospects.get(id)).filter((p) => p !== undefined).map((p) => pick(p, fields)),
        nextPageToken: next,
        nextPageUrl: next ? `${this.url}/api/v5/objects/prospects?fields=${encodeURIComponent(fields.join(','))}&nextPageToken=${next}` : null,
      },
    };
  }
}

function pick(p: PardotStoredProspect, fields: string[]): Record<string, unknown> {
  return Object.fromEntries(fields.map((f) => [f, f === 'isDeleted' ? p.deleted : (p[f] ?? null)]));
}
