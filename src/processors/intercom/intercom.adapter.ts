// Intercom REST API 2.x (vendors.md §2, §10), Intercom-Version pinned.
//  - Contacts are found by one search: e-mail (each spelling) OR external_id = the product's user id,
//    every page. Intercom's search leaves out archived contacts and contacts merged into another one:
//    the results say so rather than claiming more.
//  - Access: each contact, its notes, tags and companies, and its conversations (search on
//    contact_ids, every page, then each conversation with its parts).
//  - Erasure: DELETE each contact (404 = deleted by an earlier attempt). Intercom can restore a deleted
//    contact and its conversations for 7 days, then destroys them; CSAT ratings and their comments are
//    kept (Intercom help 1815435). So the outcome is "restorable", with ratings reported as retained.
import {
  DataSystemError,
  erasureOutcome,
  type AccessResult,
  type DataSystem,
  type ErasureResult,
  type RetainedRecord,
  type TaskContext,
} from '../../systems/data-system.js';
import { Items, mergeIds, stripSecrets } from '../common.js';
import { VendorHttpClient, type VendorRequest } from '../http/vendor-http.js';
import type { VendorGate } from '../http/vendor-limiter.js';
import type { VendorConfig } from '../vendor-config.js';
import { type IntercomContact, type IntercomConversation, mapIntercomContact, mapIntercomRelated } from './intercom.mapping.js';

const PAGE = 150; // search per_page maximum
const GRACE_DAYS = 7;

interface Paged {
  pages?: { next?: { starting_after?: string | null } | null } | null;
}
interface ContactList extends Paged {
  data?: IntercomContact[];
}
interface ConversationList extends Paged {
  conversations?: IntercomConversation[];
}

/** What the erasure found about the subject's conversations, kept in refs before any delete. */
interface ConversationRefs {
  /** Contacts whose conversations were searched. */
  checked: string[];
  /** Conversations in which only the subject's contacts take part (deleted with them). */
  own: string[];
  /** Group conversations in which other people take part too. */
  shared: string[];
  /** Conversations with a CSAT rating given by one of the subject's contacts. */
  rated: string[];
}

export const INTERCOM_SEARCH_NOTE =
  "Intercom's search does not return archived contacts or contacts merged into another one (a merged contact's data is with the contact it was merged into); an archived contact with this address or user id would not have been found.";

export class IntercomAdapter implements DataSystem {
  readonly key = 'intercom';
  readonly recipient = 'intercom';
  readonly label = 'Intercom';
  private readonly http: VendorHttpClient;

  constructor(private readonly cfg: VendorConfig['intercom'], timeoutMs: number, gate?: VendorGate) {
    this.http = new VendorHttpClient({
      vendor: 'Intercom',
      baseUrl: cfg.baseUrl,
      timeoutMs,
      gate,
      headers: { authorization: `Bearer ${cfg.accessToken}`, 'intercom-version': cfg.version },
    });
  }

  isConfigured(): boolean {
    return Boolean(this.cfg.baseUrl && this.cfg.accessToken);
  }

  async access(ctx: TaskContext): Promise<AccessResult> {
    const items = new Items();
    const records: unknown[] = [];
    const seen = new Set<string>();
    for (const id of await this.findContactIds(ctx)) {
      const contact = await this.get<IntercomContact>(ctx, `/contacts/${encodeURIComponent(id)}`);
      if (!contact) continue; // merged or deleted since it was found
      const notes = (await this.get<{ data?: unknown[] }>(ctx, `/contacts/${encodeURIComponent(id)}/notes`))?.data ?? [];
      const tags = (await this.get<{ data?: unknown[] }>(ctx, `/contacts/${encodeURIComponent(id)}/tags`))?.data ?? [];
      const companies = (await this.get<{ companies?: unknown[] }>(ctx, `/contacts/${encodeURIComponent(id)}/companies`))?.companies ?? [];
      const conversations: IntercomConversation[] = [];
      for (const hit of await this.conversationsOf(ctx, id)) {
        if (seen.has(hit.id)) continue; // a group conversation of two of the subject's contacts
        seen.add(hit.id);
        const full = await this.get<IntercomConversation>(ctx, `/conversations/${encodeURIComponent(hit.id)}`);
        if (full) conversations.push(full);
      }
      mapIntercomContact(items, contact);
      mapIntercomRelated(items, contact, { notes, companies, conversations });
      records.push(stripSecrets({ contact, notes, tags, companies, conversations }));
    }
    if (records.length === 0) return { outcome: 'not_found', items: [], records: [], note: INTERCOM_SEARCH_NOTE };
    return { outcome: 'found', items: items.list, records, note: INTERCOM_SEARCH_NOTE };
  }

