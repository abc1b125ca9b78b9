// Intercom fake (REST API 2.14), written from test/vendor-openapi/intercom.json and vendors.md §2,
// §8, §10. Traps it reproduces:
// - Bearer token; 401 error.list "Access Token Invalid" otherwise (IC-OAS error examples).
// - Intercom-Version must be one of the document's enum values. Real Intercom falls back to the
//   app's default version when the header is missing; THIS FAKE REFUSES A MISSING HEADER (400), on
//   purpose, so that an adapter that does not pin its version fails here instead of silently
//   depending on whatever version the app is set to.
// - POST /contacts/search: single filters and AND/OR groups as the document's schema allows them
//   (a group holds only single filters or only groups; ≤ 2 levels; ≤ 15 filters per group),
//   operators per field type as the document's tables say (Date fields matched by UTC calendar day,
//   no != / >= / <= / IN / NIN on them), per_page default 50 (≤ 150), starting_after cursors;
//   new contacts stay out of search for `searchLagMs` ("a few minutes"); merged contacts are never
//   returned; archived contacts are not found by search (§10, intercom-node issue 333).
// - One e-mail can belong to several contacts (a user and leads) (§2).
// - DELETE /contacts/{id} → 200 {type, id, external_id, deleted:true}; again → 404 not_found
//   "Contact Not Found" (§2 Delete). The contact's conversations stay for a 7-day grace and are then
//   destroyed, CSAT ratings and remarks kept (§10, Intercom help 1815435): see `purgeDeleted`.
// - GET /contacts/{id} of a merged-away contact → 404 (IC-OAS ShowContact description).
// - POST /conversations/search (contact_ids …; per_page default 20, ≤ 150) and GET
//   /conversations/{id} with conversation_parts (§2, §10; the latter is not in the trimmed document).
// - 429 rate_limit_exceeded "Exceeded rate limit of 167 in 10_seconds" with X-RateLimit-* (reset in
//   epoch seconds), headers on every authenticated answer (§2 Rate limits).
// UNCONFIRMED choices: error codes other than unauthorized / not_found / rate_limit_exceeded
// (parameter_invalid, intercom_version_invalid, intercom_version_missing), per_page > 150 refused
// rather than clamped, case-insensitive matching of email / email_domain / name, a lead with no
// e-mail shown with email "".
import { randomUUID } from 'node:crypto';
import { epochSeconds, type FakeRequest, type FakeResponse, FakeVendorServer, type FakeServerOptions, rateLimitHeaders } from './fake-server.js';

export interface IntercomFakeContact {
  id: string;
  role: 'user' | 'lead';
  email: string;
  external_id?: string | null;
  name?: string | null;
  phone?: string | null;
  custom_attributes?: Record<string, unknown>;
  location?: { country?: string | null; region?: string | null; city?: string | null };
  browser?: string | null;
  os?: string | null;
  signed_up_at?: number | null;
  last_seen_at?: number | null;
  created_at?: number;
  updated_at?: number;
  /** Archived contacts are not found by search (still readable by id). */
  archived?: boolean;
  /** Set when this contact was merged into another one: excluded from search, 404 by id. */
  merged_into?: string;
  [k: string]: unknown;
}

export interface IntercomFakeNote {
  id: string;
  contactId: string;
  body: string;
  created_at: number;
  author: { type: 'admin'; id: string; name: string; email: string };
}

export interface IntercomFakeTag {
  id: string;
  name: string;
  applied_at: number;
}

export interface IntercomFakeCompany {
  id: string;
  company_id: string;
  name: string;
  created_at: number;
  [k: string]: unknown;
}

export interface IntercomFakePart {
  id: string;
  part_type: string;
  body: string;
  created_at: number;
  author: { type: 'user' | 'lead' | 'admin' | 'bot'; id: string; name?: string | null; email?: string };
}

export interface IntercomFakeRating {
  rating: number;
  remark?: string;
  created_at: number;
  contact_id: string;
}

