// Hotjar User Lookup API: one endpoint for both rights. Hotjar answers with an acknowledgement
// only; the lookup report goes to the Hotjar account out of band, and deletion runs on Hotjar's
// side with no job id to poll. Response bodies are undocumented: any 2xx means accepted.
import type { AccessResult, DataSystem, ErasureResult, TaskContext } from '../../systems/data-system.js';
import { TokenCache } from '../http/token-cache.js';
import { VendorHttpClient } from '../http/vendor-http.js';
import type { VendorGate } from '../http/vendor-limiter.js';
import type { VendorConfig } from '../vendor-config.js';

const SCOPE_NOTE =
  'Hotjar links an e-mail only to survey and feedback responses given with consent; personal data inside recordings and heatmaps is not covered by the user lookup.';

export class HotjarAdapter implements DataSystem {
  readonly key = 'hotjar';
  readonly recipient = 'hotjar';
  readonly label = 'Hotjar';
  private readonly http: VendorHttpClient;
  private readonly tokens: TokenCache;

  constructor(private readonly cfg: VendorConfig['hotjar'], timeoutMs: number, gate?: VendorGate) {
    this.http = new VendorHttpClient({ vendor: 'Hotjar', baseUrl: cfg.baseUrl, timeoutMs, gate });
    this.tokens = new TokenCache(async (signal) => {
      const res = await this.http.request<{ access_token: string; expires_in?: number }>({
        method: 'POST',
        path: '/v1/oauth/token',
        form: { grant_type: 'client_credentials', client_id: cfg.clientId ?? '', client_secret: cfg.clientSecret ?? '' },
        signal,
      });
      return { accessToken: res.body.access_token, expiresIn: res.body.expires_in };
    }, 3600);
  }

  isConfigured(): boolean {
    return Boolean(this.cfg.baseUrl && this.cfg.clientId && this.cfg.clientSecret && this.cfg.organizationId);
  }

  async access(ctx: TaskContext): Promise<AccessResult> {
    const body = await this.lookup(ctx, false);
    // Whether Hotjar holds anything is only known from its report, so this says neither found nor not_found.
    return {
      outcome: 'action_required',
      items: [],
      records: [{ request: 'user-lookup', response: body ?? null }],
      note: `Hotjar accepted the user lookup; the report is delivered by Hotjar to the account out of band, not in the API response. ${SCOPE_NOTE}`,
    };
  }

  async erase(ctx: TaskContext): Promise<ErasureResult> {
    await ctx.saveRefs({ hotjarOrganizationId: this.cfg.organizationId });
    await this.lookup(ctx, true);
    return {
      outcome: 'scheduled',
      actions: [{ what: 'Hotjar data linked to the e-mail', count: 1, how: 'requested' }],
      retained: [],
      note: `Hotjar accepted the deletion request (delete_all_hits); it gives no job id to follow. ${SCOPE_NOTE}`,
    };
  }

  private async lookup(ctx: TaskContext, deleteAllHits: boolean): Promise<unknown> {
    return this.tokens.withToken(async (token) => {
      const res = await this.http.request({
        method: 'POST',
        path: `/v1/organizations/${encodeURIComponent(this.cfg.organizationId ?? '')}/user-lookup`,
        json: { data_subject_email: ctx.subject.email, delete_all_hits: deleteAllHits },
        headers: { authorization: `Bearer ${token}` },
        signal: ctx.signal,
      });
      return res.body;
    }, ctx.signal);
  }
}
