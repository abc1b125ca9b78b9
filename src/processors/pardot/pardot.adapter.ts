// Pardot (Salesforce Account Engagement) v5 prospects, and the Salesforce leads and contacts they
// sync with, through one connected app (client-credentials flow on the org's My Domain host, which
// answers with the REST `instance_url`).
//  - Prospects: query by e-mail (several with AMPSEA), every page asking for `id,email`, and only
//    exact (case-insensitive) matches are touched: if the query returns anyone else the task stops.
//    DELETE moves a prospect to Pardot's recycle bin (restorable; a later form fill revives it);
//    permanent deletion is a UI action only, after the synced Salesforce record is gone — an officer
//    action says exactly what to do.
//  - Salesforce: SOQL by Email on Lead and Contact; DELETE → Salesforce's recycle bin (restorable
//    for 15 days, then erased by Salesforce).
import {
  DataSystemError,
  erasureOutcome,
  type AccessResult,
  type DataSystem,
  type ErasureResult,
  type TaskContext,
} from '../../systems/data-system.js';
import { Items, mergeIds, notFound, stripSecrets } from '../common.js';
import { TokenCache } from '../http/token-cache.js';
import { VendorHttpClient, type VendorRequest } from '../http/vendor-http.js';
import type { VendorGate } from '../http/vendor-limiter.js';
import type { VendorConfig } from '../vendor-config.js';
import { PROSPECT_FIELDS, type PardotProspect, mapPardotProspect, mapSalesforceRecord, type SalesforceRecord } from './pardot.mapping.js';

const PAGE = 1000; // v5 query maximum
const SF_TYPES = ['Lead', 'Contact'] as const;
type SfType = (typeof SF_TYPES)[number];
const SF_FIELDS: Record<SfType, string> = {
  Lead: 'Id, Email, FirstName, LastName, Phone, MobilePhone, Company, Title, Industry, City, State, Country, LeadSource, CreatedDate',
  Contact: 'Id, Email, FirstName, LastName, Phone, MobilePhone, Title, MailingCity, MailingState, MailingCountry, LeadSource, CreatedDate',
};

interface ProspectPage {
  values?: PardotProspect[];
  nextPageToken?: string | null;
}

interface SoqlPage {
  records?: SalesforceRecord[];
  done?: boolean;
  nextRecordsUrl?: string;
}

// Pardot signals limits in the body code, whatever the HTTP status; Salesforce in errorCode.
export function mapPardotError(status: number, body: unknown, base: DataSystemError): DataSystemError | undefined {
  const code = (body as { code?: unknown } | undefined)?.code;
  if (code === 66) return new DataSystemError('rate_limited', `${base.message}: concurrent request limit`, 1000, status);
  if (code === 122) return new DataSystemError('rate_limited', `${base.message}: daily API quota used`, msToNextUtcDay(), status);
  // Salesforce answers 400 invalid_client / invalid_grant for bad client credentials or the wrong host.
  const oauth = (body as { error?: unknown } | undefined)?.error;
  if (status === 400 && typeof oauth === 'string' && /^(invalid_client|invalid_client_id|invalid_grant|unauthorized_client)$/.test(oauth)) {
    return new DataSystemError('auth', base.message, undefined, status);
  }
  const sf = Array.isArray(body) ? (body[0] as { errorCode?: unknown; message?: unknown } | undefined) : undefined;
  if (sf?.errorCode === 'REQUEST_LIMIT_EXCEEDED') {
    // The org's daily allocation ("TotalRequests Limit exceeded") comes back the next day; anything
    // else under this code (concurrent long requests) clears within seconds.
    const daily = typeof sf.message === 'string' && /TotalRequests/i.test(sf.message);
    return new DataSystemError('rate_limited', `${base.message}: Salesforce ${daily ? 'daily API allocation used' : 'API limit'}`, daily ? msToNextUtcDay() : 5_000, status);
  }
  return undefined;
}

function msToNextUtcDay(now = new Date()): number {
  return Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1) - now.getTime();
}

/** A SOQL string literal: backslashes and quotes escaped. */
export function soqlString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

export class PardotAdapter implements DataSystem {
  readonly key = 'pardot';
  readonly recipient = 'pardot';
  readonly label = 'Pardot (Salesforce Account Engagement)';
  private readonly http: VendorHttpClient;
  private readonly tokens: TokenCache;
  private instanceUrl?: string;