export interface IntercomFakeConversation {
  id: string;
  contact_ids: string[];
  created_at: number;
  updated_at: number;
  state: 'open' | 'closed' | 'snoozed';
  read: boolean;
  title: string | null;
  /** The opening message. */
  source: { id: string; type: 'conversation' | 'email'; subject: string; body: string; author: IntercomFakePart['author'] };
  parts: IntercomFakePart[];
  rating?: IntercomFakeRating;
}

export interface IntercomFakeOptions extends FakeServerOptions {
  accessToken?: string;
  /** New contacts stay out of search results this long (Intercom: "a few minutes"). Default 0. */
  searchLagMs?: number;
  /** Days a deleted contact's conversations are kept before being destroyed (default 7). */
  deletionGraceDays?: number;
  workspaceId?: string;
}

interface DeletedContact {
  contact: IntercomFakeContact;
  deletedAt: number;
  notes: IntercomFakeNote[];
}

/** The Intercom-Version values the 2.14 document lists. */
export const INTERCOM_VERSIONS = ['1.0', '1.1', '1.2', '1.3', '1.4', ...Array.from({ length: 15 }, (_, i) => `2.${i}`)];

const DAY = 86_400;

const errorList = (status: number, code: string, message: string, headers?: Record<string, string>): FakeResponse => ({
  status,
  headers,
  body: { type: 'error.list', request_id: randomUUID(), errors: [{ code, message }] },
});
const invalid = (message: string, rl: Record<string, string>) => errorList(400, 'parameter_invalid', message, rl);

type FieldType = 'string' | 'integer' | 'date' | 'boolean';

const CONTACT_FIELDS: Record<string, FieldType> = {
  id: 'string', role: 'string', name: 'string', avatar: 'string', owner_id: 'integer', email: 'string', email_domain: 'string',
  phone: 'string', external_id: 'string', created_at: 'date', signed_up_at: 'date', updated_at: 'date', last_seen_at: 'date',
  last_contacted_at: 'date', last_replied_at: 'date', last_email_opened_at: 'date', last_email_clicked_at: 'date',
  language_override: 'string', browser: 'string', browser_language: 'string', os: 'string', 'location.country': 'string',
  'location.region': 'string', 'location.city': 'string', unsubscribed_from_emails: 'boolean', marked_email_as_spam: 'boolean',
  has_hard_bounced: 'boolean', ios_last_seen_at: 'date', ios_app_version: 'string', ios_device: 'string', ios_app_device: 'string',
  ios_os_version: 'string', ios_app_name: 'string', ios_sdk_version: 'string', android_last_seen_at: 'date',
  android_app_version: 'string', android_device: 'string', android_app_name: 'string', andoid_sdk_version: 'string',
  segment_id: 'string', tag_id: 'string',
};
const CONVERSATION_FIELDS: Record<string, FieldType> = {
  id: 'string', created_at: 'date', updated_at: 'date', 'source.type': 'string', 'source.id': 'string', 'source.delivered_as': 'string',
  'source.subject': 'string', 'source.body': 'string', 'source.author.id': 'string', 'source.author.type': 'string',
  'source.author.name': 'string', 'source.author.email': 'string', contact_ids: 'string', teammate_ids: 'string',
  admin_assignee_id: 'integer', team_assignee_id: 'integer', open: 'boolean', read: 'boolean', state: 'string',
  tag_ids: 'string', priority: 'string', 'conversation_rating.score': 'integer', 'conversation_rating.remark': 'string',
  'conversation_rating.contact_id': 'string',
};
const CASE_INSENSITIVE = new Set(['email', 'email_domain', 'name', 'source.author.email']);

type Matcher<T> = (item: T) => boolean;
type Getter<T> = (item: T, field: string) => unknown;

