// The SendGrid fake refuses what SendGrid refuses (sendgrid-contacts.json, sendgrid-suppressions.json,
// sendgrid-erasure.json, vendors.md §6, §10), driven over HTTP.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { SendGridFake } from '../../src/demo/fakes/index.js';
import { call, json } from '../support/fake-http.js';
import { assertVendorCallsValid } from '../support/openapi.js';

let fake: SendGridFake;
beforeAll(async () => {
  fake = await new SendGridFake({ subusers: ['eu-brand'] }).start();
});
afterAll(() => fake.stop());
beforeEach(() => {
  fake.reset();
  fake.deleteJobDelayMs = 0;
  fake.unknownIdsDelete = 'not_found';
});

const auth = (extra: Record<string, string> = {}) => ({ authorization: `Bearer ${fake.apiKey}`, ...extra });
const byEmails = (emails: unknown, extra: Record<string, string> = {}) => call(`${fake.url}/v3/marketing/contacts/search/emails`, json('POST', { emails }, auth(extra)));
const del = (query: string, extra: Record<string, string> = {}) => call(`${fake.url}/v3/marketing/contacts?${query}`, { method: 'DELETE', headers: auth(extra) });
const job = (id: string, extra: Record<string, string> = {}) => call(`${fake.url}/v3/marketing/contacts/imports/${id}`, { headers: auth(extra) });
const erase = (emails: unknown, extra: Record<string, string> = {}) => call(`${fake.url}/v3/recipients/erasejob`, json('POST', { email_addresses: emails }, auth(extra)));

describe('SendGrid fake: auth and subusers', () => {
  test('a wrong key is 401; on-behalf-of selects a subuser\'s own data; an unknown subuser is refused', async () => {
    const bad = await byEmails(['a@example.com'], { authorization: 'Bearer SG.wrong' });
    expect([bad.status, bad.body.errors[0].message]).toEqual([401, 'authorization required']);
    fake.addContact({ email: 'sub@example.com' }, 'eu-brand');
    expect((await byEmails(['sub@example.com'])).status).toBe(404);
    expect((await byEmails(['sub@example.com'], { 'on-behalf-of': 'eu-brand' })).status).toBe(200);
    const unknown = await byEmails(['sub@example.com'], { 'on-behalf-of': 'ghost' });
    expect([unknown.status, unknown.body.errors[0].message]).toEqual([403, 'access forbidden']);
    expect((await byEmails(['sub@example.com'], { 'on-behalf-of': 'account-id 123' })).status).toBe(403);
  });
});

