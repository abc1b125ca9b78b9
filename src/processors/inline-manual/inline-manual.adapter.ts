// Inline Manual People API. UNCONFIRMED: only the API's existence, per-site tokens, the "write
// access" flag needed to delete and a case-insensitive full-text search are documented publicly.
// Base URL, paths and the auth header are settings (see vendor-config.ts); because they are
// guesses, an answer that is not the People API's (a 404 or an HTML page on search) is an error
// naming the setting, never "not found", and every DELETE is confirmed by searching again.
import { DataSystemError, type AccessResult, type DataSystem, type ErasureResult, type TaskContext } from '../../systems/data-system.js';
import { Items, isoDate, joinName, mergeIds, notFound, stripSecrets } from '../common.js';
import { VendorHttpClient, type VendorResponse } from '../http/vendor-http.js';
import type { VendorGate } from '../http/vendor-limiter.js';
import type { VendorConfig } from '../vendor-config.js';

interface Profile {
  id: string | number;
  email?: string;
  name?: string;
  first_name?: string;
  last_name?: string;
  created_at?: string | number;
  [k: string]: unknown;
}

const NOTE = 'Inline Manual API paths are configured (INLINE_MANUAL_SEARCH_PATH, INLINE_MANUAL_PROFILE_PATH), not confirmed by the vendor.';

export class InlineManualAdapter implements DataSystem {
  readonly key = 'inline-manual';
  readonly recipient = 'inline-manual';
  readonly label = 'Inline Manual';
  private readonly http: VendorHttpClient;

  constructor(private readonly cfg: VendorConfig['inlineManual'], timeoutMs: number, gate?: VendorGate) {
    const auth = cfg.authScheme ? `${cfg.authScheme} ${cfg.apiToken}` : `${cfg.apiToken}`;
    this.http = new VendorHttpClient({ vendor: 'Inline Manual', baseUrl: cfg.baseUrl, timeoutMs, gate, headers: { [cfg.authHeader.toLowerCase()]: auth } });
  }

  isConfigured(): boolean {
    return Boolean(this.cfg.baseUrl && this.cfg.apiToken);
  }

  async access(ctx: TaskContext): Promise<AccessResult> {
    const items = new Items();
    const records: unknown[] = [];
    for (const found of await this.search(ctx)) {
      const res = await this.http.request<unknown>({ path: this.profilePath(found.id), okStatuses: [404], signal: ctx.signal });
      if (res.status === 404) {
        // Gone since the search (deleted meanwhile), or the profile path is wrong: the search tells.
        if ((await this.search(ctx)).some((p) => String(p.id) === String(found.id))) {
          throw new DataSystemError('permanent', `Inline Manual answered 404 for a profile its search returns: check INLINE_MANUAL_PROFILE_PATH (${this.cfg.profilePath})`, undefined, 404);
        }
        continue;
      }
      const p = unwrap(this.json(res, 'INLINE_MANUAL_PROFILE_PATH', this.cfg.profilePath));
      if (!p || String(p.id) !== String(found.id)) {
        throw new DataSystemError('permanent', `Inline Manual profile answer is not the profile asked for: check INLINE_MANUAL_PROFILE_PATH (${this.cfg.profilePath})`);
      }
      const where = `Inline Manual profile ${p.id}`;
      items
        .add('email', p.email, where)
        .add('name', p.name ?? joinName(p.first_name, p.last_name), where)
        .add('user_creation_date', isoDate(p.created_at), where);
      records.push(stripSecrets(p));
    }
    if (records.length === 0) return notFound(NOTE);
    return { outcome: 'found', items: items.list, records, note: NOTE };
  }

