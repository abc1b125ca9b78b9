// Hotjar User Lookup API: one endpoint for both rights, by e-mail (survey and feedback responses
// linked with consent) and, when HOTJAR_SITE_ID is set and the product knows the user id, by
// (site id → user id) for users identified with the Identify API (an e-mail alone misses them).
// Hotjar answers with an acknowledgement only:
//  - access: the lookup report goes to the company's Hotjar account, never in the API answer, so
//    the outcome is action_required with an officer action to forward it (never found/not_found);
//  - erasure: delete_all_hits runs on Hotjar's side with no job id to follow → scheduled.
// Personal data inside recordings and heatmaps is not covered by the user lookup at all.
import { erasureOutcome, type AccessResult, type DataSystem, type ErasureResult, type TaskContext } from '../../systems/data-system.js';
import { TokenCache } from '../http/token-cache.js';
import { VendorHttpClient } from '../http/vendor-http.js';
import type { VendorGate } from '../http/vendor-limiter.js';
import type { VendorConfig } from '../vendor-config.js';

const NOT_COVERED = "personal data inside recordings and heatmaps: Hotjar's user lookup does not search them";

interface Identifiers {
  body: { data_subject_email: string; data_subject_site_id_to_user_id_map?: Record<string, string> };
  /** What the lookup searched by, in words. */
  by: string;
  /** What it could not search by, and why (undefined when nothing is missing). */
  missing?: string;
}

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
    const ident = this.identifiers(ctx);
    // A re-run does not send a second lookup (Hotjar would send a second report).
    let done = ctx.refs.hotjarLookup as { at: string; response: unknown } | undefined;
    if (!done?.at) {
      const response = await this.lookup(ctx, ident, false);
      done = { at: new Date().toISOString(), response: response ?? null };
      await ctx.saveRefs({ hotjarLookup: done });
    }
    const org = this.cfg.organizationId;
    const instructions = [
      `Hotjar does not return the result of a user lookup through its API: it sends a User Lookup report to the company's Hotjar account (organization ${org}).`,
      `1. In Hotjar, find the User Lookup report Hotjar sent for this lookup: requested at ${done.at} (request ${ctx.requestId}) by ${ident.by}.`,
      '2. Review it: check that every entry is about this subject.',
      '3. Send the report to the subject through the secure channel the company uses for access reports, then mark this action done.',
      `Tell the subject what it does not cover: ${NOT_COVERED}${ident.missing ? `; ${ident.missing}` : ''}.`,
    ].join('\n');
    return {
      outcome: 'action_required',
      items: [],
      records: [{ request: 'Hotjar user lookup', requestedAt: done.at, lookedUpBy: ident.by, response: done.response }],
      officerActions: [{ kind: 'hotjar_forward_report', outcomeWhenDone: 'forwarded', dueInDays: 7, instructions }],
      note:
        `Hotjar accepted the user lookup (by ${ident.by}); its report goes to the company's Hotjar account, not into this answer, and an officer forwards it. ` +
        `Not covered: ${NOT_COVERED}${ident.missing ? `; ${ident.missing}` : ''}.`,
    };
  }

  async erase(ctx: TaskContext): Promise<ErasureResult> {
    const ident = this.identifiers(ctx);
    let at = typeof ctx.refs.hotjarDeletionAt === 'string' ? ctx.refs.hotjarDeletionAt : undefined;
    if (!at) {
      await this.lookup(ctx, ident, true);
      at = new Date().toISOString();
      await ctx.saveRefs({ hotjarOrganizationId: this.cfg.organizationId, hotjarDeletionAt: at });
    }
    const actions: ErasureResult['actions'] = [{ what: `Hotjar data found by a user lookup by ${ident.by}`, count: 1, how: 'requested' }];
    return {
      outcome: erasureOutcome({ actions, retained: [] }),
      actions,
      retained: [],
      remains: `Not covered by this deletion: ${NOT_COVERED}, so Hotjar keeps what they hold${ident.missing ? `; ${ident.missing}` : ''}.`,
      note: `Hotjar accepted the deletion request (delete_all_hits) at ${at}; it gives no job id to follow.`,
    };
  }

  private identifiers(ctx: TaskContext): Identifiers {
    const email = ctx.subject.email;
    const { siteId } = this.cfg;
    const userId = ctx.subject.userId;
    if (siteId && userId) {
      return {
        body: { data_subject_email: email, data_subject_site_id_to_user_id_map: { [siteId]: userId } },
        by: `the subject's e-mail address and user id ${userId} on site ${siteId}`,
      };
    }
    return {
      body: { data_subject_email: email },
      by: "the subject's e-mail address",
      // Without a product account there is no user id the product could have sent with Identify.
      missing: userId ? 'data of users identified with the Identify API was not looked up, as HOTJAR_SITE_ID is not set' : undefined,
    };
  }

  private async lookup(ctx: TaskContext, ident: Identifiers, deleteAllHits: boolean): Promise<unknown> {
    return this.tokens.withToken(async (token) => {
      const res = await this.http.request({
        method: 'POST',
        path: `/v1/organizations/${encodeURIComponent(this.cfg.organizationId ?? '')}/user-lookup`,
        json: { ...ident.body, delete_all_hits: deleteAllHits },
        headers: { authorization: `Bearer ${token}` },
        signal: ctx.signal,
      });
      return res.body;
    }, ctx.signal);
  }
}