export class IntercomFake extends FakeVendorServer {
  readonly name = 'intercom';
  readonly accessToken: string;
  readonly workspaceId: string;
  /** Live contacts by id (deleted ones move to `deletedContacts`). */
  readonly contacts = new Map<string, IntercomFakeContact>();
  /** Contacts deleted through the API, kept until `purgeDeleted` ends their grace period. */
  readonly deletedContacts = new Map<string, DeletedContact>();
  readonly notes = new Map<string, IntercomFakeNote[]>();
  readonly tags = new Map<string, IntercomFakeTag[]>();
  readonly companies = new Map<string, IntercomFakeCompany[]>();
  readonly conversations = new Map<string, IntercomFakeConversation>();
  /** CSAT ratings and remarks of destroyed conversations: Intercom keeps them. */
  readonly retainedRatings: (IntercomFakeRating & { conversation_id: string })[] = [];
  searchLagMs: number;
  readonly deletionGraceDays: number;
  private readonly addedAt = new Map<string, number>();
  private seq = 0;

  constructor(opts: IntercomFakeOptions = {}) {
    super(opts);
    this.accessToken = opts.accessToken ?? 'fake-intercom-token';
    this.searchLagMs = opts.searchLagMs ?? 0;
    this.deletionGraceDays = opts.deletionGraceDays ?? 7;
    this.workspaceId = opts.workspaceId ?? 'fakews01';
  }

  private nextId(): string {
    return (0x64000000 + ++this.seq).toString(16);
  }

  addContact(c: Partial<IntercomFakeContact> & { email: string; role: 'user' | 'lead' }): IntercomFakeContact {
    const now = epochSeconds();
    const contact: IntercomFakeContact = { created_at: now, updated_at: now, custom_attributes: {}, ...c, id: c.id ?? this.nextId() };
    this.contacts.set(contact.id, contact);
    this.addedAt.set(contact.id, Date.now());
    return contact;
  }

  addNote(contactId: string, note: { body: string; author?: IntercomFakeNote['author']; created_at?: number }): IntercomFakeNote {
    const n: IntercomFakeNote = {
      id: String(++this.seq), contactId, body: note.body, created_at: note.created_at ?? epochSeconds(),
      author: note.author ?? { type: 'admin', id: '991267001', name: 'Support Agent', email: 'agent@example.com' },
    };
    this.notes.set(contactId, [...(this.notes.get(contactId) ?? []), n]);
    return n;
  }

  addTag(contactId: string, name: string): IntercomFakeTag {
    const t: IntercomFakeTag = { id: String(++this.seq), name, applied_at: epochSeconds() };
    this.tags.set(contactId, [...(this.tags.get(contactId) ?? []), t]);
    return t;
  }

  addCompany(contactId: string, company: Partial<IntercomFakeCompany> & { name: string }): IntercomFakeCompany {
    const co: IntercomFakeCompany = { created_at: epochSeconds(), ...company, id: company.id ?? this.nextId(), company_id: company.company_id ?? `co-${this.seq}` };
    this.companies.set(contactId, [...(this.companies.get(contactId) ?? []), co]);
    return co;
  }

  /** A conversation opened by the first contact, with the given replies and an optional CSAT rating. */
  addConversation(conv: {
    contactIds: string[];
    body: string;
    subject?: string;
    parts?: { body: string; author?: IntercomFakePart['author']; part_type?: string }[];
    rating?: { rating: number; remark?: string };
    state?: IntercomFakeConversation['state'];
    created_at?: number;
  }): IntercomFakeConversation {
    const first = this.contacts.get(conv.contactIds[0]!);
    const created = conv.created_at ?? epochSeconds();
    const author = { type: first?.role ?? 'user', id: conv.contactIds[0]!, name: first?.name ?? null, email: first?.email ?? '' } as const;
    const c: IntercomFakeConversation = {
      id: String(++this.seq), contact_ids: [...conv.contactIds], created_at: created, updated_at: created,
      state: conv.state ?? 'closed', read: true, title: null,
      source: { id: String(++this.seq), type: 'conversation', subject: conv.subject ?? '', body: conv.body, author },
      parts: (conv.parts ?? []).map((p, i) => ({
        id: String(++this.seq), part_type: p.part_type ?? 'comment', body: p.body, created_at: created + i + 1,
        author: p.author ?? { type: 'admin', id: '991267001', name: 'Support Agent', email: 'agent@example.com' },
      })),
      rating: conv.rating ? { ...conv.rating, created_at: created + 60, contact_id: conv.contactIds[0]! } : undefined,
    };
    this.conversations.set(c.id, c);
    return c;
  }

