// Pardot (Salesforce Account Engagement) API v5 prospects: a Salesforce OAuth token plus the
// business unit header on every call; query by e-mail (several prospects with AMPSEA), read each,
// delete each. DELETE moves a prospect to the recycle bin; a repeat answers 404.
import { DataSystemError, type AccessResult, type DataSystem, type ErasureResult, type TaskContext } from '../../systems/data-system.js';
import { Items, mergeIds, notFound, stripSecrets } from '../common.js';
import { TokenCache } from '../http/token-cache.js';
import { VendorHttpClient, type VendorRequest } from '../http/vendor-http.js';
import type { VendorGate } from '../http/vendor-limiter.js';
import type { VendorConfig } from '../vendor-config.js';
import { PROSPECT_FIELDS, type PardotProspect, mapPardotProspect } from './pardot.mapping.js';

interface ProspectPage {
  values?: PardotProspect[];
  nextPageToken?: string | null;
}

// Pardot signals limits in the body code, whatever the HTTP status.
export function mapPardotError(status: number, body: unknown, base: DataSystemError): DataSystemError | undefined {
  const code = (body as { code?: unknown } | undefined)?.code;
  if (code === 66) return new DataSystemError('rate_limited', `${base.message}: concurrent request limit`, 1000, status);
  if (code === 122) return new DataSystemError('rate_limited', `${base.message}: daily API quota used`, msToNextUtcDay(), status);
  // Salesforce answers 400 invalid_client / invalid_grant for bad client credentials.
  const oauth = (body as { error?: unknown } | undefined)?.error;
  if (status === 400 && (oauth === 'invalid_client' || oauth === 'invalid_grant' || oauth === 'unauthorized_client')) {
    return new DataSystemError('auth', base.message, undefined, status);
  }
  return undefined;
}

function msToNextUtcDay(now = new Date()): number {
  return Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1) - now.getTime();
}

export class PardotAdapter implements DataSystem {
  readonly key = 'pardot';
  readonly recipient = 'pardot';
  readonly label = 'Pardot (Salesforce Account Engagement)';
  private readonly http: VendorHttpClient;
  private readonly tokens: TokenCache;

  constructor(private readonly cfg: VendorConfig['pardot'], timeoutMs: number, gate?: VendorGate) {
    this.http = new VendorHttpClient({ vendor: 'Pardot', baseUrl: cfg.baseUrl, timeoutMs, gate });
    this.tokens = new TokenCache(async (signal) => {
      const res = await this.http.request<{ access_token: string; expires_in?: number }>({
        method: 'POST',
        path: `${cfg.loginUrl}/services/oauth2/token`,
        form: { grant_type: 'client_credentials', client_id: cfg.clientId ?? '', client_secret: cfg.clientSecret ?? '' },
        mapError: mapPardotError,
        signal,
      });
      return { accessToken: res.body.access_token, expiresIn: res.body.expires_in };
    }, 1800); // Salesforce token responses carry no expires_in; refresh on 401 covers shorter sessions
  }

  isConfigured(): boolean {
    return Boolean(this.cfg.baseUrl && this.cfg.loginUrl && this.cfg.businessUnitId && this.cfg.clientId && this.cfg.clientSecret);
  }

  async access(ctx: TaskContext): Promise<AccessResult> {
    const items = new Items();
    const records: unknown[] = [];
    for (const id of await this.findIds(ctx)) {
      const res = await this.api<PardotProspect>(ctx, { path: `/api/v5/objects/prospects/${id}`, query: { fields: PROSPECT_FIELDS }, okStatuses: [404] });
      if (res.status === 404) continue; // deleted since the query
      mapPardotProspect(items, res.body);
      records.push(stripSecrets(res.body));
    }
    if (records.length === 0) return notFound();
    return { outcome: 'found', items: items.list, records };
  }

  async erase(ctx: TaskContext): Promise<ErasureResult> {
    const ids = mergeIds(ctx.refs, 'pardotProspectIds', await this.findIds(ctx));
    if (ids.length === 0) return { outcome: 'not_found', actions: [], retained: [] };
    await ctx.saveRefs({ pardotProspectIds: ids });
    // 404: already in the recycle bin (an earlier attempt) or gone.
    for (const id of ids) await this.api(ctx, { method: 'DELETE', path: `/api/v5/objects/prospects/${id}`, okStatuses: [404] });
    return {
      outcome: 'erased',
      actions: [{ what: 'Pardot prospect', count: ids.length, how: 'deleted' }],
      retained: [],
      note: 'Pardot moves deleted prospects to its recycle bin (restorable until purged there); the synced Salesforce lead or contact is not deleted by this call.',
    };
  }

  private async findIds(ctx: TaskContext): Promise<number[]> {
    const ids: number[] = [];
    let pageToken: string | undefined;
    do {
      // With a page token only `fields` may accompany it; filters on the first page only.
      const query = pageToken ? { fields: 'id', nextPageToken: pageToken } : { fields: 'id,email', email: ctx.subject.email };
      const res = await this.api<ProspectPage>(ctx, { path: '/api/v5/objects/prospects', query });
      ids.push(...(res.body?.values ?? []).map((p) => p.id));
      pageToken = res.body?.nextPageToken ?? undefined;
    } while (pageToken);
    return ids;
  }

  private api<T>(ctx: TaskContext, req: VendorRequest) {
    return this.tokens.withToken(
      (token) =>
        this.http.request<T>({
          ...req,
          headers: { authorization: `Bearer ${token}`, 'pardot-business-unit-id': this.cfg.businessUnitId ?? '' },
          mapError: mapPardotError,
          signal: ctx.signal,
        }),
      ctx.signal,
    );
  }
}
