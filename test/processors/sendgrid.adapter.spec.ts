// SendGrid against the strict fake (vendors.md §6, §10): recipient erasure on every erasure request,
// for the parent account and each subuser; marketing contacts deleted by an asynchronous job; bounces,
// blocks and invalid e-mails deleted, unsubscribes and spam reports kept as retained; the e-mail
// history unreadable. Every recorded call is checked against SendGrid's OpenAPI documents.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { startVendorFakes, type VendorFakes } from '../../src/demo/fakes/index.js';
import { SENDGRID_UNREADABLE, SendGridAdapter } from '../../src/processors/sendgrid/sendgrid.adapter.js';
import { loadVendorConfig } from '../../src/processors/vendor-config.js';
import { assertVendorCallsValid } from '../support/openapi.js';
import { failure, makeCtx, retryCtx } from './support.js';

const EMAIL = 'jane.doe@example.com';
const SUB = 'fake-subuser';
const KEEP = {
  reason: "kept so that no e-mail is ever sent to the address again (the subject's unsubscribe/objection is honoured)",
  until: 'as long as the company sends e-mail through SendGrid',
};
const ERASEJOB = 'SendGrid recipient data erasure of the address: the data of every e-mail sent to it (names, subject lines, IP addresses)';
let fakes: VendorFakes;
let adapter: SendGridAdapter;
let withSub: SendGridAdapter;

beforeAll(async () => {
  fakes = await startVendorFakes();
  adapter = new SendGridAdapter(loadVendorConfig(fakes.env).sendgrid, 3000);
  withSub = new SendGridAdapter(loadVendorConfig({ ...fakes.env, SENDGRID_SUBUSERS: ` ${SUB} ` }).sendgrid, 3000);
});
afterAll(() => fakes.stop());
beforeEach(() => {
  fakes.reset();
  fakes.sendgrid.deleteJobDelayMs = 0;
});

function seed() {
  const sg = fakes.sendgrid;
  const c = sg.addContact({ email: EMAIL, first_name: 'Jane', last_name: 'Doe', phone_number: '+351900000001', city: 'Lisbon', country: 'Portugal' });
  sg.addContact({ email: 'other@example.com' });
  sg.addSuppressions(EMAIL, {
    groups: [{ id: 101, name: 'Product news' }],
    global: true,
    bounces: [{ created: 1700000000, reason: '550 mailbox unavailable', status: '5.1.1' }],
    blocks: [{ created: 1700000100, reason: 'blocked', status: '4.0.0' }, { created: 1700000200, reason: 'blocked again', status: '4.0.0' }],
    spam_reports: [{ created: 1700000300, ip: '198.51.100.9' }],
    invalid_emails: [{ created: 1700000400, reason: 'Mail domain mentioned in email address is unknown' }],
  });
  sg.addSuppressions(EMAIL, { bounces: [{ created: 1700000500, reason: '552 mailbox full', status: '5.2.2' }] }, SUB);
  sg.addEmailActivity({ to: EMAIL, subject: 'Welcome, Jane' });
  sg.addEmailActivity({ to: EMAIL, subject: 'Your invoice' }, SUB);
  sg.addEmailActivity({ to: 'other@example.com', subject: 'Hello' });
  return c.id;
}