  /** Merges `fromId` into `intoId` as POST /contacts/merge would: the merged contact leaves search and 404s by id. */
  mergeContact(fromId: string, intoId: string): void {
    const c = this.contacts.get(fromId);
    if (c) c.merged_into = intoId;
  }

  archiveContact(id: string): void {
    const c = this.contacts.get(id);
    if (c) c.archived = true;
  }

  /** The conversations Intercom still holds in which this contact took part. */
  conversationsOf(contactId: string): IntercomFakeConversation[] {
    return [...this.conversations.values()].filter((c) => c.contact_ids.includes(contactId));
  }

  /**
   * Ends the grace period of every contact deleted before `asOf - deletionGraceDays`: their notes
   * and their conversations are destroyed, the conversations' CSAT ratings kept. Returns the ids purged.
   */
  purgeDeleted(asOf = Date.now()): string[] {
    const purged: string[] = [];
    for (const [id, d] of this.deletedContacts) {
      if (d.deletedAt > asOf - this.deletionGraceDays * DAY * 1000) continue;
      purged.push(id);
      this.deletedContacts.delete(id);
    }
    for (const conv of [...this.conversations.values()]) {
      if (!conv.contact_ids.some((id) => purged.includes(id))) continue;
      if (conv.contact_ids.some((id) => this.contacts.has(id) || this.deletedContacts.has(id))) continue;
      if (conv.rating) this.retainedRatings.push({ ...conv.rating, conversation_id: conv.id });
      this.conversations.delete(conv.id);
    }
    return purged;
  }

  protected clearStore(): void {
    for (const m of [this.contacts, this.deletedContacts, this.notes, this.tags, this.companies, this.conversations, this.addedAt]) m.clear();
    this.retainedRatings.length = 0;
  }

  protected tooManyRequests(resetAt: number): FakeResponse {
    const w = this.rateLimitWindow('default');
    return errorList(429, 'rate_limit_exceeded', `Exceeded rate limit of ${w?.limit ?? 167} in 10_seconds`, rateLimitHeaders(w?.limit ?? 167, 0, resetAt));
  }

  private rl(): Record<string, string> {
    const w = this.rateLimitWindow('default');
    // Nominal: 10,000 a minute spread over 10-second windows.
    return w ? rateLimitHeaders(w.limit, w.remaining, w.resetAt) : rateLimitHeaders(167, 166, epochSeconds() + 10);
  }

