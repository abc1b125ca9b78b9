// SendGrid v3 (vendors.md §0.3, §6, §10).
//  - Recipient data erasure: on every erasure request, contact or not, POST /v3/recipients/erasejob
//    erases what SendGrid holds from the e-mails sent to the address (names, subject lines, IPs),
//    for the parent account and, as it does not cascade, once per subuser (SENDGRID_SUBUSERS,
//    `on-behalf-of`). It has no status API: that part stays "requested", so the outcome is at best
//    "scheduled", never "erased" nor "not_found".
//  - Marketing contacts: search/emails (404 = none); DELETE ?ids=a,b → 202 and an asynchronous job,
//    followed through GET /v3/marketing/contacts/imports/{job}. A repeated DELETE for contacts already
//    gone answers 404: the contacts are searched again and "no longer found" counts as deleted.
//  - Suppressions (per account): bounces, blocks and invalid e-mails are deleted (no reason to keep
//    them); the global unsubscribe, group unsubscribes and spam reports are kept, so that the address
//    is never mailed again, and reported as retained.
//  - Access: contacts and every suppression list held; the e-mail history cannot be read through
//    these APIs and is reported as unreadable.
import {
  DataSystemError,
  erasureOutcome,
  type AccessResult,
  type DataSystem,
  type ErasureResult,
  type RetainedRecord,
  type SystemRefs,
  type TaskContext,
  type VendorJob,
  type VendorJobState,
} from '../../systems/data-system.js';
import { Items, joinName, stripSecrets } from '../common.js';
import { VendorHttpClient, type VendorRequest } from '../http/vendor-http.js';
import type { VendorGate } from '../http/vendor-limiter.js';
import type { VendorConfig } from '../vendor-config.js';

interface SendGridContact {
  id: string;
  email?: string;
  first_name?: string;
  last_name?: string;
  phone_number?: string;
  address_line_1?: string;
  address_line_2?: string;
  city?: string;
  state_province_region?: string;
  postal_code?: string;
  country?: string;
  [k: string]: unknown;
}

type ListKey = 'groups' | 'global' | 'bounces' | 'blocks' | 'spam_reports' | 'invalid_emails';

// Suppression lists by e-mail (the address is a path segment, redacted in error messages).
const LISTS: { key: ListKey; name: string; path: string; keep: boolean }[] = [
  { key: 'groups', name: 'group unsubscribes', path: '/v3/asm/suppressions/', keep: true },
  { key: 'global', name: 'global unsubscribe', path: '/v3/asm/suppressions/global/', keep: true },
  { key: 'bounces', name: 'bounces', path: '/v3/suppression/bounces/', keep: false },
  { key: 'blocks', name: 'blocks', path: '/v3/suppression/blocks/', keep: false },
  { key: 'spam_reports', name: 'spam reports', path: '/v3/suppression/spam_reports/', keep: true },
  { key: 'invalid_emails', name: 'invalid e-mails', path: '/v3/suppression/invalid_emails/', keep: false },
];

/** What one account's suppression lists hold for the address: entries per list (group names too). */
type Held = Partial<Record<ListKey, number>> & { groupNames?: string[] };

/** Everything the result is built from, kept in refs (checkErasure rebuilds the result from it). */
interface EraseState {
  contactIds: string[];
  /** Recipient erasure job id per account ('' = parent). */
  erasejobs: Record<string, string>;
  held: Record<string, Held>;
  contacts: { how: 'requested' | 'deleted'; job?: { id: string; status: string } };
}

const KEEP_REASON = "kept so that no e-mail is ever sent to the address again (the subject's unsubscribe/objection is honoured)";
const KEEP_UNTIL = 'as long as the company sends e-mail through SendGrid';

export const SENDGRID_UNREADABLE = {
  item: 'email' as const,
  where: 'SendGrid e-mail activity: the transactional e-mails sent to the address (recipient, subject line, delivery and open events, IP addresses)',
  why: 'SendGrid keeps a history of the e-mails it delivers, but it cannot be read back through the APIs we use (contacts, suppressions, recipient erasure); an erasure request erases it through SendGrid\'s recipient erasure',
};

export class SendGridAdapter implements DataSystem {
  readonly key = 'sendgrid';
  readonly recipient = 'sendgrid';
  readonly label = 'SendGrid';
  private readonly http: VendorHttpClient;

  constructor(private readonly cfg: VendorConfig['sendgrid'], timeoutMs: number, gate?: VendorGate) {
    this.http = new VendorHttpClient({
      vendor: 'SendGrid',
      baseUrl: cfg.baseUrl,
      timeoutMs,
      gate,
      headers: { authorization: `Bearer ${cfg.apiKey}` },
    });
  }

