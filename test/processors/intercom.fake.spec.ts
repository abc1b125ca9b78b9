// The Intercom fake refuses what Intercom refuses (intercom.json 2.14, vendors.md §2, §10), driven
// over HTTP.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { IntercomFake } from '../../src/demo/fakes/index.js';
import { call, json } from '../support/fake-http.js';
import { assertVendorCallsValid } from '../support/openapi.js';

let fake: IntercomFake;
beforeAll(async () => {
  fake = await new IntercomFake().start();
});
afterAll(() => fake.stop());
beforeEach(() => {
  fake.reset();
  fake.searchLagMs = 0;
});

const H = () => ({ authorization: `Bearer ${fake.accessToken}`, 'intercom-version': '2.14' });
const get = (path: string) => call(fake.url + path, { headers: H() });
const search = async (query: unknown, pagination?: unknown, path = '/contacts/search') =>
  call(fake.url + path, json('POST', { query, ...(pagination !== undefined ? { pagination } : {}) }, H()));
const ids = (r: { body: { data: { id: string }[] } }) => r.body.data.map((c) => c.id);

describe('Intercom fake: auth and version', () => {
  test('a wrong token is 401; a missing Intercom-Version is refused (fake-only strictness); versions outside the document are refused', async () => {
    const bad = await call(`${fake.url}/contacts/x`, { headers: { ...H(), authorization: 'Bearer nope' } });
    expect([bad.status, bad.body.errors[0]]).toEqual([401, { code: 'unauthorized', message: 'Access Token Invalid' }]);
    const none = await call(`${fake.url}/contacts/x`, { headers: { authorization: `Bearer ${fake.accessToken}` } });
    expect([none.status, none.body.errors[0].code]).toEqual([400, 'intercom_version_missing']);
    for (const v of ['2.15', 'Unstable', '3']) {
      const r = await call(`${fake.url}/contacts/x`, { headers: { ...H(), 'intercom-version': v } });
      expect([v, r.status, r.body.errors[0].code]).toEqual([v, 400, 'intercom_version_invalid']);
    }
    expect((await call(`${fake.url}/contacts/x`, { headers: { ...H(), 'intercom-version': '2.11' } })).status).toBe(404);
  });
});