  constructor(private readonly cfg: VendorConfig['pardot'], timeoutMs: number, gate?: VendorGate) {
    this.http = new VendorHttpClient({ vendor: 'Pardot', baseUrl: cfg.baseUrl, timeoutMs, gate });
    this.tokens = new TokenCache(async (signal) => {
      const res = await this.http.request<{ access_token: string; instance_url?: string }>({
        method: 'POST',
        path: `${cfg.loginUrl}/services/oauth2/token`,
        form: { grant_type: 'client_credentials', client_id: cfg.clientId ?? '', client_secret: cfg.clientSecret ?? '' },
        mapError: mapPardotError,
        signal,
      });
      if (!res.body.instance_url) throw new DataSystemError('permanent', 'Salesforce token answer has no instance_url');
      this.instanceUrl = res.body.instance_url.replace(/\/+$/, '');
      return { accessToken: res.body.access_token };
    }, 1800); // Salesforce token responses carry no expires_in; refresh on 401 covers shorter sessions
  }

  isConfigured(): boolean {
    return Boolean(this.cfg.baseUrl && this.cfg.loginUrl && this.cfg.businessUnitId && this.cfg.clientId && this.cfg.clientSecret);
  }

  async access(ctx: TaskContext): Promise<AccessResult> {
    const items = new Items();
    const records: unknown[] = [];
    for (const p of await this.prospects(ctx, PROSPECT_FIELDS)) {
      mapPardotProspect(items, p);
      records.push({ pardotProspect: stripSecrets(p) });
    }
    for (const type of SF_TYPES) {
      for (const r of await this.salesforce(ctx, type, SF_FIELDS[type])) {
        mapSalesforceRecord(items, type, r);
        const { attributes: _a, ...fields } = r;
        records.push({ [`salesforce${type}`]: stripSecrets(fields) });
      }
    }
    if (records.length === 0) return notFound();
    return { outcome: 'found', items: items.list, records };
  }

  async erase(ctx: TaskContext): Promise<ErasureResult> {
    // Every id first, stored before anything is deleted (a retry never depends on a lookup that a
    // delete has made impossible: deleted records drop out of the queries).
    const prospectIds = mergeIds(ctx.refs, 'pardotProspectIds', (await this.prospects(ctx, 'id,email')).map((p) => p.id));
    const leadIds = mergeIds(ctx.refs, 'salesforceLeadIds', (await this.salesforce(ctx, 'Lead', 'Id, Email')).map((r) => r.Id));
    const contactIds = mergeIds(ctx.refs, 'salesforceContactIds', (await this.salesforce(ctx, 'Contact', 'Id, Email')).map((r) => r.Id));
    if (prospectIds.length + leadIds.length + contactIds.length === 0) return { outcome: 'not_found', actions: [], retained: [] };
    await ctx.saveRefs({ pardotProspectIds: prospectIds, salesforceLeadIds: leadIds, salesforceContactIds: contactIds });
    // Salesforce first: Pardot's permanent deletion needs the synced record gone.
    for (const [type, ids] of [['Lead', leadIds], ['Contact', contactIds]] as const) {
      for (const id of ids) {
        // 404: already in the recycle bin (ENTITY_IS_DELETED, an earlier attempt) or purged (NOT_FOUND).
        await this.sf(ctx, { method: 'DELETE', path: `/sobjects/${type}/${encodeURIComponent(id)}`, okStatuses: [404] });
      }
    }
    // 404 (with Pardot-Warning 201): already in the recycle bin from an earlier attempt.
    for (const id of prospectIds) await this.api(ctx, { method: 'DELETE', path: `/api/v5/objects/prospects/${id}`, okStatuses: [404] });

    const actions: ErasureResult['actions'] = [
      { what: 'Pardot prospect (moved to the Pardot recycle bin)', count: prospectIds.length, how: 'recycled' },
      { what: 'Salesforce lead (moved to the Salesforce recycle bin)', count: leadIds.length, how: 'recycled' },
      { what: 'Salesforce contact (moved to the Salesforce recycle bin)', count: contactIds.length, how: 'recycled' },
    ].filter((a) => a.count > 0) as ErasureResult['actions'];
    const sfCount = leadIds.length + contactIds.length;
    const officerActions = prospectIds.length
      ? [{
          kind: 'pardot_permanent_delete',
          outcomeWhenDone: 'erased',
          dueInDays: 7,
          instructions:
            `Pardot has no API for permanent deletion. In Account Engagement (business unit ${this.cfg.businessUnitId}), open ` +
            `Prospects → Recycle Bin and permanently delete prospect id(s) ${prospectIds.join(', ')}` +
            (sfCount ? `; then, in Salesforce Setup → Recycle Bin, permanently delete lead(s) ${leadIds.join(', ') || 'none'} and contact(s) ${contactIds.join(', ') || 'none'}` : '') +
            '. Until then the data can be restored, and a form fill or e-mail click from the same address brings a prospect back. ' +
            'Salesforce permits the permanent deletion of a prospect only once its synced lead or contact is deleted (done by us). ' +
            'It can take Pardot up to 30 days to complete.',
        }]
      : [];
    const remains = [
      prospectIds.length ? `${prospectIds.length} prospect(s) in the Pardot recycle bin` : '',
      sfCount ? `${sfCount} lead/contact record(s) in the Salesforce recycle bin (Salesforce erases them after 15 days)` : '',
    ].filter(Boolean).join(' and ');
    return {
      outcome: erasureOutcome({ actions, retained: [], officerActions }),
      actions,
      retained: [],
      remains: `${remains}, restorable until deleted permanently`,
      officerActions,
    };
  }

