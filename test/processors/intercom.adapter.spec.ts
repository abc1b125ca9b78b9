// Intercom against the strict fake (vendors.md §2, §10): contacts by e-mail OR external_id in one
// search (every page), their notes, tags, companies and conversations with parts; deletion is
// restorable for 7 days and CSAT ratings are kept. Every recorded call is checked against
// Intercom's OpenAPI document (and the project's rule that Intercom-Version is pinned).
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { startVendorFakes, type VendorFakes } from '../../src/demo/fakes/index.js';
import { INTERCOM_SEARCH_NOTE, IntercomAdapter } from '../../src/processors/intercom/intercom.adapter.js';
import { loadVendorConfig } from '../../src/processors/vendor-config.js';
import { assertVendorCallsValid } from '../support/openapi.js';
import { failure, firstIndex, makeCtx, retryCtx } from './support.js';

const EMAIL = 'jane.doe@example.com';
const SUBJECT = { email: EMAIL, userId: 'u-1' };
let fakes: VendorFakes;
let adapter: IntercomAdapter;

beforeAll(async () => {
  fakes = await startVendorFakes();
  adapter = new IntercomAdapter(loadVendorConfig(fakes.env).intercom, 3000);
});
afterAll(() => fakes.stop());
beforeEach(() => fakes.reset());

function seed(leads = 1) {
  const ic = fakes.intercom;
  ic.addContact({ id: 'c-user', role: 'user', email: EMAIL, external_id: 'u-1', name: 'Jane Doe', phone: '+351900000001', custom_attributes: { business_role: 'CTO' }, os: 'Linux', location: { country: 'Portugal', city: 'Lisbon' } });
  for (let i = 0; i < leads; i++) ic.addContact({ id: `c-lead-${i}`, role: 'lead', email: EMAIL.toUpperCase() });
  // The same person under the product's user id, with the address they had before.
  ic.addContact({ id: 'c-old', role: 'user', email: 'jane@old.example.com', external_id: 'u-1' });
  ic.addContact({ id: 'c-other', role: 'user', email: 'other@example.com', external_id: 'u-2' });
  ic.addNote('c-user', { body: '<p>Asked about invoice export.</p>', created_at: 1767225600 });
  ic.addTag('c-user', 'Beta tester');
  ic.addCompany('c-user', { name: 'Acme' });
  const rated = ic.addConversation({ contactIds: ['c-user'], body: '<p>I cannot export my invoices.</p>', subject: 'Export', parts: [{ body: '<p>Looking into it.</p>' }], rating: { rating: 5, remark: 'Quick answer' }, created_at: 1767225600 });
  const plain = ic.addConversation({ contactIds: ['c-old'], body: '<p>Hello</p>', created_at: 1767225700 });
  const group = ic.addConversation({ contactIds: ['c-user', 'c-other'], body: '<p>Both of us here</p>', created_at: 1767225800 });
  ic.addConversation({ contactIds: ['c-other'], body: '<p>Not Jane</p>' });
  return { rated: rated.id, plain: plain.id, group: group.id };
}