describe('Intercom fake: contact search', () => {
  test('single filters and AND/OR groups on email, external_id, id and role; one e-mail, several contacts', async () => {
    const user = fake.addContact({ role: 'user', email: 'jane@example.com', external_id: 'u-1' });
    const lead = fake.addContact({ role: 'lead', email: 'JANE@example.com' });
    const other = fake.addContact({ role: 'user', email: 'john@example.com', external_id: 'u-2' });
    expect(ids(await search({ field: 'email', operator: '=', value: 'jane@example.com' }))).toEqual([user.id, lead.id]);
    expect(ids(await search({ operator: 'AND', value: [{ field: 'email', operator: '=', value: 'jane@example.com' }, { field: 'role', operator: '=', value: 'lead' }] }))).toEqual([lead.id]);
    expect(ids(await search({ operator: 'OR', value: [{ field: 'external_id', operator: '=', value: 'u-2' }, { field: 'id', operator: '=', value: lead.id }] }))).toEqual([lead.id, other.id]);
    expect(ids(await search({ operator: 'OR', value: [
      { operator: 'AND', value: [{ field: 'role', operator: '=', value: 'user' }, { field: 'email', operator: '$', value: '@example.com' }] },
      { operator: 'AND', value: [{ field: 'role', operator: '=', value: 'lead' }, { field: 'email', operator: '^', value: 'nobody' }] },
    ] }))).toEqual([user.id, other.id]);
    expect(ids(await search({ field: 'external_id', operator: 'IN', value: ['u-1', 'u-2'] }))).toEqual([user.id, other.id]);
    expect(ids(await search({ field: 'external_id', operator: 'NIN', value: ['u-1'] }))).toEqual([lead.id, other.id]);
    expect(ids(await search({ field: 'email', operator: '~', value: 'john' }))).toEqual([other.id]);
    expect(ids(await search({ field: 'role', operator: '!=', value: 'user' }))).toEqual([lead.id]);
    assertVendorCallsValid(fake);
  });

  test('refuses what the document does not allow: operators for the type, depth, group size, mixed groups, bad values', async () => {
    fake.addContact({ role: 'user', email: 'a@example.com' });
    const single = { field: 'email', operator: '=', value: 'a@example.com' };
    const refused = [
      { field: 'email', operator: '>', value: 'a' },
      { field: 'email', operator: 'LIKE', value: 'a' },
      { field: 'created_at', operator: '!=', value: 1700000000 },
      { field: 'created_at', operator: 'IN', value: [1700000000] },
      { field: 'created_at', operator: '=', value: 'yesterday' },
      { field: 'email', operator: 'IN', value: 'a@example.com' },
      { field: 'nickname', operator: '=', value: 'a' },
      { operator: 'AND', value: [{ operator: 'OR', value: [{ operator: 'AND', value: [single] }] }] },
      { operator: 'OR', value: Array.from({ length: 16 }, () => single) },
      { operator: 'AND', value: [single, { operator: 'OR', value: [single] }] },
      { operator: 'AND', value: [] },
    ];
    for (const q of refused) {
      const r = await search(q);
      expect({ q, status: r.status, code: r.body.errors?.[0]?.code }).toEqual({ q, status: 400, code: 'parameter_invalid' });
    }
    expect((await call(`${fake.url}/contacts/search`, json('POST', { pagination: { per_page: 5 } }, H()))).status).toBe(400);
    expect((await search(single, { per_page: 151 })).status).toBe(400);
    expect((await search(single, { per_page: 50, starting_after: 'not-a-cursor' })).status).toBe(400);
    const form = await call(`${fake.url}/contacts/search`, { method: 'POST', headers: { ...H(), 'content-type': 'application/x-www-form-urlencoded' }, body: 'query=a' });
    expect(form.status).toBe(400);
  });

  test('Date fields match by UTC calendar day; > starts the next day', async () => {
    const day = Date.UTC(2024, 0, 10) / 1000;
    const morning = fake.addContact({ role: 'user', email: 'm@example.com', created_at: day + 3600 });
    const nextDay = fake.addContact({ role: 'user', email: 'n@example.com', created_at: day + 86400 + 60 });
    expect(ids(await search({ field: 'created_at', operator: '=', value: day + 20000 }))).toEqual([morning.id]);
    expect(ids(await search({ field: 'created_at', operator: '>', value: day + 7200 }))).toEqual([nextDay.id]);
    expect(ids(await search({ field: 'created_at', operator: '<', value: String(day + 86400) }))).toEqual([morning.id]);
  });

  test('cursor pages: per_page ≤ 150, pages.next.starting_after until the last page', async () => {
    for (let i = 0; i < 5; i++) fake.addContact({ role: 'lead', email: 'p@example.com' });
    const q = { field: 'email', operator: '=', value: 'p@example.com' };
    const seen: string[] = [];
    let next: { per_page: number; starting_after: string } | undefined = undefined;
    let pages = 0;
    do {
      const r: Awaited<ReturnType<typeof search>> = await search(q, next ?? { per_page: 2 });
      expect(r.body.total_count).toBe(5);
      seen.push(...ids(r));
      next = r.body.pages.next;
      pages++;
    } while (next);
    expect([pages, new Set(seen).size]).toEqual([3, 5]);
    const def = await search(q);
    expect(def.body.pages.per_page).toBe(50);
  });

  test('new contacts lag behind search; merged contacts never appear; archived contacts are not found by e-mail', async () => {
    const fresh = fake.addContact({ role: 'user', email: 'lag@example.com' });
    fake.searchLagMs = 60_000;
    expect(ids(await search({ field: 'email', operator: '=', value: 'lag@example.com' }))).toEqual([]);
    fake.searchLagMs = 0;
    expect(ids(await search({ field: 'email', operator: '=', value: 'lag@example.com' }))).toEqual([fresh.id]);
    const merged = fake.addContact({ role: 'lead', email: 'm@example.com' });
    const target = fake.addContact({ role: 'user', email: 'm@example.com' });
    fake.mergeContact(merged.id, target.id);
    expect(ids(await search({ field: 'email', operator: '=', value: 'm@example.com' }))).toEqual([target.id]);
    expect((await get(`/contacts/${merged.id}`)).status).toBe(404);
    const archived = fake.addContact({ role: 'user', email: 'arch@example.com' });
    fake.archiveContact(archived.id);
    expect(ids(await search({ field: 'email', operator: '=', value: 'arch@example.com' }))).toEqual([]);
    expect((await get(`/contacts/${archived.id}`)).status).toBe(200);
  });
});