  isConfigured(): boolean {
    return Boolean(this.cfg.baseUrl && this.cfg.apiKey);
  }

  private get accounts(): string[] {
    return ['', ...(this.cfg.subusers ?? [])];
  }

  async access(ctx: TaskContext): Promise<AccessResult> {
    const contacts = await this.searchContacts(ctx);
    const items = new Items();
    const records: unknown[] = [];
    for (const c of contacts) {
      const where = `SendGrid marketing contact ${c.id}`;
      items
        .add('email', c.email, where)
        .add('name', joinName(c.first_name, c.last_name), where)
        .add('phone_number', c.phone_number, where)
        .add('address', joinName(c.address_line_1, c.address_line_2, c.postal_code, c.city, c.state_province_region), where)
        .add('country', c.country, where);
      records.push({ contact: stripSecrets(c) });
    }
    for (const account of this.accounts) {
      for (const { list, entries } of await this.readSuppressions(ctx, account)) {
        items.add('email', ctx.subject.email, `SendGrid suppression list: ${list.name}${accountLabel(account)}`);
        records.push({ suppression: list.name, ...(account ? { subuser: account } : {}), entries });
      }
    }
    return {
      // The e-mail history is held but unreadable: "no data held" cannot be said even when nothing else is found.
      outcome: 'found',
      items: items.list,
      records,
      unreadable: [SENDGRID_UNREADABLE],
      ...(records.length === 0
        ? { note: 'SendGrid holds no marketing contact and no suppression entry for the address; the e-mails sent to it cannot be read back (see unreadable).' }
        : {}),
    };
  }

  async erase(ctx: TaskContext): Promise<ErasureResult> {
    const refs = ctx.refs;
    // 1. Every id and every suppression held, saved before anything is erased.
    const contactIds = await this.contactIds(ctx);
    const held: Record<string, Held> = { ...((refs.sendgridSuppressions as Record<string, Held> | undefined) ?? {}) };
    for (const account of this.accounts) {
      if (held[account]) continue;
      held[account] = summarise(await this.readSuppressions(ctx, account));
      await ctx.saveRefs({ sendgridSuppressions: held });
    }

    // 2. Recipient data erasure, once per account (it is limited to 100 a minute: never repeated).
    const erasejobs: Record<string, string> = { ...((refs.sendgridErasejobs as Record<string, string> | undefined) ?? {}) };
    for (const account of this.accounts) {
      if (erasejobs[account]) continue;
      const res = await this.http.request<{ job_id?: string }>({
        method: 'POST',
        path: '/v3/recipients/erasejob',
        json: { email_addresses: spellings(ctx) },
        headers: onBehalfOf(account),
        bucket: 'erasure',
        signal: ctx.signal,
      });
      erasejobs[account] = String(res.body?.job_id ?? 'accepted');
      await ctx.saveRefs({ sendgridErasejobs: erasejobs });
    }

    // 3. Suppressions with no reason to keep.
    const cleared = new Set(Array.isArray(refs.sendgridSuppressionsDeleted) ? (refs.sendgridSuppressionsDeleted as string[]) : []);
    for (const account of Object.keys(held)) {
      for (const list of LISTS.filter((l) => !l.keep && (held[account]![l.key] ?? 0) > 0)) {
        const key = `${account}|${list.key}`;
        if (cleared.has(key)) continue;
        await this.http.request({ method: 'DELETE', path: list.path + encodeURIComponent(ctx.subject.email), headers: onBehalfOf(account), signal: ctx.signal });
        cleared.add(key);
        await ctx.saveRefs({ sendgridSuppressionsDeleted: [...cleared] });
      }
    }

    // 4. Marketing contacts: an asynchronous delete job.
    let contacts: EraseState['contacts'] = { how: 'requested' };
    if (contactIds.length) contacts = await this.deleteContacts(ctx, contactIds);
    return build({ contactIds, erasejobs, held, contacts });
  }