describe('Intercom adapter', () => {
  test('one OR search on e-mail and external_id; each contact with notes, tags, companies and conversations with their parts', async () => {
    const s = seed();
    const res = await adapter.access(makeCtx(SUBJECT).ctx);
    expect(res.outcome).toBe('found');
    expect(res.note).toBe(INTERCOM_SEARCH_NOTE);
    const records = res.records as { contact: { id: string }; notes: unknown[]; tags: { name: string }[]; companies: { name: string }[]; conversations: { id: string; conversation_parts: { conversation_parts: unknown[] } }[] }[];
    expect(records.map((r) => r.contact.id)).toEqual(['c-user', 'c-lead-0', 'c-old']);
    expect(records[0]!.tags.map((t) => t.name)).toEqual(['Beta tester']);
    expect(records[0]!.companies.map((c) => c.name)).toEqual(['Acme']);
    expect(records[0]!.conversations.map((c) => c.id)).toEqual([s.rated, s.group]);
    expect(records[0]!.conversations[0]!.conversation_parts.conversation_parts).toHaveLength(1);
    expect(records[2]!.conversations.map((c) => c.id)).toEqual([s.plain]);
    const search = fakes.intercom.calls.filter((c) => c.path === '/contacts/search').map((c) => c.body);
    expect(search).toEqual([{
      query: { operator: 'OR', value: [{ field: 'email', operator: '=', value: EMAIL }, { field: 'external_id', operator: '=', value: 'u-1' }] },
      pagination: { per_page: 150 },
    }]);
    expect(fakes.intercom.calls.filter((c) => c.path === '/conversations/search').map((c) => (c.body as { query: unknown }).query)).toEqual(
      ['c-user', 'c-lead-0', 'c-old'].map((value) => ({ field: 'contact_ids', operator: '=', value })),
    );
    const user = res.items.filter((i) => i.where === 'Intercom user c-user');
    expect(user.map((i) => [i.item, i.value])).toEqual([
      ['user_id', 'u-1'], ['email', EMAIL], ['name', 'Jane Doe'], ['phone_number', '+351900000001'],
      ['user_creation_date', expect.any(String)], ['operating_system', 'Linux'],
      ['geolocation', { country: 'Portugal', region: null, city: 'Lisbon' }], ['business_role', 'CTO'],
    ]);
    expect(res.items).toContainEqual({ item: 'activity', value: [{ date: '2026-01-01T00:00:00.000Z', note: '<p>Asked about invoice export.</p>' }], where: 'Intercom notes on user c-user' });
    expect(res.items).toContainEqual({ item: 'company', value: ['Acme'], where: 'Intercom companies of user c-user' });
    const convs = res.items.find((i) => i.where === 'Intercom conversations of user c-user')!.value as { conversation: string; subject?: string; messages: { from: string; body: string }[]; rating?: number }[];
    expect(convs[0]).toEqual({
      conversation: s.rated, started: '2026-01-01T00:00:00.000Z', subject: 'Export', rating: 5, remark: 'Quick answer',
      messages: [
        { date: '2026-01-01T00:00:00.000Z', from: 'user', body: '<p>I cannot export my invoices.</p>' },
        { date: '2026-01-01T00:00:01.000Z', from: 'admin', body: '<p>Looking into it.</p>' },
      ],
    });
  });

  test('without a product user id the search is on the e-mail alone; the stored spelling joins it with OR', async () => {
    seed(0);
    await adapter.access(makeCtx({ email: EMAIL }).ctx);
    await adapter.access(makeCtx({ email: EMAIL, storedEmail: 'Jane.Doe@example.com' }).ctx);
    expect(fakes.intercom.calls.filter((c) => c.path === '/contacts/search').map((c) => (c.body as { query: unknown }).query)).toEqual([
      { field: 'email', operator: '=', value: EMAIL },
      { operator: 'OR', value: [{ field: 'email', operator: '=', value: EMAIL }, { field: 'email', operator: '=', value: 'Jane.Doe@example.com' }] },
    ]);
  });

  test('every page of the contact search (per_page 150)', async () => {
    seed(200);
    const t = makeCtx(SUBJECT, fakes.intercom);
    const r = await adapter.erase(t.ctx);
    expect(r.actions[0]).toEqual({ what: 'Intercom contact (user or lead), with its notes, tags and company links', count: 202, how: 'recycled' });
    expect(fakes.intercom.requests('POST', '/contacts/search')).toHaveLength(2);
    expect(fakes.intercom.contacts.size).toBe(1);
  });

  test('archived and merged contacts are not found: the note says so, and nothing more is claimed', async () => {
    fakes.intercom.addContact({ id: 'c-arch', role: 'user', email: EMAIL });
    fakes.intercom.archiveContact('c-arch');
    expect(await adapter.access(makeCtx({ email: EMAIL }).ctx)).toEqual({ outcome: 'not_found', items: [], records: [], note: INTERCOM_SEARCH_NOTE });
    expect(await adapter.erase(makeCtx({ email: EMAIL }).ctx)).toEqual({ outcome: 'not_found', actions: [], retained: [], note: INTERCOM_SEARCH_NOTE });
    expect(fakes.intercom.requests('DELETE')).toHaveLength(0);
    expect(fakes.intercom.contacts.has('c-arch')).toBe(true);
  });

  test('erase: ids and conversations saved first, contacts deleted, restorable for 7 days, ratings and group conversations retained; a retry reports the same', async () => {
    const s = seed();
    const first = makeCtx(SUBJECT, fakes.intercom);
    const r1 = await adapter.erase(first.ctx);
    const deletedAt = first.saved.intercomDeletedAt as string;
    const until = new Date(Date.parse(deletedAt) + 7 * 86_400_000).toISOString();
    expect(r1).toEqual({
      outcome: 'restorable',
      actions: [
        { what: 'Intercom contact (user or lead), with its notes, tags and company links', count: 3, how: 'recycled' },
        { what: 'Intercom conversation of the contact', count: 2, how: 'recycled' },
      ],
      retained: [
        { item: 'activity', count: 1, what: 'CSAT rating (1 to 5) and its comment, given on a conversation', reason: 'Intercom keeps conversation ratings and their comments when a contact and its conversations are deleted', until: 'no end stated by Intercom' },
        { item: 'activity', count: 1, what: 'group conversation in which other people took part too, with the messages the subject wrote in it', reason: "it belongs to the other participants' contacts as well; deleting the subject's contact does not delete it", until: "the other participants' contacts are deleted" },
      ],
      remains: `Intercom can restore the 3 deleted contact(s) and 2 conversation(s) until ${until} (7-day grace after deletion); then it destroys them permanently. It keeps 1 CSAT rating(s) and comment(s) after that.`,
      note: INTERCOM_SEARCH_NOTE,
    });
    expect(first.saved.intercomContactIds).toEqual(['c-user', 'c-lead-0', 'c-old']);
    expect(first.saved.intercomConversations).toEqual({ checked: ['c-user', 'c-lead-0', 'c-old'], own: [s.rated, s.plain], shared: [s.group], rated: [s.rated] });
    expect(first.savedAtLogLength[0]).toBeLessThan(firstIndex(fakes.intercom, 'DELETE'));
    expect([...fakes.intercom.contacts.keys()]).toEqual(['c-other']);
    expect([...fakes.intercom.deletedContacts.keys()]).toEqual(['c-user', 'c-lead-0', 'c-old']);

    // What the result says matches what Intercom does once the grace period ends.
    const purged = fakes.intercom.purgeDeleted(Date.parse(until) + 1000);
    expect(purged).toEqual(['c-user', 'c-lead-0', 'c-old']);
    expect(fakes.intercom.retainedRatings.map((r) => [r.conversation_id, r.rating, r.remark])).toEqual([[s.rated, 5, 'Quick answer']]);
    expect(fakes.intercom.conversations.has(s.group)).toBe(true);
    expect(fakes.intercom.conversations.has(s.plain)).toBe(false);

    // A retry (worker killed after the deletes) makes no call and reports the same.
    const before = fakes.intercom.log.length;
    expect(await adapter.erase(retryCtx(first, fakes.intercom).ctx)).toEqual(r1);
    expect(fakes.intercom.log.length).toBe(before);
  });

  test('a retry whose deletes were not recorded gets 404s for them and reports the same', async () => {
    seed();
    const first = makeCtx(SUBJECT, fakes.intercom);
    const r1 = await adapter.erase(first.ctx);
    const { intercomDeletedIds: _d, ...beforeDeletes } = first.saved;
    const r2 = await adapter.erase(makeCtx(SUBJECT, fakes.intercom, beforeDeletes).ctx);
    expect(r2).toEqual(r1);
    expect(fakes.intercom.requests('DELETE').map((r) => r.status)).toEqual([200, 200, 200, 404, 404, 404]);
  });

  test('a contact without conversations: restorable, nothing retained', async () => {
    fakes.intercom.addContact({ id: 'c-1', role: 'lead', email: EMAIL });
    const t = makeCtx({ email: EMAIL }, fakes.intercom);
    const r = await adapter.erase(t.ctx);
    expect(r.outcome).toBe('restorable');
    expect(r.actions).toEqual([{ what: 'Intercom contact (user or lead), with its notes, tags and company links', count: 1, how: 'recycled' }]);
    expect(r.retained).toEqual([]);
    expect(r.remains).toMatch(/^Intercom can restore the 1 deleted contact\(s\) until \S+ \(7-day grace after deletion\); then it destroys them permanently\.$/);
  });

  test('a search answer holding someone else stops the task before anything is deleted', async () => {
    seed();
    fakes.intercom.failNext(1, 200, { type: 'list', data: [{ type: 'contact', id: 'c-other', email: 'other@example.com', external_id: 'u-2' }], total_count: 1, pages: { type: 'pages', page: 1, per_page: 150, total_pages: 1 } });
    const err = await failure(adapter.erase(makeCtx(SUBJECT).ctx));
    expect(err.kind).toBe('permanent');
    expect(err.message).toBe("Intercom's contact search returned contact c-other, which is not the subject's: stopped");
    expect(fakes.intercom.requests('DELETE')).toHaveLength(0);
  });

  test('wrong token → auth; the version header is always sent', async () => {
    const bad = new IntercomAdapter({ ...loadVendorConfig(fakes.env).intercom, accessToken: 'nope' }, 3000);
    const err = await failure(bad.access(makeCtx(SUBJECT).ctx));
    expect([err.kind, err.status]).toEqual(['auth', 401]);
    expect(err.message).toBe('Intercom POST /contacts/search answered HTTP 401 (unauthorized)');
    expect(fakes.intercom.calls[0]!.headers['intercom-version']).toBe('2.14');
  });

  test('429 with Intercom rate-limit headers is waited out or handed back; 5xx transient and nothing deleted', async () => {
    seed(0);
    fakes.intercom.rateLimitNext(1, 1);
    expect((await adapter.access(makeCtx(SUBJECT).ctx)).outcome).toBe('found');
    expect(fakes.intercom.log.slice(0, 2).map((r) => r.status)).toEqual([429, 200]);

    fakes.intercom.rateLimitNext(1, 30);
    const err = await failure(adapter.access(makeCtx(SUBJECT).ctx));
    expect(err.kind).toBe('rate_limited');
    expect(err.retryAfterMs).toBeGreaterThan(28_000);

    fakes.intercom.failNext(3, 502);
    expect((await failure(adapter.erase(makeCtx(SUBJECT).ctx))).kind).toBe('transient');
    expect(fakes.intercom.contacts.has('c-user')).toBe(true);
  });
});

afterEach(() => assertVendorCallsValid(fakes.intercom));
