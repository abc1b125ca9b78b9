// Hotjar fake: form-encoded client-credentials token, then the User Lookup endpoint for lookups
// (delete_all_hits false) and deletions (true). The response body is undocumented, so it is
// configurable (default {}); the subject's data is removed when a deletion is accepted.
import { type FakeRequest, type FakeResponse, FakeVendorServer, type FakeServerOptions } from './fake-server.js';

export interface HotjarFakeSubject {
  email: string;
  /** What Hotjar holds for the e-mail (survey/feedback responses), opaque here. */
  responses?: unknown[];
}

export interface HotjarLookup {
  email: string;
  deleteAllHits: boolean;
  at: number;
}

export interface HotjarFakeOptions extends FakeServerOptions {
  clientId?: string;
  clientSecret?: string;
  organizationId?: string;
  tokenTtlSec?: number;
  lookupStatus?: number;
  lookupBody?: unknown;
}

export class HotjarFake extends FakeVendorServer {
  readonly name = 'hotjar';
  readonly clientId: string;
  readonly clientSecret: string;
  readonly organizationId: string;
  readonly subjects = new Map<string, HotjarFakeSubject>();
  readonly lookups: HotjarLookup[] = [];
  lookupStatus: number;
  lookupBody: unknown;
  private readonly ttl: number;

  constructor(opts: HotjarFakeOptions = {}) {
    super(opts);
    this.clientId = opts.clientId ?? 'fake-hotjar-client';
    this.clientSecret = opts.clientSecret ?? 'fake-hotjar-secret';
    this.organizationId = opts.organizationId ?? '1234567';
    this.ttl = opts.tokenTtlSec ?? 3600;
    this.lookupStatus = opts.lookupStatus ?? 200;
    this.lookupBody = opts.lookupBody ?? {};
  }

  addSubject(s: HotjarFakeSubject): HotjarFakeSubject {
    const subject = { responses: [], ...s, email: s.email.toLowerCase() };
    this.subjects.set(subject.email, subject);
    return subject;
  }

  protected clearStore(): void {
    this.subjects.clear();
    this.lookups.length = 0;
  }

  protected tooManyRequests(): FakeResponse {
    // Hotjar documents a per-IP limit (3000/min) but not its signal: a bare 429.
    return { status: 429, body: { message: 'Too many requests' } };
  }

  protected handle(req: FakeRequest): FakeResponse {
    if (req.method === 'POST' && req.path === '/v1/oauth/token') {
      if (!String(req.headers['content-type'] ?? '').includes('application/x-www-form-urlencoded')) {
        return { status: 400, body: { error: 'invalid_request', error_description: 'form-encoded body required' } };
      }
      const b = (req.body ?? {}) as Record<string, string>;
      if (b.grant_type !== 'client_credentials') return { status: 400, body: { error: 'unsupported_grant_type' } };
      if (b.client_id !== this.clientId || b.client_secret !== this.clientSecret) return { status: 401, body: { error: 'invalid_client' } };
      return { status: 200, body: { access_token: this.issueToken(this.ttl), token_type: 'Bearer', expires_in: this.ttl } };
    }
    if (!this.tokenValid(req.headers.authorization)) return { status: 401, body: { message: 'Unauthorized' } };
    const m = /^\/v1\/organizations\/([^/]+)\/user-lookup$/.exec(req.path);
    if (!m || req.method !== 'POST') return { status: 404, body: { message: 'Not found' } };
    if (m[1] !== this.organizationId) return { status: 404, body: { message: 'Organization not found' } };
    const b = (req.body ?? {}) as { data_subject_email?: string; data_subject_site_id_to_user_id_map?: unknown; delete_all_hits?: boolean };
    if (!b.data_subject_email && !b.data_subject_site_id_to_user_id_map) return { status: 400, body: { message: 'data_subject_email or data_subject_site_id_to_user_id_map is required' } };
    const email = (b.data_subject_email ?? '').toLowerCase();
    this.lookups.push({ email, deleteAllHits: b.delete_all_hits === true, at: Date.now() });
    if (b.delete_all_hits === true) this.subjects.delete(email);
    return { status: this.lookupStatus, body: this.lookupBody };
  }
}