  protected handle(req: FakeRequest): FakeResponse {
    const auth = req.headers.authorization;
    if (auth !== `Bearer ${this.accessToken}`) return errorList(401, 'unauthorized', 'Access Token Invalid');
    const rl = this.rl();
    const version = req.headers['intercom-version'];
    if (version === undefined) {
      // Deliberately stricter than Intercom (which falls back to the app's default version).
      return errorList(400, 'intercom_version_missing', 'Intercom-Version header is required (this fake does not fall back to an app default)', rl);
    }
    if (typeof version !== 'string' || !INTERCOM_VERSIONS.includes(version)) return errorList(400, 'intercom_version_invalid', 'The requested version could not be found', rl);

    if (req.path === '/contacts/search') return req.method === 'POST' ? this.searchContacts(req, rl) : errorList(404, 'not_found', 'Resource Not Found', rl);
    if (req.path === '/conversations/search') return req.method === 'POST' ? this.searchConversations(req, rl) : errorList(404, 'not_found', 'Resource Not Found', rl);
    let m = /^\/conversations\/([^/]+)$/.exec(req.path);
    if (m && req.method === 'GET') {
      const conv = this.conversations.get(safeDecode(m[1]!));
      if (!conv) return errorList(404, 'not_found', 'Resource Not Found', rl);
      return { status: 200, headers: rl, body: this.publicConversation(conv, true) };
    }
    m = /^\/contacts\/([^/]+)(?:\/(notes|tags|companies))?$/.exec(req.path);
    if (!m) return errorList(404, 'not_found', 'Resource Not Found', rl);
    const id = safeDecode(m[1]!);
    const contact = this.contacts.get(id);
    const found = contact && !contact.merged_into ? contact : undefined;
    if (m[2]) {
      if (req.method !== 'GET') return errorList(404, 'not_found', 'Resource Not Found', rl);
      if (!found) return errorList(404, 'not_found', 'Contact Not Found', rl);
      return { status: 200, headers: rl, body: this.related(found.id, m[2] as 'notes' | 'tags' | 'companies') };
    }
    if (req.method === 'GET') return found ? { status: 200, headers: rl, body: this.publicContact(found) } : errorList(404, 'not_found', 'Contact Not Found', rl);
    if (req.method === 'DELETE') {
      if (!found) return errorList(404, 'not_found', 'Contact Not Found', rl);
      this.contacts.delete(found.id);
      this.deletedContacts.set(found.id, { contact: found, deletedAt: Date.now(), notes: this.notes.get(found.id) ?? [] });
      this.notes.delete(found.id);
      this.tags.delete(found.id);
      this.companies.delete(found.id);
      return { status: 200, headers: rl, body: { type: 'contact', id: found.id, external_id: found.external_id ?? null, deleted: true } };
    }
    return errorList(404, 'not_found', 'Resource Not Found', rl);
  }

  private searchContacts(req: FakeRequest, rl: Record<string, string>): FakeResponse {
    const visibleBefore = Date.now() - this.searchLagMs;
    const pool = [...this.contacts.values()].filter((c) => !c.merged_into && !c.archived && (this.addedAt.get(c.id) ?? 0) <= visibleBefore);
    return this.search(req, rl, pool, CONTACT_FIELDS, (c, f) => this.contactField(c, f), 50, (page) => ({ type: 'list', data: page.map((c) => this.publicContact(c)) }));
  }

  private searchConversations(req: FakeRequest, rl: Record<string, string>): FakeResponse {
    return this.search(req, rl, [...this.conversations.values()], CONVERSATION_FIELDS, conversationField, 20, (page) => ({
      type: 'conversation.list', conversations: page.map((c) => this.publicConversation(c, false)),
    }));
  }

  private search<T>(
    req: FakeRequest, rl: Record<string, string>, pool: T[], fields: Record<string, FieldType>, get: Getter<T>, defaultPerPage: number,
    render: (page: T[]) => Record<string, unknown>,
  ): FakeResponse {
    const body = req.body;
    if (!isObject(body)) return invalid('The request body must be a JSON object', rl);
    if (!('query' in body)) return errorList(400, 'parameter_not_found', 'query parameter not found', rl);
    const matcher = compileQuery<T>(body.query, fields, get, 0);
    if (typeof matcher === 'string') return invalid(matcher, rl);
    const pagination = body.pagination ?? null;
    if (pagination !== null && !isObject(pagination)) return invalid('pagination must be an object', rl);
    const perPage = pagination?.per_page ?? defaultPerPage;
    if (!Number.isInteger(perPage) || (perPage as number) < 1 || (perPage as number) > 150) return invalid('per_page must be an integer between 1 and 150', rl);
    let start = 0;
    const after = pagination?.starting_after ?? null;
    if (after !== null) {
      const decoded = typeof after === 'string' ? /^o(\d+)$/.exec(Buffer.from(after, 'base64url').toString('utf8')) : null;
      if (!decoded) return invalid('starting_after is not a valid cursor', rl);
      start = Number(decoded[1]);
    }
    const per = perPage as number;
    const all = pool.filter(matcher);
    const page = all.slice(start, start + per);
    const hasNext = start + per < all.length;
    return {
      status: 200,
      headers: rl,
      body: {
        ...render(page),
        total_count: all.length,
        pages: {
          type: 'pages', page: Math.floor(start / per) + 1, per_page: per, total_pages: Math.ceil(all.length / per),
          ...(hasNext ? { next: { per_page: per, starting_after: Buffer.from(`o${start + per}`).toString('base64url') } } : {}),
        },
      },
    };
  }

