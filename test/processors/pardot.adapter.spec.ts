import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { startVendorFakes, type VendorFakes } from '../../src/demo/fakes/index.js';
import { PardotAdapter } from '../../src/processors/pardot/pardot.adapter.js';
import { loadVendorConfig } from '../../src/processors/vendor-config.js';
import { failure, firstIndex, makeCtx, retryCtx } from './support.js';

const EMAIL = 'jane.doe@example.com';
let fakes: VendorFakes;
let adapter: PardotAdapter;

beforeAll(async () => {
  fakes = await startVendorFakes({ pardot: { pageSize: 2 } });
  adapter = new PardotAdapter(loadVendorConfig(fakes.env).pardot, 3000);
});
afterAll(() => fakes.stop());
beforeEach(() => fakes.reset());

function seed() {
  // AMPSEA: three prospects share the e-mail; page size 2 forces a nextPageToken.
  const a = fakes.pardot.addProspect({ email: EMAIL, firstName: 'Jane', lastName: 'Doe', company: 'Acme', jobTitle: 'CTO', industry: 'Software', phone: '+351900000001', country: 'Portugal' });
  const b = fakes.pardot.addProspect({ email: EMAIL, firstName: 'J.' });
  const c = fakes.pardot.addProspect({ email: EMAIL });
  fakes.pardot.addProspect({ email: 'other@example.com' });
  return [a.id, b.id, c.id];
}

describe('Pardot adapter', () => {
  test('access queries by e-mail across pages, reads each prospect with explicit fields, maps items', async () => {
    const ids = seed();
    const res = await adapter.access(makeCtx({ email: EMAIL }).ctx);
    expect(res.outcome).toBe('found');
    expect((res.records as { id: number }[]).map((r) => r.id)).toEqual(ids);
    expect(fakes.pardot.requests('GET', '/api/v5/objects/prospects')).toHaveLength(2 + 3);
    const first = res.items.filter((i) => i.where === `Pardot prospect ${ids[0]}`).map((i) => [i.item, i.value]);
    expect(first).toEqual([
      ['email', EMAIL], ['name', 'Jane Doe'], ['phone_number', '+351900000001'], ['business_role', 'CTO'],
      ['business_type', 'Software'], ['company', 'Acme'], ['country', 'Portugal'],
    ]);
    expect(fakes.pardot.log.every((r) => r.status < 400)).toBe(true); // both headers and fields were sent
  });

  test('not_found for an unknown e-mail', async () => {
    fakes.pardot.addProspect({ email: 'other@example.com' });
    expect((await adapter.access(makeCtx({ email: EMAIL }).ctx)).outcome).toBe('not_found');
    expect((await adapter.erase(makeCtx({ email: EMAIL }).ctx)).outcome).toBe('not_found');
  });

  test('erase moves every prospect to the recycle bin after saving refs; a retry gets 404 and the same outcome', async () => {
    const ids = seed();
    const first = makeCtx({ email: EMAIL }, fakes.pardot);
    const r1 = await adapter.erase(first.ctx);
    expect(r1).toMatchObject({ outcome: 'erased', actions: [{ what: 'Pardot prospect', count: 3, how: 'deleted' }] });
    expect(r1.note).toContain('recycle bin');
    expect(first.saved.pardotProspectIds).toEqual(ids);
    expect(first.savedAtLogLength[0]).toBeLessThanOrEqual(firstIndex(fakes.pardot, 'DELETE'));
    expect(fakes.pardot.active().map((p) => p.email)).toEqual(['other@example.com']);
    expect(ids.every((id) => fakes.pardot.prospects.get(id)!.deleted)).toBe(true);

    const r2 = await adapter.erase(retryCtx(first, fakes.pardot).ctx);
    expect(r2).toEqual(r1);
    expect(fakes.pardot.requests('DELETE').map((r) => r.status)).toEqual([204, 204, 204, 404, 404, 404]);
  });

  test('bad client credentials (Salesforce 400 invalid_client) and a wrong business unit → auth', async () => {
    const cfg = loadVendorConfig(fakes.env).pardot;
    const e1 = await failure(new PardotAdapter({ ...cfg, clientSecret: 'x' }, 3000).access(makeCtx({ email: EMAIL }).ctx));
    expect([e1.kind, e1.status]).toEqual(['auth', 400]);
    const e2 = await failure(new PardotAdapter({ ...cfg, businessUnitId: '0Uv000000000009XXX' }, 3000).access(makeCtx({ email: EMAIL }).ctx));
    expect([e2.kind, e2.status]).toEqual(['auth', 401]);
    expect(e2.message).toContain('(181)');
  });

  test('expired token mid-run is refreshed', async () => {
    seed();
    await adapter.access(makeCtx({ email: EMAIL }).ctx);
    fakes.pardot.expireTokens();
    expect((await adapter.erase(makeCtx({ email: EMAIL }).ctx)).outcome).toBe('erased');
    expect(fakes.pardot.active()).toHaveLength(1);
  });

  test('code 66 (concurrency) is retried; an enforced limit of 5 concurrent calls is respected by retries', async () => {
    seed();
    await adapter.access(makeCtx({ email: EMAIL }).ctx);
    fakes.pardot.rateLimitNext(1);
    expect((await adapter.access(makeCtx({ email: EMAIL }).ctx)).outcome).toBe('found');
    expect(fakes.pardot.rateLimited).toBe(1);

    fakes.pardot.setRateLimit({ maxConcurrent: 5 });
    fakes.pardot.slowNext(8, 150);
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => adapter.access(makeCtx({ email: EMAIL }).ctx)));
    expect(results.every((r) => r.status === 'fulfilled')).toBe(true);
    expect(fakes.pardot.rateLimited).toBeGreaterThan(1);

    fakes.pardot.setRateLimit({});
    fakes.pardot.rateLimitNext(3);
    const err = await failure(adapter.access(makeCtx({ email: EMAIL }).ctx));
    expect([err.kind, err.retryAfterMs]).toEqual(['rate_limited', 1000]);
    expect(err.message).toContain('concurrent request limit');
  });

  test('5xx → transient', async () => {
    seed();
    await adapter.access(makeCtx({ email: EMAIL }).ctx);
    fakes.pardot.failNext(3, 503);
    expect((await failure(adapter.access(makeCtx({ email: EMAIL }).ctx))).kind).toBe('transient');
  });
});
