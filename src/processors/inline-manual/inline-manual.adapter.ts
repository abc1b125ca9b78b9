// Inline Manual People API. UNCONFIRMED: only the API's existence, per-site tokens and the
// "write access" flag needed to delete are documented publicly. Base URL, paths and the auth
// header are settings (see vendor-config.ts); check them against the vendor's developer docs.
import type { AccessResult, DataSystem, ErasureResult, TaskContext } from '../../systems/data-system.js';
import { Items, isoDate, joinName, mergeIds, notFound, stripSecrets } from '../common.js';
import { VendorHttpClient } from '../http/vendor-http.js';
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
    for (const id of await this.findIds(ctx)) {
      const res = await this.http.request<Profile | { data?: Profile }>({ path: this.profilePath(id), okStatuses: [404], signal: ctx.signal });
      if (res.status === 404) continue;
      const p = unwrap(res.body);
      const where = `Inline Manual profile ${p.id}`;
      items
        .add('email', p.email, where)
        .add('name', p.name ?? joinName(p.first_name, p.last_name), where)
        .add('user_creation_date', isoDate(p.created_at), where);
      records.push(stripSecrets(p));
    }
    if (records.length === 0) return notFound();
    return { outcome: 'found', items: items.list, records, note: 'Inline Manual API paths are configured, not vendor-confirmed.' };
  }

  async erase(ctx: TaskContext): Promise<ErasureResult> {
    const ids = mergeIds(ctx.refs, 'inlineManualProfileIds', await this.findIds(ctx));
    if (ids.length === 0) return { outcome: 'not_found', actions: [], retained: [] };
    await ctx.saveRefs({ inlineManualProfileIds: ids });
    // 404: deleted by an earlier attempt. Deleting needs a token with write access (else 403 → auth).
    for (const id of ids) await this.http.request({ method: 'DELETE', path: this.profilePath(id), okStatuses: [404], signal: ctx.signal });
    return { outcome: 'erased', actions: [{ what: 'Inline Manual user profile', count: ids.length, how: 'deleted' }], retained: [] };
  }

  // The search is full-text, so it can return other people: keep exact e-mail matches only.
  private async findIds(ctx: TaskContext): Promise<string[]> {
    const path = this.cfg.searchPath.replace('{email}', encodeURIComponent(ctx.subject.email));
    const res = await this.http.request<unknown>({ path, okStatuses: [404], signal: ctx.signal });
    if (res.status === 404) return [];
    return listOf(res.body)
      .filter((p) => typeof p.email === 'string' && p.email.toLowerCase() === ctx.subject.email.toLowerCase())
      .map((p) => String(p.id));
  }

  private profilePath(id: string): string {
    return this.cfg.profilePath.replace('{id}', encodeURIComponent(id));
  }
}

function unwrap(body: Profile | { data?: Profile }): Profile {
  const data = (body as { data?: Profile }).data;
  return data && typeof data === 'object' ? data : (body as Profile);
}

// Accepts a bare array or the usual envelopes, as the response shape is not documented.
function listOf(body: unknown): Profile[] {
  if (Array.isArray(body)) return body as Profile[];
  const b = (body ?? {}) as Record<string, unknown>;
  for (const k of ['data', 'people', 'profiles', 'results', 'items']) if (Array.isArray(b[k])) return b[k] as Profile[];
  return [];
}