  private contactField(c: IntercomFakeContact, field: string): unknown {
    if (field === 'tag_id') return (this.tags.get(c.id) ?? []).map((t) => t.id);
    if (field === 'segment_id') return [];
    if (field === 'email_domain') return c.email.split('@')[1] ?? null;
    if (field.startsWith('location.')) return c.location?.[field.slice(9) as 'country'] ?? null;
    if (field.startsWith('custom_attributes.')) return c.custom_attributes?.[field.slice(18)] ?? null;
    return c[field] ?? null;
  }

  private related(id: string, kind: 'notes' | 'tags' | 'companies'): unknown {
    if (kind === 'notes') {
      const notes = this.notes.get(id) ?? [];
      return {
        type: 'list',
        data: notes.map((n) => ({ type: 'note', id: n.id, created_at: n.created_at, contact: { type: 'contact', id }, author: n.author, body: n.body })),
        total_count: notes.length,
        pages: { type: 'pages', page: 1, per_page: 50, total_pages: notes.length ? 1 : 0 },
      };
    }
    if (kind === 'tags') {
      return { type: 'list', data: (this.tags.get(id) ?? []).map((t) => ({ type: 'tag', id: t.id, name: t.name, applied_at: t.applied_at, applied_by: { type: 'admin', id: '991267001' } })) };
    }
    const cos = this.companies.get(id) ?? [];
    return {
      type: 'list',
      companies: cos.map((co) => ({
        ...co, type: 'company', app_id: this.workspaceId, updated_at: co.created_at, custom_attributes: {},
        tags: { type: 'tag.list', tags: [] }, segments: { type: 'segment.list', segments: [] },
      })),
      total_count: cos.length,
      pages: { type: 'pages', next: null, page: 1, per_page: 50, total_pages: cos.length ? 1 : 0 },
    };
  }

  private publicContact(c: IntercomFakeContact): Record<string, unknown> {
    const { archived: _a, merged_into: _m, location, ...seeded } = c;
    const list = (kind: string, items: { id: string }[], path: string) => ({
      data: items.map((x) => ({ type: kind, id: x.id, url: `/${path}/${x.id}` })),
      url: `/contacts/${c.id}/${path}`,
      total_count: items.length,
      has_more: false,
    });
    return {
      type: 'contact', workspace_id: this.workspaceId, external_id: null, email_domain: c.email.split('@')[1] ?? '', phone: null, name: null,
      owner_id: null, has_hard_bounced: false, marked_email_as_spam: false, unsubscribed_from_emails: false, signed_up_at: null,
      last_seen_at: null, last_replied_at: null, last_contacted_at: null, last_email_opened_at: null, last_email_clicked_at: null,
      language_override: null, browser: null, browser_version: null, browser_language: null, os: null, avatar: null,
      ...seeded,
      custom_attributes: Object.fromEntries(Object.entries(c.custom_attributes ?? {}).filter(([, v]) => v !== undefined)),
      tags: list('tag', this.tags.get(c.id) ?? [], 'tags'),
      notes: list('note', this.notes.get(c.id) ?? [], 'notes'),
      companies: list('company', this.companies.get(c.id) ?? [], 'companies'),
      location: { type: 'location', country: location?.country ?? null, region: location?.region ?? null, city: location?.city ?? null },
      social_profiles: { data: [] },
    };
  }

