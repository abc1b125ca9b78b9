import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { startVendorFakes, type VendorFakes } from '../../src/demo/fakes/index.js';
import { InlineManualAdapter } from '../../src/processors/inline-manual/inline-manual.adapter.js';
import { loadVendorConfig } from '../../src/processors/vendor-config.js';
import { failure, firstIndex, makeCtx, retryCtx } from './support.js';

const EMAIL = 'jane.doe@example.com';
let fakes: VendorFakes;
let adapter: InlineManualAdapter;

beforeAll(async () => {
  fakes = await startVendorFakes();
  adapter = new InlineManualAdapter(loadVendorConfig(fakes.env).inlineManual, 3000);
});
afterAll(() => fakes.stop());
beforeEach(() => fakes.reset());

function seed() {
  fakes.inlineManual.addProfile({ id: 'p1', email: EMAIL, name: 'Jane' });
  fakes.inlineManual.addProfile({ id: 'p2', email: 'JANE.DOE@example.com', name: 'Jane (2nd site user)' });
  // Full-text search also returns this one; it is someone else.
  fakes.inlineManual.addProfile({ id: 'p3', email: `x${EMAIL}`, name: 'Not Jane' });
}

describe('Inline Manual adapter (configurable, unconfirmed paths)', () => {
  test('access keeps exact e-mail matches of the full-text search', async () => {
    seed();
    const res = await adapter.access(makeCtx({ email: EMAIL }).ctx);
    expect(res.outcome).toBe('found');
    expect((res.records as { id: string }[]).map((r) => r.id)).toEqual(['p1', 'p2']);
    expect(res.items.filter((i) => i.item === 'name').map((i) => i.value)).toEqual(['Jane', 'Jane (2nd site user)']);
  });

  test('not_found when only partial matches exist', async () => {
    fakes.inlineManual.addProfile({ email: `x${EMAIL}` });
    expect((await adapter.access(makeCtx({ email: EMAIL }).ctx)).outcome).toBe('not_found');
    expect((await adapter.erase(makeCtx({ email: EMAIL }).ctx)).outcome).toBe('not_found');
  });

  test('erase deletes the exact matches after saving refs; a retry records the same outcome', async () => {
    seed();
    const first = makeCtx({ email: EMAIL }, fakes.inlineManual);
    const r1 = await adapter.erase(first.ctx);
    expect(r1).toEqual({ outcome: 'erased', actions: [{ what: 'Inline Manual user profile', count: 2, how: 'deleted' }], retained: [] });
    expect(first.saved.inlineManualProfileIds).toEqual(['p1', 'p2']);
    expect(first.savedAtLogLength[0]).toBeLessThanOrEqual(firstIndex(fakes.inlineManual, 'DELETE'));
    expect([...fakes.inlineManual.profiles.keys()]).toEqual(['p3']);
    expect(await adapter.erase(retryCtx(first, fakes.inlineManual).ctx)).toEqual(r1);
    expect(fakes.inlineManual.requests('DELETE').map((r) => r.status)).toEqual([204, 204, 404, 404]);
  });

  test('a read-only token cannot delete (403 → auth); a wrong token → auth', async () => {
    seed();
    const cfg = loadVendorConfig(fakes.env).inlineManual;
    const ro = await failure(new InlineManualAdapter({ ...cfg, apiToken: fakes.inlineManual.readOnlyToken }, 3000).erase(makeCtx({ email: EMAIL }).ctx));
    expect([ro.kind, ro.status]).toEqual(['auth', 403]);
    expect(fakes.inlineManual.profiles.size).toBe(3);
    expect((await failure(new InlineManualAdapter({ ...cfg, apiToken: 'nope' }, 3000).access(makeCtx({ email: EMAIL }).ctx))).kind).toBe('auth');
  });

  test('custom paths and auth header are honoured', async () => {
    const custom = new InlineManualAdapter({ ...loadVendorConfig(fakes.env).inlineManual, searchPath: '/people?search={email}&x=1', authScheme: 'Bearer' }, 3000);
    seed();
    expect((await custom.access(makeCtx({ email: EMAIL }).ctx)).outcome).toBe('found');
    fakes.inlineManual.failNext(3, 502);
    expect((await failure(custom.access(makeCtx({ email: EMAIL }).ctx))).kind).toBe('transient');
  });
});