  // GET /v3/marketing/contacts/imports/{id} also reports delete jobs: pending → completed | errored | failed.
  async checkErasure(ctx: TaskContext, job: VendorJob): Promise<VendorJobState> {
    const state = stateFromRefs(ctx.refs, job);
    const res = await this.http.request<{ status?: string }>({
      path: `/v3/marketing/contacts/imports/${encodeURIComponent(job.id)}`,
      okStatuses: [404],
      signal: ctx.signal,
    });
    const status = res.status === 404 ? 'unknown to SendGrid' : (res.body?.status ?? 'unknown');
    if (status === 'errored' || status === 'failed') return { state: 'failed', reason: `SendGrid delete job ${status}` };
    if (status !== 'completed' && res.status !== 404) return { state: 'pending', status };
    // Completed (or forgotten by SendGrid): done only when the contacts are no longer found.
    const left = await this.stillThere(ctx, state.contactIds);
    if (left.length) return { state: 'failed', reason: `SendGrid delete job ${status}, but ${left.length} contact(s) are still there` };
    return { state: 'done', status, finalResult: build({ ...state, contacts: { how: 'deleted', job: { id: job.id, status } } }) };
  }

  private async deleteContacts(ctx: TaskContext, ids: string[]): Promise<EraseState['contacts']> {
    if (ctx.refs.sendgridContactsGone === true) return { how: 'deleted' };
    const earlier = await this.earlierJob(ctx, ids);
    if (earlier) return { how: 'requested', job: earlier };
    const res = await this.http.request<{ job_id?: unknown }>({
      method: 'DELETE',
      path: '/v3/marketing/contacts',
      query: { ids: ids.join(',') }, // one comma-separated value; array-style parameters are refused
      okStatuses: [404],
      signal: ctx.signal,
    });
    if (res.status === 404) {
      // SendGrid answers 404 when the contacts are already gone (an earlier attempt's job): check.
      const left = await this.stillThere(ctx, ids);
      if (left.length) throw new DataSystemError('transient', `SendGrid answered 404 to deleting ${left.length} contact(s) it still finds`, undefined, 404);
      await ctx.saveRefs({ sendgridContactsGone: true });
      return { how: 'deleted' };
    }
    const jobId = String(res.body?.job_id);
    await ctx.saveRefs({ sendgridJobId: jobId, sendgridJobContactIds: ids });
    return { how: 'requested', job: { id: jobId, status: 'pending' } };
  }

  // A retry reuses the delete job of an earlier attempt when it covered the same contacts and has not failed.
  private async earlierJob(ctx: TaskContext, ids: string[]): Promise<{ id: string; status: string } | undefined> {
    const jobId = ctx.refs.sendgridJobId;
    const covered = ctx.refs.sendgridJobContactIds;
    if (typeof jobId !== 'string' || !Array.isArray(covered) || !ids.every((id) => covered.includes(id))) return undefined;
    const res = await this.http.request<{ status?: string }>({ path: `/v3/marketing/contacts/imports/${encodeURIComponent(jobId)}`, okStatuses: [404], signal: ctx.signal });
    const status = res.status === 404 ? undefined : res.body?.status;
    return status === 'pending' || status === 'completed' ? { id: jobId, status } : undefined;
  }

  /** Contact ids for the subject: earlier attempts' and one search, saved in refs. */
  private async contactIds(ctx: TaskContext): Promise<string[]> {
    const known = Array.isArray(ctx.refs.sendgridContactIds) ? (ctx.refs.sendgridContactIds as string[]) : [];
    if (ctx.refs.sendgridLookupDone === true) return known;
    const ids = [...new Set([...known, ...(await this.searchContacts(ctx)).map((c) => c.id)])];
    await ctx.saveRefs({ sendgridContactIds: ids, sendgridLookupDone: true });
    return ids;
  }

  /** Marketing contacts of the parent account for every spelling of the address (404 = none). */
  private async searchContacts(ctx: TaskContext): Promise<SendGridContact[]> {
    const res = await this.http.request<{ result?: Record<string, { contact?: SendGridContact }> }>({
      method: 'POST',
      path: '/v3/marketing/contacts/search/emails',
      json: { emails: spellings(ctx) },
      okStatuses: [404], // 404 = no address matched
      signal: ctx.signal,
    });
    if (res.status === 404) return [];
    const byId = new Map<string, SendGridContact>();
    for (const r of Object.values(res.body?.result ?? {})) if (r.contact?.id) byId.set(r.contact.id, r.contact);
    return [...byId.values()];
  }

  private async stillThere(ctx: TaskContext, ids: string[]): Promise<string[]> {
    const found = new Set((await this.searchContacts(ctx)).map((c) => c.id));
    return ids.filter((id) => found.has(id));
  }