  private publicConversation(c: IntercomFakeConversation, withParts: boolean): Record<string, unknown> {
    const ref = (id: string) => {
      const contact = this.contacts.get(id) ?? this.deletedContacts.get(id)?.contact;
      return { type: 'contact', id, external_id: contact?.external_id ?? null };
    };
    return {
      type: 'conversation', id: c.id, title: c.title, created_at: c.created_at, updated_at: c.updated_at, waiting_since: null, snoozed_until: null,
      open: c.state === 'open', state: c.state, read: c.read, priority: 'not_priority', admin_assignee_id: null, team_assignee_id: null,
      tags: { type: 'tag.list', tags: [] },
      conversation_rating: c.rating
        ? { rating: c.rating.rating, remark: c.rating.remark ?? '', created_at: c.rating.created_at, updated_at: c.rating.created_at, contact: ref(c.rating.contact_id), teammate: { type: 'admin', id: '991267001' } }
        : null,
      source: { ...c.source, delivered_as: 'customer_initiated', attachments: [], url: null, redacted: false },
      contacts: { type: 'contact.list', contacts: c.contact_ids.map(ref) },
      teammates: { type: 'admin.list', teammates: [] },
      custom_attributes: {}, first_contact_reply: null, sla_applied: null, statistics: null,
      linked_objects: { type: 'list', data: [], total_count: 0, has_more: false }, ai_agent: null, ai_agent_participated: false,
      ...(withParts
        ? {
            conversation_parts: {
              type: 'conversation_part.list',
              conversation_parts: c.parts.map((p) => ({
                type: 'conversation_part', id: p.id, part_type: p.part_type, body: p.body, created_at: p.created_at, updated_at: p.created_at,
                notified_at: p.created_at, assigned_to: null, author: p.author, attachments: [], external_id: null, redacted: false,
              })),
              total_count: c.parts.length,
            },
          }
        : {}),
    };
  }
}

