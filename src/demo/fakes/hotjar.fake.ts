// Hotjar fake: client-credentials token (POST /v1/oauth/token, form-encoded only), then the User
// Lookup endpoint POST /v1/organizations/{organization_id}/user-lookup for lookups
// (delete_all_hits false) and deletions (true). Written from vendors.md §4, §8, §9.2 and §10.
// Traps kept:
// - Hotjar holds two kinds of data: survey/feedback responses linked to an e-mail (given with
//   consent), and identified users' data under (site id, user id) sent with Identify. A lookup finds
//   the first by `data_subject_email` and the second only by `data_subject_site_id_to_user_id_map`
//   (site id → the product's user id): an e-mail-only lookup misses identified users' data (§10).
// - At least one identifier is required; the body is JSON; the organization must be the caller's.
// - The lookup result is never in the HTTP answer: Hotjar sends a report to the account, recorded
//   here in `reports` ("report sent to the Hotjar account"). A deletion removes the matching data.
// - Tokens expire (1 hour per a third-party source); credentials can be expired (they live 1 year).
// UNCONFIRMED (configurable): the lookup's status and body (`lookupStatus`/`lookupBody`, default 200
// {}); error bodies; 403 for a plan without API access; case-insensitive e-mail matching; the
// rate-limit signal (a bare 429 here).
import { type FakeRequest, type FakeResponse, FakeVendorServer, type FakeServerOptions } from './fake-server.js';

/** One piece of data Hotjar holds about a person. */
export interface HotjarFakeHit {
  id: number;
  kind: 'response' | 'identified';
  /** For responses: the e-mail given with consent. */
  email?: string;
  /** For identified users: the site and the product's user id sent with Identify. */
  siteId?: string;
  userId?: string;
  data: unknown;
}

export interface HotjarLookup {
  email?: string;
  siteUserIds?: Record<string, string>;
  deleteAllHits: boolean;
  /** How many hits matched (and, for deletions, were removed). */
  matched: number;
  at: number;
}

/** What Hotjar delivers out of band after a lookup (never in the HTTP answer). */
export interface HotjarReport {
  delivery: 'report sent to the Hotjar account';
  deleteAllHits: boolean;
  hits: HotjarFakeHit[];
  at: number;
}

export interface HotjarFakeOptions extends FakeServerOptions {
  clientId?: string;
  clientSecret?: string;
  organizationId?: string;
  /** The site the product identifies users on (for seeding and HOTJAR_SITE_ID). */
  siteId?: string;
  tokenTtlSec?: number;
  lookupStatus?: number;
  lookupBody?: unknown;
}

const error = (status: number, message: string): FakeResponse => ({ status, body: { error: status === 401 ? 'unauthorized' : 'error', message } });

export class HotjarFake extends FakeVendorServer {
  readonly name = 'hotjar';
  readonly clientId: string;
  readonly clientSecret: string;
  readonly organizationId: string;
  readonly siteId: string;
  readonly hits: HotjarFakeHit[] = [];
  readonly lookups: HotjarLookup[] = [];
  readonly reports: HotjarReport[] = [];
  lookupStatus: number;
  lookupBody: unknown;
  /** The API key (client id + secret) is past its one-year life. */
  credentialsExpired = false;
  /** The organization's plan has no API access (Scale plans only). */
  apiPlan = true;
  private readonly ttl: number;
  private seq = 0;

  constructor(opts: HotjarFakeOptions = {}) {
    super(opts);
    this.clientId = opts.clientId ?? 'fake-hotjar-client';
    this.clientSecret = opts.clientSecret ?? 'fake-hotjar-secret';
    this.organizationId = opts.organizationId ?? '1234567';
    this.siteId = opts.siteId ?? '4567890';
    this.ttl = opts.tokenTtlSec ?? 3600;
    this.lookupStatus = opts.lookupStatus ?? 200;
    this.lookupBody = opts.lookupBody ?? {};
  }

  // ---- seeding and inspection ----

  /** A survey/feedback response given with this e-mail (with consent to link it). */
  addResponse(email: string, data: unknown = { survey: 'NPS', answer: '9' }): HotjarFakeHit {
    return this.addHit({ kind: 'response', email: email.toLowerCase(), data });
  }

  /** An identified user's data: user attributes sent with Identify on a site. */
  addIdentifiedUser(siteId: string | number, userId: string, attributes: Record<string, unknown> = {}): HotjarFakeHit {
    return this.addHit({ kind: 'identified', siteId: String(siteId), userId, data: attributes });
  }

  /** A person as Hotjar may hold them: responses under an e-mail and/or an identified user. */
  addSubject(s: { email?: string; responses?: unknown[]; siteId?: string | number; userId?: string; attributes?: Record<string, unknown> }): HotjarFakeHit[] {
    const out: HotjarFakeHit[] = [];
    if (s.email) for (const r of s.responses?.length ? s.responses : [{ survey: 'NPS', answer: '9' }]) out.push(this.addResponse(s.email, r));
    if (s.userId) out.push(this.addIdentifiedUser(s.siteId ?? this.siteId, s.userId, s.attributes));
    return out;
  }