  async erase(ctx: TaskContext): Promise<ErasureResult> {
    const ids = await this.findContactIds(ctx);
    if (ids.length === 0) return { outcome: 'not_found', actions: [], retained: [], note: INTERCOM_SEARCH_NOTE };

    // Conversations and their ratings, read before the contacts are deleted (a retry reports the same).
    const saved = ctx.refs.intercomConversations as Partial<ConversationRefs> | undefined;
    const convs: ConversationRefs = { checked: [], own: [], shared: [], rated: [], ...saved };
    for (const id of ids) {
      if (convs.checked.includes(id)) continue;
      for (const c of await this.conversationsOf(ctx, id)) {
        const people = (c.contacts?.contacts ?? []).map((p) => p.id);
        const list = people.every((p) => ids.includes(p)) ? convs.own : convs.shared;
        if (!list.includes(c.id)) list.push(c.id);
        const rater = c.conversation_rating?.contact?.id;
        if (c.conversation_rating && (!rater || ids.includes(rater)) && !convs.rated.includes(c.id)) convs.rated.push(c.id);
      }
      convs.checked.push(id);
      await ctx.saveRefs({ intercomConversations: convs });
    }

    const deleted = new Set(Array.isArray(ctx.refs.intercomDeletedIds) ? (ctx.refs.intercomDeletedIds as string[]) : []);
    let deletedAt = typeof ctx.refs.intercomDeletedAt === 'string' ? ctx.refs.intercomDeletedAt : undefined;
    for (const id of ids) {
      if (deleted.has(id)) continue;
      if (!deletedAt) {
        deletedAt = new Date().toISOString();
        await ctx.saveRefs({ intercomDeletedAt: deletedAt });
      }
      // 404: deleted by an earlier attempt (or merged away since): gone either way.
      await this.http.request({ method: 'DELETE', path: `/contacts/${encodeURIComponent(id)}`, okStatuses: [404], signal: ctx.signal });
      deleted.add(id);
      await ctx.saveRefs({ intercomDeletedIds: [...deleted] });
    }

    const own = convs.own.length;
    const actions: ErasureResult['actions'] = [
      { what: 'Intercom contact (user or lead), with its notes, tags and company links', count: ids.length, how: 'recycled' },
      { what: 'Intercom conversation of the contact', count: own, how: 'recycled' },
    ];
    const retained: RetainedRecord[] = [];
    if (convs.rated.length) {
      retained.push({
        item: 'activity',
        count: convs.rated.length,
        what: 'CSAT rating (1 to 5) and its comment, given on a conversation',
        reason: 'Intercom keeps conversation ratings and their comments when a contact and its conversations are deleted',
        until: 'no end stated by Intercom',
      });
    }
    if (convs.shared.length) {
      retained.push({
        item: 'activity',
        count: convs.shared.length,
        what: 'group conversation in which other people took part too, with the messages the subject wrote in it',
        reason: "it belongs to the other participants' contacts as well; deleting the subject's contact does not delete it",
        until: "the other participants' contacts are deleted",
      });
    }
    const until = new Date(Date.parse(deletedAt!) + GRACE_DAYS * 86_400_000).toISOString();
    const remains =
      `Intercom can restore the ${ids.length} deleted contact(s)${own ? ` and ${own} conversation(s)` : ''} until ${until} ` +
      `(${GRACE_DAYS}-day grace after deletion); then it destroys them permanently.` +
      (convs.rated.length ? ` It keeps ${convs.rated.length} CSAT rating(s) and comment(s) after that.` : '');
    const filtered = actions.filter((a) => a.count > 0);
    return { outcome: erasureOutcome({ actions: filtered, retained }), actions: filtered, retained, remains, note: INTERCOM_SEARCH_NOTE };
  }

  /** Contact ids for the subject: earlier attempts' ids and one search (every page), saved in refs. */
  private async findContactIds(ctx: TaskContext): Promise<string[]> {
    const known = mergeIds<string>(ctx.refs, 'intercomContactIds', []);
    if (ctx.refs.intercomLookupDone === true) return known;
    const emails = [...new Set([ctx.subject.email, ctx.subject.storedEmail].filter((e): e is string => Boolean(e)))];
    const filters: { field: string; operator: '='; value: string }[] = emails.map((value) => ({ field: 'email', operator: '=', value }));
    if (ctx.subject.userId) filters.push({ field: 'external_id', operator: '=', value: ctx.subject.userId });
    const query = filters.length === 1 ? filters[0] : { operator: 'OR', value: filters };
    const wanted = new Set(emails.map((e) => e.toLowerCase()));
    const found: IntercomContact[] = await this.search<ContactList, IntercomContact>(ctx, '/contacts/search', query, (b) => b.data);
    for (const c of found) {
      const byEmail = typeof c.email === 'string' && wanted.has(c.email.toLowerCase());
      const byId = Boolean(ctx.subject.userId) && c.external_id === ctx.subject.userId;
      if (!byEmail && !byId) throw new DataSystemError('permanent', `Intercom's contact search returned contact ${c.id}, which is not the subject's: stopped`);
    }
    const ids = [...new Set([...known, ...found.map((c) => c.id)])];
    await ctx.saveRefs({ intercomContactIds: ids, intercomLookupDone: true });
    return ids;
  }

  private conversationsOf(ctx: TaskContext, contactId: string): Promise<IntercomConversation[]> {
    return this.search<ConversationList, IntercomConversation>(
      ctx,
      '/conversations/search',
      { field: 'contact_ids', operator: '=', value: contactId },
      (b) => b.conversations,
    );
  }

  /** Every page of a search (starting_after cursors). */
  private async search<B extends Paged, T>(ctx: TaskContext, path: string, query: unknown, list: (b: B) => T[] | undefined): Promise<T[]> {
    const out: T[] = [];
    let after: string | undefined;
    do {
      const res = await this.http.request<B>({
        method: 'POST',
        path,
        json: { query, pagination: { per_page: PAGE, ...(after ? { starting_after: after } : {}) } },
        signal: ctx.signal,
      });
      out.push(...(list(res.body) ?? []));
      after = res.body?.pages?.next?.starting_after ?? undefined;
    } while (after);
    return out;
  }

  /** A GET whose 404 means "not there (any more)". */
  private async get<T>(ctx: TaskContext, path: string, req: Partial<VendorRequest> = {}): Promise<T | undefined> {
    const res = await this.http.request<T>({ ...req, path, okStatuses: [404], signal: ctx.signal });
    return res.status === 404 ? undefined : res.body;
  }
}