  private async readSuppressions(ctx: TaskContext, account: string): Promise<{ list: (typeof LISTS)[number]; entries: unknown[] }[]> {
    const out: { list: (typeof LISTS)[number]; entries: unknown[] }[] = [];
    for (const list of LISTS) {
      const req: VendorRequest = { path: list.path + encodeURIComponent(ctx.subject.email), headers: onBehalfOf(account), okStatuses: [404], signal: ctx.signal };
      const res = await this.http.request<unknown>(req);
      if (res.status === 404) continue;
      let entries: unknown[];
      if (list.key === 'groups') {
        entries = ((res.body as { suppressions?: { suppressed?: boolean }[] } | undefined)?.suppressions ?? []).filter((g) => g.suppressed);
      } else if (list.key === 'global') {
        const b = res.body as { recipient_email?: string } | undefined;
        entries = b?.recipient_email ? [b] : [];
      } else {
        entries = Array.isArray(res.body) ? res.body : [];
      }
      if (entries.length) out.push({ list, entries });
    }
    return out;
  }
}

function spellings(ctx: TaskContext): string[] {
  return [...new Set([ctx.subject.email, ctx.subject.storedEmail].filter((e): e is string => Boolean(e)))];
}

function onBehalfOf(account: string): Record<string, string> | undefined {
  return account ? { 'on-behalf-of': account } : undefined;
}

function accountLabel(account: string): string {
  return account ? ` (subuser ${account})` : '';
}

function summarise(lists: { list: (typeof LISTS)[number]; entries: unknown[] }[]): Held {
  const held: Held = {};
  for (const { list, entries } of lists) {
    held[list.key] = entries.length;
    if (list.key === 'groups') held.groupNames = entries.map((g) => String((g as { name?: unknown }).name ?? (g as { id?: unknown }).id));
  }
  return held;
}

function stateFromRefs(refs: SystemRefs, job?: VendorJob): EraseState {
  return {
    contactIds: Array.isArray(refs.sendgridContactIds) ? (refs.sendgridContactIds as string[]) : [],
    erasejobs: (refs.sendgridErasejobs as Record<string, string> | undefined) ?? {},
    held: (refs.sendgridSuppressions as Record<string, Held> | undefined) ?? {},
    contacts: { how: 'requested', ...(job ? { job: { id: job.id, status: job.status ?? 'pending' } } : {}) },
  };
}

/** The erasure result from what was done (the same on a retry, and when the contact job completes). */
function build(s: EraseState): ErasureResult {
  const accounts = Object.keys(s.erasejobs);
  const subusers = accounts.filter(Boolean);
  const actions: ErasureResult['actions'] = [
    {
      what:
        'SendGrid recipient data erasure of the address: the data of every e-mail sent to it (names, subject lines, IP addresses)' +
        (subusers.length ? `, in the parent account and ${subusers.length} subuser account(s)` : ''),
      count: accounts.length,
      how: 'requested',
    },
  ];
  if (s.contactIds.length) actions.push({ what: 'SendGrid marketing contact', count: s.contactIds.length, how: s.contacts.how });
  let cleared = 0;
  const retained: RetainedRecord[] = [];
  for (const [account, held] of Object.entries(s.held)) {
    for (const list of LISTS) {
      const n = held[list.key] ?? 0;
      if (n <= 0) continue;
      if (!list.keep) {
        cleared += n;
        continue;
      }
      const what =
        list.key === 'global' ? "the address on SendGrid's global unsubscribe list"
          : list.key === 'groups' ? `the address on ${n} unsubscribe group(s): ${(held.groupNames ?? []).join(', ')}`
            : `spam report(s) made from the address (date and IP address)`;
      retained.push({ item: 'email', count: n, what: what + accountLabel(account), reason: KEEP_REASON, until: KEEP_UNTIL });
    }
  }
  if (cleared) actions.push({ what: 'SendGrid suppression entries with no reason to keep (bounces, blocks, invalid e-mails)', count: cleared, how: 'deleted' });

  const remains = [
    `the data of the e-mails sent to the address until SendGrid carries out the recipient erasure it accepted (job ${accounts.map((a) => s.erasejobs[a]).join(', ')}; SendGrid offers no way to follow it)`,
    s.contactIds.length && s.contacts.how === 'requested' ? `the marketing contact until SendGrid's delete job${s.contacts.job ? ` ${s.contacts.job.id}` : ''} completes` : '',
    retained.length ? 'the address on the suppression lists named as retained, so that it is never e-mailed again' : '',
  ].filter(Boolean);
  return {
    outcome: erasureOutcome({ actions, retained }),
    actions,
    retained,
    remains: `At SendGrid: ${remains.join('; ')}.`,
    ...(s.contacts.job ? { vendorJob: { id: s.contacts.job.id, status: s.contacts.job.status } } : {}),
  };
}