describe('SendGrid fake: marketing contacts', () => {
  test('search/emails: case-insensitive, alternate e-mails, 404 when none matches, 1–100 valid addresses', async () => {
    const c = fake.addContact({ email: 'Jane@Example.com', alternate_emails: ['jd@work.example'] });
    const found = await byEmails(['JANE@example.com', 'JD@work.example', 'none@example.com']);
    expect(found.status).toBe(200);
    expect(found.body.result['JANE@example.com'].contact.id).toBe(c.id);
    expect(found.body.result['JD@work.example'].contact.email).toBe('jane@example.com');
    expect(found.body.result['none@example.com']).toEqual({ error: 'contact not found' });
    expect((await byEmails(['none@example.com'])).status).toBe(404);
    expect((await byEmails([])).status).toBe(400);
    expect((await byEmails(Array.from({ length: 101 }, (_, i) => `a${i}@example.com`))).status).toBe(400);
    expect((await byEmails(['not-an-address'])).status).toBe(400);
    const text = await call(`${fake.url}/v3/marketing/contacts/search/emails`, { method: 'POST', headers: auth({ 'content-type': 'text/plain' }), body: '{"emails":["a@example.com"]}' });
    expect(text.status).toBe(400);
  });

  test('SGQL search: e-mails are stored lower-case, so only lower-case or lower() finds them; other queries are refused', async () => {
    fake.addContact({ email: 'Mixed@Example.com' });
    const q = (query: string) => call(`${fake.url}/v3/marketing/contacts/search`, json('POST', { query }, auth()));
    expect((await q("email = 'Mixed@Example.com'")).body.contact_count).toBe(0);
    expect((await q("email = 'mixed@example.com'")).body.contact_count).toBe(1);
    expect((await q("lower(email) = 'mixed@example.com' OR email = 'x@example.com'")).body.contact_count).toBe(1);
    expect((await q("first_name LIKE 'M%'")).status).toBe(400);
  });

  test('DELETE takes ids as ONE comma-separated value or delete_all_contacts, never both or neither', async () => {
    const c = fake.addContact({ email: 'a@example.com' });
    for (const q of [`ids=${c.id}&ids=${c.id}`, `ids=${c.id}&delete_all_contacts=true`, '', 'delete_all_contacts=yes', 'ids=a,,b']) {
      const r = await del(q);
      expect({ q, status: r.status }).toEqual({ q, status: 400 });
    }
    expect(fake.jobs.size).toBe(0);
  });

  test('deletion is an asynchronous job; the contact stays until it ends; a repeat for ids already gone is 404', async () => {
    const c = fake.addContact({ email: 'a@example.com' });
    const keep = fake.addContact({ email: 'b@example.com' });
    fake.deleteJobDelayMs = 150;
    const accepted = await del(`ids=${c.id},${'f'.repeat(8)}`);
    expect([accepted.status, typeof accepted.body.job_id]).toEqual([202, 'string']);
    const pending = await job(accepted.body.job_id);
    expect([pending.body.status, pending.body.job_type, pending.body.finished_at]).toEqual(['pending', 'delete', undefined]);
    expect((await byEmails(['a@example.com'])).status).toBe(200);
    await new Promise((r) => setTimeout(r, 200));
    const done = await job(accepted.body.job_id);
    expect([done.body.status, done.body.results]).toEqual(['completed', { requested_count: 2, deleted_count: 1, errored_count: 0 }]);
    expect((await byEmails(['a@example.com'])).status).toBe(404);
    expect(fake.contacts.has(keep.id)).toBe(true);
    const repeat = await del(`ids=${c.id}`);
    expect(repeat.status).toBe(404);
    fake.unknownIdsDelete = 'accepted';
    expect((await del(`ids=${c.id}`)).status).toBe(202);
    expect((await job(accepted.body.job_id, { 'on-behalf-of': 'eu-brand' })).status).toBe(404); // another account's job
    assertVendorCallsValid(fake);
  });
});