  /** The hits a lookup with these identifiers would find. */
  dataFor(q: { email?: string; siteUserIds?: Record<string, string> }): HotjarFakeHit[] {
    const email = q.email?.toLowerCase();
    return this.hits.filter(
      (h) =>
        (email !== undefined && h.kind === 'response' && h.email === email) ||
        (q.siteUserIds !== undefined && h.kind === 'identified' && q.siteUserIds[h.siteId!] === h.userId),
    );
  }

  private addHit(h: Omit<HotjarFakeHit, 'id'>): HotjarFakeHit {
    const hit = { ...h, id: ++this.seq };
    this.hits.push(hit);
    return hit;
  }

  protected clearStore(): void {
    this.hits.length = 0;
    this.lookups.length = 0;
    this.reports.length = 0;
    this.credentialsExpired = false;
    this.apiPlan = true;
  }

  protected tooManyRequests(): FakeResponse {
    // Hotjar documents a per-IP limit (3000/min) but not its signal: a bare 429.
    return { status: 429, body: { message: 'Too many requests' } };
  }

  // ---- HTTP ----

  protected handle(req: FakeRequest): FakeResponse {
    if (req.path === '/v1/oauth/token') return req.method === 'POST' ? this.token(req) : error(405, 'Method not allowed');
    const m = /^\/v1\/organizations\/([^/]+)\/user-lookup$/.exec(req.path);
    if (!m) return error(404, 'Not found');
    if (!this.tokenValid(req.headers.authorization)) return error(401, 'Invalid or expired access token');
    if (req.method !== 'POST') return error(405, 'Method not allowed');
    if (m[1] !== this.organizationId) return error(404, 'Organization not found');
    if (!this.apiPlan) return error(403, 'The API is available on Scale plans only');
    if (!String(req.headers['content-type'] ?? '').includes('application/json') || typeof req.body !== 'object' || req.body === null) {
      return error(400, 'The request body must be JSON');
    }
    const b = req.body as Record<string, unknown>;
    const email = b.data_subject_email;
    const map = b.data_subject_site_id_to_user_id_map;
    if (email !== undefined && (typeof email !== 'string' || !/^[^\s@]+@[^\s@]+$/.test(email))) return error(400, 'data_subject_email must be an e-mail address');
    if (map !== undefined && !validMap(map)) return error(400, 'data_subject_site_id_to_user_id_map must map site ids to user ids');
    if (b.delete_all_hits !== undefined && typeof b.delete_all_hits !== 'boolean') return error(400, 'delete_all_hits must be a boolean');
    const siteUserIds = map === undefined ? undefined : Object.fromEntries(Object.entries(map as Record<string, string>).map(([k, v]) => [k, String(v)]));
    if (!email && (!siteUserIds || Object.keys(siteUserIds).length === 0)) {
      return error(400, 'data_subject_email or data_subject_site_id_to_user_id_map is required');
    }
    const deleteAllHits = b.delete_all_hits === true;
    const found = this.dataFor({ email: email as string | undefined, siteUserIds });
    if (deleteAllHits) for (const h of found) this.hits.splice(this.hits.indexOf(h), 1);
    this.lookups.push({ email: (email as string | undefined)?.toLowerCase(), siteUserIds, deleteAllHits, matched: found.length, at: Date.now() });
    this.reports.push({ delivery: 'report sent to the Hotjar account', deleteAllHits, hits: found, at: Date.now() });
    return { status: this.lookupStatus, body: this.lookupBody };
  }

  private token(req: FakeRequest): FakeResponse {
    if (!String(req.headers['content-type'] ?? '').includes('application/x-www-form-urlencoded')) {
      return { status: 400, body: { error: 'invalid_request', error_description: 'The request must be application/x-www-form-urlencoded' } };
    }
    const b = (req.body ?? {}) as Record<string, string>;
    if (b.grant_type !== 'client_credentials') return { status: 400, body: { error: 'unsupported_grant_type' } };
    if (b.client_id !== this.clientId || b.client_secret !== this.clientSecret || this.credentialsExpired) {
      return { status: 401, body: { error: 'invalid_client' } };
    }
    return { status: 200, body: { access_token: this.issueToken(this.ttl), token_type: 'Bearer', expires_in: this.ttl } };
  }
}

function validMap(map: unknown): boolean {
  if (typeof map !== 'object' || map === null || Array.isArray(map)) return false;
  return Object.entries(map).every(([site, user]) => /^\d+$/.test(site) && (typeof user === 'string' ? user !== '' : typeof user === 'number'));
}
