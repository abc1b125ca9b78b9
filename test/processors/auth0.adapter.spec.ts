import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { startVendorFakes, type VendorFakes } from '../../src/demo/fakes/index.js';
import { Auth0Adapter } from '../../src/processors/auth0/auth0.adapter.js';
import { loadVendorConfig } from '../../src/processors/vendor-config.js';
import { failure, firstIndex, makeCtx, retryCtx } from './support.js';

const EMAIL = 'jane.doe@example.com';
let fakes: VendorFakes;
let adapter: Auth0Adapter;

beforeAll(async () => {
  fakes = await startVendorFakes();
  adapter = new Auth0Adapter(loadVendorConfig(fakes.env).auth0, 3000);
});
afterAll(() => fakes.stop());
beforeEach(() => fakes.reset());

function seed() {
  fakes.auth0.addUser(
    { user_id: 'auth0|u-1', email: EMAIL, name: 'Jane Doe', phone_number: '+351900000001', last_ip: '203.0.113.7', identities: [{ provider: 'auth0', access_token: 'idp-secret' }] },
    Array.from({ length: 150 }, (_, i) => ({ date: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString(), type: 's', description: 'Successful login', ip: '203.0.113.7', user_agent: 'Firefox' })),
  );
  fakes.auth0.addUser({ user_id: 'google-oauth2|987', email: EMAIL, name: 'Jane D.' });
  fakes.auth0.addUser({ user_id: 'auth0|other', email: 'someone@example.com' });
}

describe('Auth0 adapter', () => {
  test('access finds every user for the e-mail, pages logs and maps items', async () => {
    seed();
    const res = await adapter.access(makeCtx({ email: EMAIL }).ctx);
    expect(res.outcome).toBe('found');
    expect(res.records).toHaveLength(2);
    const values = (item: string) => res.items.filter((i) => i.item === item).map((i) => i.value);
    expect(values('user_id')).toEqual(['auth0|u-1', 'google-oauth2|987']);
    expect(values('name')).toEqual(['Jane Doe', 'Jane D.']);
    expect(values('phone_number')).toEqual(['+351900000001']);
    expect((values('activity')[0] as unknown[]).length).toBe(150); // two pages of 100
    expect(fakes.auth0.requests('GET', '/api/v2/users/auth0%7Cu-1/logs')).toHaveLength(2);
    // Social identity tokens are not copied into the report.
    expect(JSON.stringify(res.records)).not.toContain('idp-secret');
  });

  test('an unknown e-mail is not_found (users-by-email answers [])', async () => {
    fakes.auth0.addUser({ user_id: 'auth0|x', email: 'other@example.com' });
    const res = await adapter.access(makeCtx({ email: EMAIL }).ctx);
    expect(res).toEqual({ outcome: 'not_found', items: [], records: [] });
    expect((await adapter.erase(makeCtx({ email: EMAIL }).ctx)).outcome).toBe('not_found');
    expect(fakes.auth0.requests('DELETE')).toHaveLength(0);
  });

  test('erase saves the ids before deleting, removes every user, and repeats with the same outcome', async () => {
    seed();
    const first = makeCtx({ email: EMAIL }, fakes.auth0);
    const r1 = await adapter.erase(first.ctx);
    expect(r1.outcome).toBe('erased');
    expect(r1.actions).toEqual([{ what: 'Auth0 user account', count: 2, how: 'deleted' }]);
    expect(first.saved.auth0UserIds).toEqual(['auth0|u-1', 'google-oauth2|987']);
    expect(first.savedAtLogLength[0]).toBeLessThanOrEqual(firstIndex(fakes.auth0, 'DELETE'));
    expect([...fakes.auth0.users.keys()]).toEqual(['auth0|other']);
    expect(fakes.auth0.requests('DELETE').map((r) => r.path)).toEqual(['/api/v2/users/auth0%7Cu-1', '/api/v2/users/google-oauth2%7C987']);

    // Retry after the users are gone: the lookup finds nothing, the saved ids still drive the deletes (204).
    const second = retryCtx(first, fakes.auth0);
    const r2 = await adapter.erase(second.ctx);
    expect(r2).toEqual(r1);
    expect(fakes.auth0.requests('DELETE').slice(2).map((r) => r.status)).toEqual([204, 204]);
  });

  test('wrong client secret → auth', async () => {
    const bad = new Auth0Adapter({ ...loadVendorConfig(fakes.env).auth0, clientSecret: 'wrong' }, 3000);
    const err = await failure(bad.access(makeCtx({ email: EMAIL }).ctx));
    expect(err.kind).toBe('auth');
    expect(err.status).toBe(401);
    expect(err.message).not.toContain('wrong');
  });

  test('a token expired mid-run is refreshed once on 401', async () => {
    seed();
    await adapter.access(makeCtx({ email: EMAIL }).ctx);
    const tokensBefore = fakes.auth0.requests('POST', '/oauth/token').length;
    fakes.auth0.expireTokens();
    const res = await adapter.access(makeCtx({ email: EMAIL }).ctx);
    expect(res.outcome).toBe('found');
    expect(fakes.auth0.requests('POST', '/oauth/token').length).toBe(tokensBefore + 1);
    expect(fakes.auth0.requests('GET', '/api/v2/users-by-email').map((r) => r.status)).toContain(401);
  });

  test('429 with X-RateLimit-Reset: a short wait is slept through, a long one is handed back', async () => {
    seed();
    await adapter.access(makeCtx({ email: EMAIL }).ctx); // token cached
    fakes.auth0.rateLimitNext(1, 1);
    const t0 = Date.now();
    expect((await adapter.access(makeCtx({ email: EMAIL }).ctx)).outcome).toBe('found');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    expect(fakes.auth0.rateLimited).toBe(1);

    fakes.auth0.rateLimitNext(5, 120);
    const before = fakes.auth0.log.length;
    const err = await failure(adapter.access(makeCtx({ email: EMAIL }).ctx));
    expect(err.kind).toBe('rate_limited');
    expect(err.retryAfterMs).toBeGreaterThan(118_000);
    expect(err.retryAfterMs).toBeLessThanOrEqual(121_000);
    expect(fakes.auth0.log.length - before).toBe(1); // not retried in-process
  });

  test('5xx is retried, then mapped transient', async () => {
    seed();
    await adapter.access(makeCtx({ email: EMAIL }).ctx);
    fakes.auth0.failNext(1, 503);
    expect((await adapter.access(makeCtx({ email: EMAIL }).ctx)).outcome).toBe('found');
    fakes.auth0.failNext(3, 500);
    const err = await failure(adapter.access(makeCtx({ email: EMAIL }).ctx));
    expect(err.kind).toBe('transient');
    expect(err.status).toBe(500);
  });
});