  /**
   * Every prospect with the subject's e-mail, all pages, asking for `fields` (always with `email`).
   * A prospect with another address means the filter was not applied: nothing is used or deleted.
   */
  private async prospects(ctx: TaskContext, fields: string): Promise<PardotProspect[]> {
    const out: PardotProspect[] = [];
    let pageToken: string | undefined;
    do {
      // With a page token only `fields` may accompany it; filters on the first page only.
      const query = pageToken ? { fields, nextPageToken: pageToken } : { fields, email: ctx.subject.email, limit: PAGE };
      const res = await this.api<ProspectPage>(ctx, { path: '/api/v5/objects/prospects', query });
      for (const p of res.body?.values ?? []) {
        if (typeof p.email !== 'string' || p.email.toLowerCase() !== ctx.subject.email.toLowerCase()) {
          throw new DataSystemError('permanent', `Pardot's e-mail query returned prospect ${p.id}, whose e-mail is not the subject's: stopped, nothing deleted`);
        }
        out.push(p);
      }
      pageToken = res.body?.nextPageToken ?? undefined;
    } while (pageToken);
    return out;
  }

  /** The subject's Salesforce records of one type (SOQL string comparison ignores case). */
  private async salesforce(ctx: TaskContext, type: SfType, fields: string): Promise<SalesforceRecord[]> {
    const emails = [...new Set([ctx.subject.email, ctx.subject.storedEmail].filter((e): e is string => Boolean(e)))];
    const soql = `SELECT ${fields} FROM ${type} WHERE ${emails.map((e) => `Email = ${soqlString(e)}`).join(' OR ')}`;
    const out: SalesforceRecord[] = [];
    let res = await this.sf<SoqlPage>(ctx, { path: '/query', query: { q: soql } });
    for (;;) {
      for (const r of res.body?.records ?? []) {
        if (typeof r.Email !== 'string' || !emails.some((e) => e.toLowerCase() === String(r.Email).toLowerCase())) {
          throw new DataSystemError('permanent', `Salesforce returned a ${type} whose Email is not the subject's: stopped, nothing deleted`);
        }
        out.push(r);
      }
      if (res.body?.done !== false || !res.body.nextRecordsUrl) break;
      res = await this.sf<SoqlPage>(ctx, { path: res.body.nextRecordsUrl, absolute: true });
    }
    return out;
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

  /** A Salesforce REST call on the token's instance_url (`absolute`: a path from the instance root). */
  private sf<T>(ctx: TaskContext, req: VendorRequest & { absolute?: boolean }) {
    return this.tokens.withToken((token) => {
      const base = this.instanceUrl!;
      const { absolute, ...rest } = req;
      return this.http.request<T>({
        ...rest,
        bucket: 'salesforce',
        path: absolute ? `${base}${req.path}` : `${base}/services/data/v${this.cfg.salesforceApiVersion}${req.path}`,
        headers: { authorization: `Bearer ${token}` },
        mapError: mapPardotError,
        signal: ctx.signal,
      });
    }, ctx.signal);
  }
}