describe('SendGrid adapter: access', () => {
  test('the contact and every suppression list held (parent and subuser), with the e-mail history unreadable', async () => {
    const id = seed();
    const res = await withSub.access(makeCtx({ email: EMAIL }).ctx);
    expect(res.outcome).toBe('found');
    expect(res.items.filter((i) => i.where === `SendGrid marketing contact ${id}`).map((i) => [i.item, i.value])).toEqual([
      ['email', EMAIL], ['name', 'Jane Doe'], ['phone_number', '+351900000001'], ['address', 'Lisbon'], ['country', 'Portugal'],
    ]);
    expect(res.items.filter((i) => i.where?.startsWith('SendGrid suppression')).map((i) => i.where)).toEqual([
      'SendGrid suppression list: group unsubscribes',
      'SendGrid suppression list: global unsubscribe',
      'SendGrid suppression list: bounces',
      'SendGrid suppression list: blocks',
      'SendGrid suppression list: spam reports',
      'SendGrid suppression list: invalid e-mails',
      `SendGrid suppression list: bounces (subuser ${SUB})`,
    ]);
    const records = res.records as { suppression?: string; subuser?: string; entries?: unknown[] }[];
    expect(records.filter((r) => r.suppression).map((r) => [r.suppression, r.subuser, r.entries!.length])).toEqual([
      ['group unsubscribes', undefined, 1], ['global unsubscribe', undefined, 1], ['bounces', undefined, 1], ['blocks', undefined, 2],
      ['spam reports', undefined, 1], ['invalid e-mails', undefined, 1], ['bounces', SUB, 1],
    ]);
    expect(res.unreadable).toEqual([SENDGRID_UNREADABLE]);
    // Suppression reads carry the address URL-encoded; the subuser's the on-behalf-of header.
    expect(fakes.sendgrid.requests('GET', '/v3/suppression/bounces/')[0]!.path).toBe('/v3/suppression/bounces/jane.doe%40example.com');
    expect(fakes.sendgrid.calls.filter((c) => c.headers['on-behalf-of'] === SUB).map((c) => c.path.split('/').slice(0, -1).join('/'))).toEqual([
      '/v3/asm/suppressions', '/v3/asm/suppressions/global', '/v3/suppression/bounces', '/v3/suppression/blocks', '/v3/suppression/spam_reports', '/v3/suppression/invalid_emails',
    ]);
    // Access erases nothing.
    expect(fakes.sendgrid.erasureJobs.size).toBe(0);
    expect(fakes.sendgrid.requests('DELETE')).toHaveLength(0);
  });

  test('nothing readable: still not "no data held" (the e-mail history cannot be checked)', async () => {
    fakes.sendgrid.addContact({ email: 'other@example.com' });
    const res = await adapter.access(makeCtx({ email: EMAIL }).ctx);
    expect(res).toEqual({
      outcome: 'found',
      items: [],
      records: [],
      unreadable: [SENDGRID_UNREADABLE],
      note: 'SendGrid holds no marketing contact and no suppression entry for the address; the e-mails sent to it cannot be read back (see unreadable).',
    });
    expect(fakes.sendgrid.requests('POST', '/v3/marketing/contacts/search/emails')[0]!.status).toBe(404);
  });
});