describe('SendGrid fake: recipient erasure and suppressions', () => {
  test('erasejob removes transactional activity (contact deletion does not), for this account only', async () => {
    const c = fake.addContact({ email: 'e@example.com' });
    fake.addEmailActivity({ to: 'e@example.com', subject: 'Your invoice', ip: '198.51.100.20' });
    fake.addEmailActivity({ to: 'e@example.com', subject: 'Welcome' }, 'eu-brand');
    fake.addEmailActivity({ to: 'other@example.com', subject: 'Hi' });
    expect((await del(`ids=${c.id}`)).status).toBe(202);
    fake.completeJobs();
    expect(fake.contacts.has(c.id)).toBe(false);
    expect(fake.activityFor('e@example.com').map((m) => m.subject)).toEqual(['Your invoice']);
    const r = await erase(['E@example.com', 'e@example.com']);
    expect([r.status, typeof r.body.job_id]).toEqual([202, 'string']);
    expect(fake.activityFor('e@example.com')).toEqual([]);
    expect(fake.activityFor('other@example.com')).toHaveLength(1);
    expect(fake.activityFor('e@example.com', 'eu-brand')).toHaveLength(1); // no cascade to subusers
    expect(fake.erasureJobs.get(r.body.job_id)).toMatchObject({ emails: ['e@example.com'], erasedMessages: 1, account: '' });
    expect((await erase(['e@example.com'], { 'on-behalf-of': 'eu-brand' })).status).toBe(202);
    expect(fake.activityFor('e@example.com', 'eu-brand')).toEqual([]);
    assertVendorCallsValid(fake);
  });

  test('erasejob refuses 0 or over 5,000 addresses and invalid ones, with the erasure API\'s error shape', async () => {
    for (const emails of [[], Array.from({ length: 5001 }, (_, i) => `u${i}@example.com`), ['user1@gml'], 'a@example.com']) {
      const r = await erase(emails);
      expect([r.status, r.body.errors[0].field]).toEqual([400, 'email_addresses']);
    }
    const noAuth = await call(`${fake.url}/v3/recipients/erasejob`, json('POST', { email_addresses: ['a@example.com'] }));
    expect([noAuth.status, noAuth.body.errors[0]]).toEqual([401, { field: '', message: 'Failed to authenticate' }]);
  });

  test('erasure is limited per minute; its 429 says seconds to wait and X-Envoy-Ratelimited, others an epoch reset', async () => {
    const first = await erase(['a@example.com']);
    expect([first.headers.get('x-ratelimit-limit'), first.headers.get('x-ratelimit-remaining')]).toEqual(['100', '99']);
    expect(Number(first.headers.get('x-ratelimit-reset'))).toBeLessThanOrEqual(60);
    fake.reset();
    fake.setRateLimit({ perMinute: 3 }, 'erasure');
    for (let i = 0; i < 3; i++) expect((await erase(['a@example.com'])).status).toBe(202);
    const limited = await erase(['a@example.com']);
    expect([limited.status, limited.headers.get('x-envoy-ratelimited'), limited.headers.get('x-ratelimit-remaining'), limited.headers.get('x-ratelimit-limit')]).toEqual([429, 'true', '0', '3']);
    const wait = Number(limited.headers.get('x-ratelimit-reset'));
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(60);
    const other = await byEmails(['a@example.com']);
    expect(Number(other.headers.get('x-ratelimit-reset'))).toBeGreaterThan(1_700_000_000);
    fake.rateLimitNext(1, 5);
    const general = await byEmails(['a@example.com']);
    expect([general.status, general.body, general.headers.get('x-envoy-ratelimited')]).toEqual([429, { errors: [{ field: null, message: 'too many requests' }] }, null]);
    expect(Number(general.headers.get('x-ratelimit-reset'))).toBeGreaterThan(1_700_000_000);
  });

  test('suppressions by e-mail: reads as documented, deletes answer 204 and remove them', async () => {
    fake.addSuppressions('s@example.com', {
      global: true, groups: [{ id: 102 }], bounces: [{ created: 1700000000, reason: '550', status: '5.1.1' }],
      blocks: [{ created: 1700000001, reason: 'blocked', status: '4.0.0' }], spam_reports: [{ created: 1700000002, ip: '10.0.0.1' }],
      invalid_emails: [{ created: 1700000003, reason: 'bad' }],
    });
    const e = encodeURIComponent('S@example.com');
    const read = (p: string) => call(`${fake.url}/v3/${p}`, { headers: auth() });
    expect((await read(`asm/suppressions/global/${e}`)).body).toEqual({ recipient_email: 's@example.com' });
    expect((await read(`asm/suppressions/${e}`)).body.suppressions.filter((g: { suppressed: boolean }) => g.suppressed).map((g: { id: number }) => g.id)).toEqual([102]);
    for (const kind of ['bounces', 'blocks', 'spam_reports', 'invalid_emails']) expect((await read(`suppression/${kind}/${e}`)).body).toHaveLength(1);
    for (const p of [`asm/suppressions/global/${e}`, `asm/groups/102/suppressions/${e}`, ...['bounces', 'blocks', 'spam_reports', 'invalid_emails'].map((k) => `suppression/${k}/${e}`)]) {
      expect((await call(`${fake.url}/v3/${p}`, { method: 'DELETE', headers: auth() })).status).toBe(204);
    }
    expect((await read(`asm/suppressions/global/${e}`)).body).toEqual({});
    expect((await read(`asm/suppressions/${e}`)).body.suppressions.some((g: { suppressed: boolean }) => g.suppressed)).toBe(false);
    for (const kind of ['bounces', 'blocks', 'spam_reports', 'invalid_emails']) expect((await read(`suppression/${kind}/${e}`)).body).toEqual([]);
    assertVendorCallsValid(fake);
  });
});
