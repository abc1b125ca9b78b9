import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { startVendorFakes, type VendorFakes } from '../../src/demo/fakes/index.js';
import { HotjarAdapter } from '../../src/processors/hotjar/hotjar.adapter.js';
import { loadVendorConfig } from '../../src/processors/vendor-config.js';
import { failure, makeCtx } from './support.js';

const EMAIL = 'jane.doe@example.com';
let fakes: VendorFakes;
let adapter: HotjarAdapter;

beforeAll(async () => {
  fakes = await startVendorFakes({ hotjar: { lookupBody: { status: 'accepted' } } });
  adapter = new HotjarAdapter(loadVendorConfig(fakes.env).hotjar, 3000);
});
afterAll(() => fakes.stop());
beforeEach(() => fakes.reset());

describe('Hotjar adapter', () => {
  test('access sends a lookup (form-encoded token first) and keeps the raw acknowledgement', async () => {
    fakes.hotjar.addSubject({ email: EMAIL });
    const res = await adapter.access(makeCtx({ email: EMAIL }).ctx);
    expect(res.outcome).toBe('requested');
    expect(res.items).toEqual([]);
    expect(res.records).toEqual([{ request: 'user-lookup', response: { status: 'accepted' } }]);
    expect(res.note).toContain('out of band');
    expect(fakes.hotjar.log.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
      'POST /v1/oauth/token 200',
      'POST /v1/organizations/1234567/user-lookup 200',
    ]);
    expect(fakes.hotjar.lookups.map((l) => [l.email, l.deleteAllHits])).toEqual([[EMAIL, false]]);
    expect(fakes.hotjar.dataFor({ email: EMAIL })).toHaveLength(1);
  });

  test('erase requests deletion (scheduled, no job id) and the subject goes from the fake; repeat is the same', async () => {
    fakes.hotjar.addSubject({ email: EMAIL });
    const t = makeCtx({ email: EMAIL }, fakes.hotjar);
    const r1 = await adapter.erase(t.ctx);
    expect(r1.outcome).toBe('scheduled');
    expect(r1.vendorJob).toBeUndefined();
    expect(t.saved).toEqual({ hotjarOrganizationId: '1234567' });
    expect(t.savedAtLogLength[0]).toBeLessThanOrEqual(fakes.hotjar.log.findIndex((r) => r.path.endsWith('/user-lookup')));
    expect(fakes.hotjar.dataFor({ email: EMAIL })).toHaveLength(0);
    expect(fakes.hotjar.lookups.map((l) => l.deleteAllHits)).toEqual([true]);
    expect(await adapter.erase(makeCtx({ email: EMAIL }).ctx)).toEqual(r1);
  });

  test('the token is cached, and refreshed once when it expires', async () => {
    const adapter = new HotjarAdapter(loadVendorConfig(fakes.env).hotjar, 3000); // no token cached yet
    await adapter.access(makeCtx({ email: EMAIL }).ctx);
    await adapter.access(makeCtx({ email: EMAIL }).ctx);
    expect(fakes.hotjar.requests('POST', '/v1/oauth/token')).toHaveLength(1);
    fakes.hotjar.expireTokens();
    await adapter.access(makeCtx({ email: EMAIL }).ctx);
    expect(fakes.hotjar.requests('POST', '/v1/oauth/token')).toHaveLength(2);
    expect(fakes.hotjar.requests('POST', /user-lookup/).map((r) => r.status)).toEqual([200, 200, 401, 200]);
  });

  test('wrong client secret → auth; wrong organization → permanent; 5xx → transient', async () => {
    const cfg = loadVendorConfig(fakes.env).hotjar;
    expect((await failure(new HotjarAdapter({ ...cfg, clientSecret: 'x' }, 3000).access(makeCtx({ email: EMAIL }).ctx))).kind).toBe('auth');
    const wrongOrg = await failure(new HotjarAdapter({ ...cfg, organizationId: '999' }, 3000).access(makeCtx({ email: EMAIL }).ctx));
    expect([wrongOrg.kind, wrongOrg.status]).toEqual(['permanent', 404]);
    await adapter.access(makeCtx({ email: EMAIL }).ctx);
    fakes.hotjar.failNext(3, 500);
    expect((await failure(adapter.erase(makeCtx({ email: EMAIL }).ctx))).kind).toBe('transient');
  });
});