describe('SendGrid adapter: erasure', () => {
  test('no contact and no suppression: the recipient erasure is still requested, for the parent and each subuser → scheduled', async () => {
    fakes.sendgrid.addEmailActivity({ to: EMAIL, subject: 'Welcome' });
    fakes.sendgrid.addEmailActivity({ to: EMAIL, subject: 'Digest' }, SUB);
    const t = makeCtx({ email: EMAIL }, fakes.sendgrid);
    const r = await withSub.erase(t.ctx);
    const jobs = [...fakes.sendgrid.erasureJobs.values()];
    expect(jobs.map((j) => [j.account, j.emails, j.erasedMessages])).toEqual([['', [EMAIL], 1], [SUB, [EMAIL], 1]]);
    expect(r).toEqual({
      outcome: 'scheduled',
      actions: [{ what: `${ERASEJOB}, in the parent account and 1 subuser account(s)`, count: 2, how: 'requested' }],
      retained: [],
      remains: `At SendGrid: the data of the e-mails sent to the address until SendGrid carries out the recipient erasure it accepted (job ${jobs[0]!.id}, ${jobs[1]!.id}; SendGrid offers no way to follow it).`,
    });
    expect(t.saved.sendgridErasejobs).toEqual({ '': jobs[0]!.id, [SUB]: jobs[1]!.id });
    expect(fakes.sendgrid.activityFor(EMAIL)).toEqual([]);
    expect(fakes.sendgrid.activityFor(EMAIL, SUB)).toEqual([]);
    const erase = fakes.sendgrid.calls.filter((c) => c.path === '/v3/recipients/erasejob');
    expect(erase.map((c) => [c.headers['on-behalf-of'], c.body])).toEqual([[undefined, { email_addresses: [EMAIL] }], [SUB, { email_addresses: [EMAIL] }]]);
  });

  test('contact, suppressions and e-mail history: ids first, erasure requested, bounces/blocks/invalid deleted, unsubscribes and spam reports retained, contact job followed', async () => {
    const id = seed();
    fakes.sendgrid.deleteJobDelayMs = 60_000;
    const first = makeCtx({ email: EMAIL }, fakes.sendgrid);
    const r1 = await withSub.erase(first.ctx);
    const job = [...fakes.sendgrid.jobs.values()][0]!;
    const ej = [...fakes.sendgrid.erasureJobs.values()].map((j) => j.id);
    expect(r1).toEqual({
      outcome: 'scheduled',
      actions: [
        { what: `${ERASEJOB}, in the parent account and 1 subuser account(s)`, count: 2, how: 'requested' },
        { what: 'SendGrid marketing contact', count: 1, how: 'requested' },
        { what: 'SendGrid suppression entries with no reason to keep (bounces, blocks, invalid e-mails)', count: 5, how: 'deleted' },
      ],
      retained: [
        { item: 'email', count: 1, what: 'the address on 1 unsubscribe group(s): Product news', ...KEEP },
        { item: 'email', count: 1, what: "the address on SendGrid's global unsubscribe list", ...KEEP },
        { item: 'email', count: 1, what: 'spam report(s) made from the address (date and IP address)', ...KEEP },
      ],
      remains:
        `At SendGrid: the data of the e-mails sent to the address until SendGrid carries out the recipient erasure it accepted (job ${ej.join(', ')}; SendGrid offers no way to follow it); ` +
        `the marketing contact until SendGrid's delete job ${job.id} completes; the address on the suppression lists named as retained, so that it is never e-mailed again.`,
      vendorJob: { id: job.id, status: 'pending' },
    });
    expect(job.ids).toEqual([id]);
    expect(fakes.sendgrid.calls.find((c) => c.method === 'DELETE' && c.path === '/v3/marketing/contacts')!.query).toEqual([['ids', id]]);
    // The contact id was saved before anything was erased or deleted.
    const firstDestructive = fakes.sendgrid.log.findIndex((l) => l.method === 'DELETE' || l.path === '/v3/recipients/erasejob');
    expect(first.savedAtLogLength[0]).toBeLessThanOrEqual(firstDestructive);
    expect(first.saved.sendgridContactIds).toEqual([id]);
    // What the fake still holds: the kept lists, nothing else; the contact until its job ends.
    expect(fakes.sendgrid.suppressions.get(EMAIL)).toEqual({ groups: [{ id: 101, name: 'Product news' }], global: true, spam_reports: [{ created: 1700000300, ip: '198.51.100.9' }] });
    expect(fakes.sendgrid.account(SUB).suppressions.get(EMAIL)).toEqual({});
    expect(fakes.sendgrid.activityFor(EMAIL)).toEqual([]);
    expect(fakes.sendgrid.activityFor(EMAIL, SUB)).toEqual([]);
    expect(fakes.sendgrid.contacts.has(id)).toBe(true);

    // A retry (worker killed before the task ended) repeats nothing and reuses the job.
    const calls = fakes.sendgrid.log.length;
    const second = retryCtx(first, fakes.sendgrid);
    expect(await withSub.erase(second.ctx)).toEqual(r1);
    expect(fakes.sendgrid.log.slice(calls).map((l) => `${l.method} ${l.path}`)).toEqual([`GET /v3/marketing/contacts/imports/${job.id}`]);

    // Followed: pending, then done when the job completes and the contact is gone — still scheduled.
    expect(await withSub.checkErasure(second.ctx, r1.vendorJob!)).toEqual({ state: 'pending', status: 'pending' });
    fakes.sendgrid.completeJobs();
    const done = await withSub.checkErasure(second.ctx, r1.vendorJob!);
    expect(done.state).toBe('done');
    const final = (done as { finalResult: typeof r1 }).finalResult;
    expect(final.outcome).toBe('scheduled');
    expect(final.actions).toEqual([r1.actions[0], { what: 'SendGrid marketing contact', count: 1, how: 'deleted' }, r1.actions[2]]);
    expect(final.retained).toEqual(r1.retained);
    expect(final.vendorJob).toEqual({ id: job.id, status: 'completed' });
    expect(final.remains).not.toContain('marketing contact');
    expect(fakes.sendgrid.contacts.has(id)).toBe(false);
  });

  test('a repeated DELETE for contacts already gone answers 404: searched again, counted as deleted', async () => {
    const id = seed();
    const first = makeCtx({ email: EMAIL }, fakes.sendgrid);
    await adapter.erase(first.ctx);
    // The job id was never stored (worker killed between the DELETE and saving it); the job has run.
    const { sendgridJobId: _j, sendgridJobContactIds: _c, ...refs } = first.saved;
    const second = makeCtx({ email: EMAIL }, fakes.sendgrid, refs);
    const r = await adapter.erase(second.ctx);
    expect(fakes.sendgrid.requests('DELETE', '/v3/marketing/contacts').map((l) => l.status)).toEqual([202, 404]);
    expect(fakes.sendgrid.contacts.has(id)).toBe(false);
    expect(r.outcome).toBe('scheduled');
    expect(r.actions[1]).toEqual({ what: 'SendGrid marketing contact', count: 1, how: 'deleted' });
    expect(r.vendorJob).toBeUndefined();
    expect(second.saved.sendgridContactsGone).toBe(true);
    expect(fakes.sendgrid.erasureJobs.size).toBe(1); // not requested again
  });

  test('a 404 for contacts SendGrid still finds is an error, not a deletion', async () => {
    const id = seed();
    const t = makeCtx({ email: EMAIL }, fakes.sendgrid, { sendgridContactIds: [id], sendgridLookupDone: true, sendgridErasejobs: { '': 'done-before' }, sendgridSuppressions: { '': {} } });
    fakes.sendgrid.failNext(1, 404, { errors: [{ field: null, message: 'Contacts not found' }] });
    const err = await failure(adapter.erase(t.ctx));
    expect([err.kind, err.status]).toEqual(['transient', 404]);
    expect(err.message).toBe('SendGrid answered 404 to deleting 1 contact(s) it still finds');
  });

  test('several contacts (earlier refs and the stored spelling) go in one comma-separated ids value', async () => {
    const id = seed();
    const other = fakes.sendgrid.addContact({ email: 'j.doe@example.com' });
    const t = makeCtx({ email: EMAIL, storedEmail: 'J.Doe@example.com' }, fakes.sendgrid, { sendgridContactIds: [other.id] });
    const r = await adapter.erase(t.ctx);
    expect(r.actions[1]).toEqual({ what: 'SendGrid marketing contact', count: 2, how: 'requested' });
    expect([...fakes.sendgrid.jobs.values()][0]!.ids).toEqual([other.id, id]);
    expect(fakes.sendgrid.calls.find((c) => c.path === '/v3/recipients/erasejob')!.body).toEqual({ email_addresses: [EMAIL, 'J.Doe@example.com'] });
  });

  test('checkErasure: a job SendGrid no longer knows is done only when the contacts are gone', async () => {
    const id = seed();
    fakes.sendgrid.deleteJobDelayMs = 60_000;
    const t = makeCtx({ email: EMAIL }, fakes.sendgrid);
    const r = await adapter.erase(t.ctx);
    const ctx = retryCtx(t, fakes.sendgrid).ctx;
    expect(await adapter.checkErasure(ctx, { id: 'forgotten-job' })).toEqual({ state: 'failed', reason: 'SendGrid delete job unknown to SendGrid, but 1 contact(s) are still there' });
    fakes.sendgrid.completeJobs();
    const done = await adapter.checkErasure(ctx, { id: 'forgotten-job' });
    expect(done.state).toBe('done');
    expect((done as { finalResult: typeof r }).finalResult.actions[1]).toEqual({ what: 'SendGrid marketing contact', count: 1, how: 'deleted' });
    expect(fakes.sendgrid.contacts.has(id)).toBe(false);
  });

  test('the erasure API\'s 429 (reset in seconds to wait, its own 100/min limit) hands the task back without repeating what was done', async () => {
    seed();
    fakes.sendgrid.setRateLimit({ perMinute: 1 }, 'erasure');
    const first = makeCtx({ email: EMAIL }, fakes.sendgrid);
    const err = await failure(withSub.erase(first.ctx));
    expect(err.kind).toBe('rate_limited');
    expect(err.retryAfterMs).toBeGreaterThan(55_000);
    expect(err.retryAfterMs).toBeLessThanOrEqual(60_000);
    const refused = fakes.sendgrid.calls.filter((c) => c.path === '/v3/recipients/erasejob').at(-1)!;
    expect([refused.status, refused.responseHeaders['x-envoy-ratelimited'], refused.headers['on-behalf-of']]).toEqual([429, 'true', SUB]);
    expect(Object.keys(first.saved.sendgridErasejobs as object)).toEqual(['']);
    expect(fakes.sendgrid.requests('DELETE')).toHaveLength(0);

    fakes.sendgrid.setRateLimit({}, 'erasure');
    const r = await withSub.erase(retryCtx(first, fakes.sendgrid).ctx);
    expect(r.actions[0]!.count).toBe(2);
    expect(fakes.sendgrid.calls.filter((c) => c.path === '/v3/recipients/erasejob').map((c) => [c.headers['on-behalf-of'] ?? '', c.status])).toEqual([['', 202], [SUB, 429], [SUB, 202]]);
    expect(fakes.sendgrid.requests('POST', '/v3/marketing/contacts/search/emails')).toHaveLength(1);
  });

  test('SENDGRID_SUBUSERS: a comma list; anything else is refused naming the variable', () => {
    expect(loadVendorConfig({ SENDGRID_SUBUSERS: 'eu-mail, us-mail,eu-mail' }).sendgrid.subusers).toEqual(['eu-mail', 'us-mail']);
    expect(loadVendorConfig({}).sendgrid.subusers).toEqual([]);
    expect(() => loadVendorConfig({ SENDGRID_SUBUSERS: 'ok,,bad one' })).toThrow('Invalid configuration: SENDGRID_SUBUSERS must be a comma-separated list of SendGrid subuser usernames');
  });

  test('an unknown subuser is refused (403 → auth) while reading, before anything is erased', async () => {
    const bad = new SendGridAdapter(loadVendorConfig({ ...fakes.env, SENDGRID_SUBUSERS: 'nobody' }).sendgrid, 3000);
    const err = await failure(bad.erase(makeCtx({ email: EMAIL }).ctx));
    expect([err.kind, err.status]).toEqual(['auth', 403]);
    expect(fakes.sendgrid.erasureJobs.size).toBe(0);
  });

  test('wrong key → auth, with no e-mail in the message', async () => {
    const bad = new SendGridAdapter({ ...loadVendorConfig(fakes.env).sendgrid, apiKey: 'SG.wrong' }, 3000);
    const err = await failure(bad.access(makeCtx({ email: EMAIL }).ctx));
    expect([err.kind, err.status]).toEqual(['auth', 401]);
    expect(err.message).toBe('SendGrid POST /v3/marketing/contacts/search/emails answered HTTP 401');
  });

  test('429 with X-RateLimit-Reset is waited out; 5xx on a suppression read is transient and redacted', async () => {
    seed();
    fakes.sendgrid.rateLimitNext(1, 1);
    expect((await adapter.access(makeCtx({ email: EMAIL }).ctx)).outcome).toBe('found');
    expect(fakes.sendgrid.log[0]!.status).toBe(429);

    fakes.sendgrid.failNext(1, 200, { result: {} }); // the search answers, then the suppression reads fail
    fakes.sendgrid.failNext(3, 500);
    const err = await failure(adapter.access(makeCtx({ email: EMAIL }).ctx));
    expect(err.kind).toBe('transient');
    expect(err.message).toBe('SendGrid GET /v3/asm/suppressions/[redacted] answered HTTP 500');
  });
});

afterEach(() => assertVendorCallsValid(fakes.sendgrid));