function conversationField(c: IntercomFakeConversation, field: string): unknown {
  switch (field) {
    case 'contact_ids': return c.contact_ids;
    case 'teammate_ids': case 'tag_ids': return [];
    case 'open': return c.state === 'open';
    case 'priority': return 'not_priority';
    case 'admin_assignee_id': case 'team_assignee_id': return null;
    case 'source.delivered_as': return 'customer_initiated';
    case 'conversation_rating.score': return c.rating?.rating ?? null;
    case 'conversation_rating.remark': return c.rating?.remark ?? null;
    case 'conversation_rating.contact_id': return c.rating?.contact_id ?? null;
    default: {
      let v: unknown = c;
      for (const k of field.split('.')) v = isObject(v) ? v[k] : undefined;
      return v ?? null;
    }
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

const SINGLE_OPS = ['=', '!=', 'IN', 'NIN', '<', '<=', '>', '>=', '~', '!~', '^', '$'];

// A query (single filter or AND/OR group) → a predicate, or the reason it is refused.
function compileQuery<T>(q: unknown, fields: Record<string, FieldType>, get: Getter<T>, depth: number): Matcher<T> | string {
  if (!isObject(q)) return 'query must be an object';
  if (q.operator === 'AND' || q.operator === 'OR') {
    if (depth >= 2) return 'There is a limit of max 2 nested filters';
    if (!Array.isArray(q.value) || q.value.length === 0) return `${q.operator} needs an array of filters`;
    if (q.value.length > 15) return 'There is a limit of max 15 filters for each AND or OR group';
    const nested = q.value.map((v) => isObject(v) && (v.operator === 'AND' || v.operator === 'OR'));
    // The document's schema: a group's value is an array of single filters or an array of groups.
    if (nested.some(Boolean) && !nested.every(Boolean)) return 'A group must hold only single filters or only nested groups';
    const parts: Matcher<T>[] = [];
    for (const v of q.value) {
      const m = compileQuery(v, fields, get, depth + 1);
      if (typeof m === 'string') return m;
      parts.push(m);
    }
    return q.operator === 'AND' ? (x) => parts.every((p) => p(x)) : (x) => parts.some((p) => p(x));
  }
  const field = q.field;
  const op = q.operator;
  if (typeof field !== 'string') return 'field must be a string';
  if (typeof op !== 'string' || !SINGLE_OPS.includes(op)) return `${String(op)} is not a valid operator`;
  const type = field.startsWith('custom_attributes.') ? 'string' : fields[field];
  if (!type) return `${field} is not a searchable field`;
  const value = q.value ?? null;
  const lists = op === 'IN' || op === 'NIN';
  if (lists && (type === 'date' || field === 'tag_id')) return `${op} is not supported on ${field}`;
  if (type === 'date' && (op === '!=' || op === '>=' || op === '<=')) return `${op} is not supported on Date fields`;
  if ((op === '>' || op === '<' || op === '>=' || op === '<=') && type !== 'integer' && type !== 'date') return `${op} is only valid for Integer and Date fields`;
  if (['~', '!~', '^', '$'].includes(op) && type !== 'string') return `${op} is only valid for String fields`;
  if (field === 'tag_id' && op !== '=' && op !== '!=') return 'tag_id supports only = and !=';
  const values = lists ? value : [value];
  if (!Array.isArray(values) || (lists && values.length === 0)) return `${op} needs an array value`;
  const typed: unknown[] = [];
  for (const v of values) {
    const t = typedValue(v, type);
    if (t === undefined) return `value ${JSON.stringify(v)} does not match the type of ${field} (${type})`;
    typed.push(t);
  }
  const norm = (v: unknown) => (typeof v === 'string' && CASE_INSENSITIVE.has(field) ? v.toLowerCase() : v);
  // List-valued fields (contact_ids, tag_id …) match when any element does.
  const eq = (actual: unknown, want: unknown): boolean =>
    Array.isArray(actual) ? actual.some((a) => norm(a) === norm(want)) : norm(actual) === norm(want);
  const compare = (actual: unknown, want: unknown): boolean => {
    if (Array.isArray(actual)) return actual.some((a) => compare(a, want));
    const a = norm(actual);
    const w = norm(want);
    if (type === 'date') {
      if (typeof a !== 'number' || typeof w !== 'number') return false;
      const day = Math.floor(w / DAY) * DAY; // UTC calendar day of the value
      if (op === '=') return a >= day && a < day + DAY;
      if (op === '>') return a >= day + DAY;
      return a < day; // '<'
    }
    switch (op) {
      case '>': return typeof a === 'number' && a > (w as number);
      case '<': return typeof a === 'number' && a < (w as number);
      case '>=': return typeof a === 'number' && a >= (w as number);
      case '<=': return typeof a === 'number' && a <= (w as number);
      case '~': return typeof a === 'string' && a.includes(String(w));
      case '!~': return typeof a === 'string' && !a.includes(String(w));
      case '^': return typeof a === 'string' && a.startsWith(String(w));
      default: return typeof a === 'string' && a.endsWith(String(w)); // '$'
    }
  };
  return (item) => {
    const actual = get(item, field);
    if (type !== 'date' && (op === '=' || op === 'IN')) return typed.some((w) => eq(actual, w));
    if (op === '!=' || op === 'NIN') return !typed.some((w) => eq(actual, w));
    return typed.some((w) => compare(actual, w));
  };
}

function typedValue(v: unknown, type: FieldType): unknown {
  if (v === null) return null;
  if (type === 'string') return typeof v === 'string' ? v : undefined;
  if (type === 'boolean') return typeof v === 'boolean' ? v : undefined;
  // Integer and Date: numbers, or digit strings as in the document's own example ("1306054154").
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return Number(v);
  return undefined;
}