  async erase(ctx: TaskContext): Promise<ErasureResult> {
    const ids = mergeIds(ctx.refs, 'inlineManualProfileIds', (await this.search(ctx)).map((p) => String(p.id)));
    if (ids.length === 0) return { outcome: 'not_found', actions: [], retained: [], note: NOTE };
    await ctx.saveRefs({ inlineManualProfileIds: ids });
    // Needs a token with write access (else 403 → auth). A 404 means deleted only if the search agrees.
    const notFoundOnDelete: string[] = [];
    for (const id of ids) {
      const res = await this.http.request({ method: 'DELETE', path: this.profilePath(id), okStatuses: [404], signal: ctx.signal });
      if (res.status === 404) notFoundOnDelete.push(id);
    }
    const left = await this.search(ctx);
    if (left.length > 0) {
      const ours = left.filter((p) => ids.includes(String(p.id)));
      const why = ours.some((p) => notFoundOnDelete.includes(String(p.id)))
        ? `DELETE answered 404 for a profile the search still returns: check INLINE_MANUAL_PROFILE_PATH (${this.cfg.profilePath})`
        : ours.length
          ? `DELETE was accepted but the search still returns the profile: check INLINE_MANUAL_PROFILE_PATH (${this.cfg.profilePath})`
          : 'the search returns a profile with the subject\'s e-mail that appeared after the lookup';
      throw new DataSystemError('transient', `Inline Manual still lists ${left.length} profile(s) with the subject's e-mail after deletion: ${why}`);
    }
    return {
      outcome: 'erased',
      actions: [{ what: 'Inline Manual user profile', count: ids.length, how: 'deleted' }],
      retained: [],
      note: `${NOTE} Deletion confirmed: the search no longer finds the subject.`,
    };
  }

  /**
   * The subject's profiles: exact (case-insensitive) e-mail matches of the full-text search, which
   * also returns partial matches (longer addresses, names). Anything but a JSON list is an error.
   */
  private async search(ctx: TaskContext): Promise<Profile[]> {
    const setting = `INLINE_MANUAL_SEARCH_PATH (${this.cfg.searchPath})`;
    const path = this.cfg.searchPath.replace('{email}', encodeURIComponent(ctx.subject.email));
    const res = await this.http.request<unknown>({
      path,
      signal: ctx.signal,
      mapError: (status, _body, base) =>
        status === 404 ? new DataSystemError('permanent', `${base.message}: not the People search; check INLINE_MANUAL_BASE_URL and ${setting}`, undefined, 404) : undefined,
    });
    const list = listOf(this.json(res, 'INLINE_MANUAL_SEARCH_PATH', this.cfg.searchPath));
    if (!list) throw new DataSystemError('permanent', `Inline Manual search answered JSON without a list of profiles: check ${setting}`);
    const email = ctx.subject.email.toLowerCase();
    return list.filter((p) => p && typeof p.email === 'string' && p.email.toLowerCase() === email && (typeof p.id === 'string' || typeof p.id === 'number'));
  }

  /** The body of a JSON answer; an HTML page or other text means the path is not the API's. */
  private json(res: VendorResponse<unknown>, setting: string, value: string): unknown {
    const type = res.headers.get('content-type') ?? '';
    if (typeof res.body !== 'object' || res.body === null || !/json/i.test(type)) {
      throw new DataSystemError(
        'permanent',
        `Inline Manual answered HTTP ${res.status} with ${type.split(';')[0] || 'no content type'}, not JSON: check INLINE_MANUAL_BASE_URL and ${setting} (${value})`,
        undefined,
        res.status,
      );
    }
    return res.body;
  }

  private profilePath(id: string | number): string {
    return this.cfg.profilePath.replace('{id}', encodeURIComponent(String(id)));
  }
}

function unwrap(body: unknown): Profile | undefined {
  const b = body as { data?: unknown; id?: unknown };
  const p = b.data && typeof b.data === 'object' && !Array.isArray(b.data) ? b.data : b;
  return (p as Profile).id !== undefined ? (p as Profile) : undefined;
}

// A bare array or the usual envelopes, as the response shape is not documented.
function listOf(body: unknown): Profile[] | undefined {
  if (Array.isArray(body)) return body as Profile[];
  const b = (body ?? {}) as Record<string, unknown>;
  for (const k of ['data', 'people', 'profiles', 'results', 'items']) if (Array.isArray(b[k])) return b[k] as Profile[];
  return undefined;
}
