import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { startVendorFakes, type VendorFakes } from '../../src/demo/fakes/index.js';
import { SendGridAdapter } from '../../src/processors/sendgrid/sendgrid.adapter.js';
import { loadVendorConfig } from '../../src/processors/vendor-config.js';
import { failure, firstIndex, makeCtx, retryCtx } from './support.js';

const EMAIL = 'jane.doe@example.com';
let fakes: VendorFakes;
let adapter: SendGridAdapter;

beforeAll(async () => {
  fakes = await startVendorFakes();
  adapter = new SendGridAdapter(loadVendorConfig(fakes.env).sendgrid, 3000);
});
afterAll(() => fakes.stop());
beforeEach(() => {
  fakes.reset();
  fakes.sendgrid.deleteJobDelayMs = 0;
});

function seed() {
  const c = fakes.sendgrid.addContact({ email: EMAIL, first_name: 'Jane', last_name: 'Doe', phone_number: '+351900000001' });
  fakes.sendgrid.addContact({ email: 'other@example.com' });
  fakes.sendgrid.addSuppressions(EMAIL, { groups: [{ id: 101, name: 'Product news' }], bounces: [{ created: 1700000000, reason: '550 mailbox unavailable', status: '5.1.1' }] });
  return c.id;
}

describe('SendGrid adapter', () => {
  test('access returns the contact and the suppression entries held for the address', async () => {
    const id = seed();
    const res = await adapter.access(makeCtx({ email: EMAIL }).ctx);
    expect(res.outcome).toBe('found');
    expect(res.items.filter((i) => i.where === `SendGrid contact ${id}`).map((i) => [i.item, i.value])).toEqual([
      ['email', EMAIL], ['name', 'Jane Doe'], ['phone_number', '+351900000001'],
    ]);
    expect(res.items.filter((i) => i.where?.startsWith('SendGrid suppression')).map((i) => i.where)).toEqual([
      'SendGrid suppression list: group unsubscribes',
      'SendGrid suppression list: bounces',
    ]);
    expect(res.records).toHaveLength(3);
    // The suppression reads carry the e-mail in the path, URL-encoded.
    expect(fakes.sendgrid.requests('GET', '/v3/suppression/bounces/')[0]!.path).toBe('/v3/suppression/bounces/jane.doe%40example.com');
  });

  test('no contact and no suppression → not_found (search answers 404)', async () => {
    fakes.sendgrid.addContact({ email: 'other@example.com' });
    expect((await adapter.access(makeCtx({ email: EMAIL }).ctx)).outcome).toBe('not_found');
    expect(fakes.sendgrid.requests('POST', '/v3/marketing/contacts/search/emails')[0]!.status).toBe(404);
    expect((await adapter.erase(makeCtx({ email: EMAIL }).ctx))).toEqual({ outcome: 'not_found', actions: [], retained: [] });
  });

  test('erase starts a delete job after saving refs; the contact stays until the job completes; a retry reuses the job', async () => {
    const id = seed();
    fakes.sendgrid.deleteJobDelayMs = 60_000;
    const first = makeCtx({ email: EMAIL }, fakes.sendgrid);
    const r1 = await adapter.erase(first.ctx);
    const job = [...fakes.sendgrid.jobs.values()][0]!;
    expect(r1.outcome).toBe('scheduled');
    expect(r1.vendorJob).toEqual({ id: job.id, status: 'pending' });
    expect(job.ids).toEqual([id]);
    expect(r1.retained).toEqual([{ item: 'email', count: 2, reason: expect.stringContaining('group unsubscribes, bounces') }]);
    expect(first.saved).toMatchObject({ sendgridContactIds: [id], sendgridJobId: job.id });
    expect(first.savedAtLogLength[0]).toBeLessThanOrEqual(firstIndex(fakes.sendgrid, 'DELETE'));
    expect(fakes.sendgrid.contacts.has(id)).toBe(true);

    const r2 = await adapter.erase(retryCtx(first, fakes.sendgrid).ctx);
    expect(r2).toEqual(r1);
    expect(fakes.sendgrid.requests('DELETE')).toHaveLength(1);

    fakes.sendgrid.completeJobs();
    expect(fakes.sendgrid.contacts.has(id)).toBe(false);
    expect([...fakes.sendgrid.contacts.values()].map((c) => c.email)).toEqual(['other@example.com']);
  });

  test('several contacts from earlier refs go in one comma-separated ids value', async () => {
    const id = seed();
    const t = makeCtx({ email: EMAIL }, fakes.sendgrid, { sendgridContactIds: ['old-contact'] });
    const r = await adapter.erase(t.ctx);
    expect(r.actions[0]!.count).toBe(2);
    expect([...fakes.sendgrid.jobs.values()][0]!.ids).toEqual(['old-contact', id]);
    expect(fakes.sendgrid.requests('DELETE')[0]!.status).toBe(202);
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

    fakes.sendgrid.failNext(1, 200, { result: {} }); // search answers, then the suppression reads fail
    fakes.sendgrid.failNext(3, 500);
    const err = await failure(adapter.access(makeCtx({ email: EMAIL }).ctx));
    expect(err.kind).toBe('transient');
    expect(err.message).toBe('SendGrid GET /v3/asm/suppressions/[redacted] answered HTTP 500');
  });
});