describe('Intercom fake: contact data and deletion', () => {
  test('contact, notes, tags and companies as documented lists; 404 "Contact Not Found" for unknown ids', async () => {
    const c = fake.addContact({ role: 'user', email: 'd@example.com', name: 'Dee' });
    const note = fake.addNote(c.id, { body: '<p>called</p>' });
    const tag = fake.addTag(c.id, 'VIP');
    fake.addCompany(c.id, { name: 'Acme' });
    const contact = await get(`/contacts/${c.id}`);
    expect([contact.body.notes.total_count, contact.body.tags.data[0].id, contact.body.companies.total_count]).toEqual([1, tag.id, 1]);
    expect((await get(`/contacts/${c.id}/notes`)).body.data.map((n: { id: string; body: string }) => [n.id, n.body])).toEqual([[note.id, '<p>called</p>']]);
    expect((await get(`/contacts/${c.id}/tags`)).body.data.map((t: { name: string }) => t.name)).toEqual(['VIP']);
    expect((await get(`/contacts/${c.id}/companies`)).body.companies.map((x: { name: string }) => x.name)).toEqual(['Acme']);
    for (const p of ['', '/notes', '/tags', '/companies']) {
      const r = await get(`/contacts/nobody${p}`);
      expect([r.status, r.body.errors[0]]).toEqual([404, { code: 'not_found', message: 'Contact Not Found' }]);
    }
    assertVendorCallsValid(fake);
  });

  test('DELETE → 200 deleted:true, again → 404; conversations stay for the 7-day grace, then go; CSAT is kept', async () => {
    const c = fake.addContact({ role: 'user', email: 'del@example.com', external_id: 'u-9' });
    const conv = fake.addConversation({ contactIds: [c.id], body: '<p>help</p>', parts: [{ body: '<p>sure</p>' }], rating: { rating: 2, remark: 'slow' } });
    const first = await call(`${fake.url}/contacts/${c.id}`, { method: 'DELETE', headers: H() });
    expect([first.status, first.body]).toEqual([200, { type: 'contact', id: c.id, external_id: 'u-9', deleted: true }]);
    const again = await call(`${fake.url}/contacts/${c.id}`, { method: 'DELETE', headers: H() });
    expect([again.status, again.body.errors[0]]).toEqual([404, { code: 'not_found', message: 'Contact Not Found' }]);
    expect((await get(`/contacts/${c.id}`)).status).toBe(404);
    const convs = await search({ field: 'contact_ids', operator: '=', value: c.id }, undefined, '/conversations/search');
    expect(convs.body.conversations.map((x: { id: string }) => x.id)).toEqual([conv.id]);
    expect(fake.purgeDeleted(Date.now() + 6 * 86_400_000)).toEqual([]);
    expect(fake.conversationsOf(c.id)).toHaveLength(1);
    expect(fake.purgeDeleted(Date.now() + 7 * 86_400_000 + 1000)).toEqual([c.id]);
    expect(fake.conversationsOf(c.id)).toEqual([]);
    expect((await get(`/conversations/${conv.id}`)).status).toBe(404);
    expect(fake.retainedRatings).toEqual([{ rating: 2, remark: 'slow', created_at: expect.any(Number), contact_id: c.id, conversation_id: conv.id }]);
  });
});

describe('Intercom fake: conversations and rate limits', () => {
  test('conversation search by contact_ids: 20 a page by default, at most 150; GET with its parts', async () => {
    const c = fake.addContact({ role: 'user', email: 'conv@example.com' });
    const other = fake.addContact({ role: 'lead', email: 'x@example.com' });
    for (let i = 0; i < 25; i++) fake.addConversation({ contactIds: [c.id], body: `<p>${i}</p>` });
    fake.addConversation({ contactIds: [other.id], body: '<p>not hers</p>' });
    const first = await search({ field: 'contact_ids', operator: '=', value: c.id }, undefined, '/conversations/search');
    expect([first.body.total_count, first.body.conversations.length, first.body.pages.per_page]).toEqual([25, 20, 20]);
    const second = await search({ field: 'contact_ids', operator: '=', value: c.id }, first.body.pages.next, '/conversations/search');
    expect([second.body.conversations.length, second.body.pages.next]).toEqual([5, undefined]);
    expect((await search({ field: 'contact_ids', operator: '=', value: c.id }, { per_page: 151 }, '/conversations/search')).status).toBe(400);
    const conv = fake.addConversation({ contactIds: [c.id], body: '<p>q</p>', parts: [{ body: '<p>a1</p>' }, { body: '<p>a2</p>' }] });
    const full = await get(`/conversations/${conv.id}`);
    expect(full.body.conversation_parts.conversation_parts.map((p: { body: string }) => p.body)).toEqual(['<p>a1</p>', '<p>a2</p>']);
    expect(full.body.source.body).toBe('<p>q</p>');
    expect((await get('/conversations/999999')).status).toBe(404);
    assertVendorCallsValid(fake);
  });

  test('429 rate_limit_exceeded with X-RateLimit-Reset as epoch seconds', async () => {
    fake.setRateLimit({ perSecond: 1 });
    const ok = await get('/contacts/none');
    expect(ok.headers.get('x-ratelimit-limit')).toBe('1');
    const over = await get('/contacts/none');
    expect([over.status, over.body.errors[0].code, over.headers.get('x-ratelimit-remaining')]).toEqual([429, 'rate_limit_exceeded', '0']);
    expect(Number(over.headers.get('x-ratelimit-reset'))).toBeGreaterThan(1_700_000_000);
  });
});
