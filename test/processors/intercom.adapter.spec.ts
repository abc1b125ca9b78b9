import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { startVendorFakes, type VendorFakes } from '../../src/demo/fakes/index.js';
import { IntercomAdapter } from '../../src/processors/intercom/intercom.adapter.js';
import { loadVendorConfig } from '../../src/processors/vendor-config.js';
import { failure, firstIndex, makeCtx, retryCtx } from './support.js';

const EMAIL = 'jane.doe@example.com';
let fakes: VendorFakes;
let adapter: IntercomAdapter;

beforeAll(async () => {
  fakes = await startVendorFakes();
  adapter = new IntercomAdapter(loadVendorConfig(fakes.env).intercom, 3000);
});
afterAll(() => fakes.stop());
beforeEach(() => fakes.reset());

function seed(leads = 1) {
  fakes.intercom.addContact({ id: 'c-user', role: 'user', email: EMAIL, external_id: 'u-1', name: 'Jane Doe', phone: '+351900000001', custom_attributes: { business_role: 'CTO' }, os: 'Linux', location: { country: 'Portugal', city: 'Lisbon' } });
  for (let i = 0; i < leads; i++) fakes.intercom.addContact({ id: `c-lead-${i}`, role: 'lead', email: EMAIL.toUpperCase() });
  fakes.intercom.addContact({ id: 'c-other', role: 'user', email: 'other@example.com' });
}

describe('Intercom adapter', () => {
  test('access reads the user and every lead, across search pages', async () => {
    seed(60); // 61 matches: two pages of 50
    const res = await adapter.access(makeCtx({ email: EMAIL }).ctx);
    expect(res.outcome).toBe('found');
    expect(res.records).toHaveLength(61);
    expect(fakes.intercom.requests('POST', '/contacts/search')).toHaveLength(2);
    const first = res.items.filter((i) => i.where === 'Intercom user c-user');
    expect(first.map((i) => [i.item, i.value])).toEqual([
      ['user_id', 'u-1'],
      ['email', EMAIL],
      ['name', 'Jane Doe'],
      ['phone_number', '+351900000001'],
      ['user_creation_date', expect.any(String)],
      ['operating_system', 'Linux'],
      ['geolocation', { country: 'Portugal', region: null, city: 'Lisbon' }],
      ['business_role', 'CTO'],
    ]);
  });

  test('not_found when search has no match', async () => {
    fakes.intercom.addContact({ role: 'user', email: 'other@example.com' });
    expect((await adapter.access(makeCtx({ email: EMAIL }).ctx)).outcome).toBe('not_found');
    expect((await adapter.erase(makeCtx({ email: EMAIL }).ctx)).outcome).toBe('not_found');
  });

  test('erase deletes all matches after saving refs; a retry gets 404s and records the same outcome', async () => {
    seed(1);
    const first = makeCtx({ email: EMAIL }, fakes.intercom);
    const r1 = await adapter.erase(first.ctx);
    expect(r1.outcome).toBe('erased');
    expect(r1.actions[0]!.count).toBe(2);
    expect(r1.note).toContain('7-day grace period');
    expect(first.saved.intercomContactIds).toEqual(['c-user', 'c-lead-0']);
    expect(first.savedAtLogLength[0]).toBeLessThanOrEqual(firstIndex(fakes.intercom, 'DELETE'));
    expect([...fakes.intercom.contacts.keys()]).toEqual(['c-other']);

    const r2 = await adapter.erase(retryCtx(first, fakes.intercom).ctx);
    expect(r2).toEqual(r1);
    expect(fakes.intercom.requests('DELETE').map((r) => r.status)).toEqual([200, 200, 404, 404]);
  });

  test('wrong token → auth', async () => {
    const bad = new IntercomAdapter({ ...loadVendorConfig(fakes.env).intercom, accessToken: 'nope' }, 3000);
    const err = await failure(bad.access(makeCtx({ email: EMAIL }).ctx));
    expect([err.kind, err.status]).toEqual(['auth', 401]);
    expect(err.message).toBe('Intercom POST /contacts/search answered HTTP 401 (unauthorized)');
  });

  test('429 with Intercom rate-limit headers is waited out; 5xx transient', async () => {
    seed(0);
    fakes.intercom.rateLimitNext(1, 1);
    expect((await adapter.access(makeCtx({ email: EMAIL }).ctx)).outcome).toBe('found');
    expect(fakes.intercom.log.slice(0, 2).map((r) => r.status)).toEqual([429, 200]);

    fakes.intercom.rateLimitNext(1, 30);
    const err = await failure(adapter.access(makeCtx({ email: EMAIL }).ctx));
    expect(err.kind).toBe('rate_limited');
    expect(err.retryAfterMs).toBeGreaterThan(28_000);

    fakes.intercom.failNext(3, 502);
    expect((await failure(adapter.erase(makeCtx({ email: EMAIL }).ctx))).kind).toBe('transient');
    expect(fakes.intercom.contacts.has('c-user')).toBe(true);
  });
});
