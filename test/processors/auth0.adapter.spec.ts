// Auth0 against the strict fake (vendors.md §1, §10): users found by users-by-email (exact,
// case-sensitive) and the v3 search (case-insensitive: the Google identity keeps the provider's
// capitalisation), logs capped at 1,000, the password hash unreadable, users deleted, tenant logs
// retained. Every recorded call is checked against Auth0's OpenAPI documents.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { startVendorFakes, type VendorFakes } from '../../src/demo/fakes/index.js';
import { Auth0Adapter, auth0QueryValue } from '../../src/processors/auth0/auth0.adapter.js';
import { loadVendorConfig } from '../../src/processors/vendor-config.js';
import { assertVendorCallsValid } from '../support/openapi.js';
import { failure, firstIndex, makeCtx, retryCtx } from './support.js';

const EMAIL = 'jane.doe@example.com';
let fakes: VendorFakes;
let adapter: Auth0Adapter;

beforeAll(async () => {
  fakes = await startVendorFakes();
});
afterAll(() => fakes.stop());
beforeEach(() => {
  fakes.reset();
  adapter = new Auth0Adapter(loadVendorConfig(fakes.env).auth0, 3000); // no token cached from another test
});

const login = (i: number) => ({ date: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString(), type: 's', description: 'Successful login', ip: '203.0.113.7', user_agent: 'Firefox' });

function seed(dbLogs = 150) {
  fakes.auth0.addUser(
    { user_id: 'auth0|u-1', email: EMAIL, name: 'Jane Doe', phone_number: '+351900000001', last_ip: '203.0.113.7', created_at: '2025-01-01T00:00:00.000Z' },
    Array.from({ length: dbLogs }, (_, i) => login(i)),
  );
  // Google keeps the capitalisation the person has there: users-by-email cannot find it.
  fakes.auth0.addUser(
    { user_id: 'google-oauth2|987', email: 'Jane.Doe@Example.com', name: 'Jane D.', created_at: '2025-01-02T00:00:00.000Z', identities: [{ provider: 'google-oauth2', connection: 'google-oauth2', user_id: '987', isSocial: true, access_token: 'idp-secret' }] },
    [login(500)],
  );
  fakes.auth0.addUser({ user_id: 'auth0|other', email: 'someone@example.com' }, [login(600)]);
}

describe('Auth0 adapter', () => {
  test('access finds the database user by e-mail and the Google identity only by search, pages the logs, strips tokens, reports the password hash', async () => {
    seed();
    const res = await adapter.access(makeCtx({ email: EMAIL }).ctx);
    expect(res.outcome).toBe('found');
    const records = res.records as { user: { user_id: string; identities: Record<string, unknown>[] }; logs: unknown[] }[];
    expect(records.map((r) => [r.user.user_id, r.logs.length])).toEqual([['auth0|u-1', 150], ['google-oauth2|987', 1]]);
    const values = (item: string) => res.items.filter((i) => i.item === item).map((i) => i.value);
    expect(values('user_id')).toEqual(['auth0|u-1', 'google-oauth2|987']);
    expect(values('email')).toEqual([EMAIL, 'Jane.Doe@Example.com']);
    expect(values('name')).toEqual(['Jane Doe', 'Jane D.']);
    expect(values('phone_number')).toEqual(['+351900000001']);
    expect((values('activity')[0] as unknown[]).length).toBe(150);
    // The social identity's access token is not copied into the report.
    expect(JSON.stringify(res.records)).not.toContain('idp-secret');
    expect(records[1]!.user.identities[0]).toEqual({ provider: 'google-oauth2', connection: 'google-oauth2', user_id: '987', isSocial: true });
    // Only the database identity holds a password (hash).
    expect(res.unreadable).toEqual([{ item: 'password', where: 'Auth0 user auth0|u-1 (database connection Username-Password-Authentication)', why: 'held by Auth0 as a one-way hash, cannot be shown to anyone' }]);
    expect(res.truncated).toBeUndefined();
    // users-by-email once (the verified address), the search once, logs in pages of 100.
    expect(fakes.auth0.calls.filter((c) => c.path === '/api/v2/users-by-email').map((c) => c.query)).toEqual([[['email', EMAIL]]]);
    expect(fakes.auth0.calls.filter((c) => c.path === '/api/v2/users').map((c) => Object.fromEntries(c.query))).toEqual([
      { q: `email:"${EMAIL}"`, search_engine: 'v3', page: '0', per_page: '100', include_totals: 'true' },
    ]);
    expect(fakes.auth0.requests('GET', '/api/v2/users/auth0%7Cu-1/logs')).toHaveLength(2);
  });

  test('the product\'s stored spelling is asked of users-by-email too, when it differs', async () => {
    fakes.auth0.addUser({ user_id: 'samlp|acme|jane', email: 'JANE.DOE@example.com' });
    const res = await adapter.access(makeCtx({ email: EMAIL, storedEmail: 'JANE.DOE@example.com' }).ctx);
    expect(res.outcome).toBe('found');
    expect(fakes.auth0.calls.filter((c) => c.path === '/api/v2/users-by-email').map((c) => [c.query, c.responseBody])).toEqual([
      [[['email', EMAIL]], []],
      [[['email', 'JANE.DOE@example.com']], [expect.objectContaining({ user_id: 'samlp|acme|jane' })]],
    ]);
    expect(res.unreadable).toBeUndefined(); // an enterprise identity: no password at Auth0
  });

  test('more than 1,000 log entries: the newest 1,000 are read and the rest reported as truncated', async () => {
    seed(1005);
    const res = await adapter.access(makeCtx({ email: EMAIL }).ctx);
    const records = res.records as { user: { user_id: string }; logs: { date: string }[] }[];
    expect(records[0]!.logs).toHaveLength(1000);
    expect(records[0]!.logs[0]!.date).toBe(login(1004).date); // newest first
    expect(res.truncated).toEqual({
      what: 'Auth0 log entries',
      read: 1001,
      reason: 'Auth0 lets at most the newest 1000 log entries of a user be read through its API; it holds more for auth0|u-1 (1005)',
    });
    expect(fakes.auth0.requests('GET', '/api/v2/users/auth0%7Cu-1/logs').map((r) => r.status)).toEqual(Array(10).fill(200));
  });

  test('the search pages through every match, 100 at a time', async () => {
    for (let i = 0; i < 130; i++) fakes.auth0.addUser({ user_id: `oidc|acme|${i}`, email: i % 2 ? EMAIL : 'JANE.doe@example.com', created_at: new Date(Date.UTC(2025, 0, 1, 0, i)).toISOString() });
    const t = makeCtx({ email: EMAIL }, fakes.auth0);
    const res = await adapter.erase(t.ctx);
    expect(res.actions).toEqual([{ what: 'Auth0 user (profile, identities, sign-in metadata)', count: 130, how: 'deleted' }]);
    expect(fakes.auth0.calls.filter((c) => c.path === '/api/v2/users').map((c) => new URLSearchParams(c.query).get('page'))).toEqual(['0', '1']);
    expect(fakes.auth0.users.size).toBe(0);
  });

  test('query values are quoted and escaped for Auth0\'s query syntax', () => {
    expect(auth0QueryValue('a"b\\c@example.com')).toBe('"a\\"b\\\\c@example.com"');
  });

  test('unknown e-mail: not_found at both lookups, nothing deleted', async () => {
    fakes.auth0.addUser({ user_id: 'auth0|x', email: 'other@example.com' });
    expect(await adapter.access(makeCtx({ email: EMAIL }).ctx)).toEqual({ outcome: 'not_found', items: [], records: [] });
    expect(await adapter.erase(makeCtx({ email: EMAIL }).ctx)).toEqual({ outcome: 'not_found', actions: [], retained: [] });
    expect(fakes.auth0.requests('DELETE')).toHaveLength(0);
    expect(fakes.auth0.requests('GET', '/api/v2/users').filter((r) => r.path === '/api/v2/users')).toHaveLength(2);
  });

  test('erase saves every id before deleting, deletes both users, and reports the tenant logs as retained; a retry reports the same', async () => {
    seed();
    const first = makeCtx({ email: EMAIL }, fakes.auth0);
    const r1 = await adapter.erase(first.ctx);
    expect(r1).toEqual({
      outcome: 'retained',
      actions: [{ what: 'Auth0 user (profile, identities, sign-in metadata)', count: 2, how: 'deleted' }],
      retained: [{
        item: 'activity',
        count: 151,
        what: 'Auth0 tenant log entries about the deleted user(s): date and type of each sign-in and account event, IP address, browser (user agent), approximate location',
        reason: 'Auth0 keeps its tenant logs for the log retention period of the plan and offers no deletion',
        until: 'the end of that retention period',
      }],
      remains: '151 Auth0 tenant log entries, until the end of the tenant\'s log retention period',
    });
    expect(first.saved.auth0UserIds).toEqual(['auth0|u-1', 'google-oauth2|987']);
    expect(first.saved.auth0LogCounts).toEqual({ 'auth0|u-1': 150, 'google-oauth2|987': 1 });
    expect(first.saved.auth0DeletedIds).toEqual(['auth0|u-1', 'google-oauth2|987']);
    // The ids were stored before the first DELETE.
    expect(first.savedAtLogLength[0]).toBeLessThan(firstIndex(fakes.auth0, 'DELETE'));
    expect([...fakes.auth0.users.keys()]).toEqual(['auth0|other']);
    expect(fakes.auth0.requests('DELETE').map((r) => [r.path, r.status])).toEqual([
      ['/api/v2/users/auth0%7Cu-1', 204],
      ['/api/v2/users/google-oauth2%7C987', 204],
    ]);
    // What the result says is retained is what the tenant holds.
    expect(fakes.auth0.logsFor('auth0|u-1').length + fakes.auth0.logsFor('google-oauth2|987').length).toBe(151);

    // A retry (worker killed after the deletes) makes no call and says the same.
    const before = fakes.auth0.log.length;
    const r2 = await adapter.erase(retryCtx(first, fakes.auth0).ctx);
    expect(r2).toEqual(r1);
    expect(fakes.auth0.log.length).toBe(before);
  });

  test('a retry whose deletes were not recorded deletes again (204 for gone users) and reports the same', async () => {
    seed();
    const first = makeCtx({ email: EMAIL }, fakes.auth0);
    const r1 = await adapter.erase(first.ctx);
    const { auth0DeletedIds: _d, ...beforeDeletes } = first.saved;
    const r2 = await adapter.erase(makeCtx({ email: EMAIL }, fakes.auth0, beforeDeletes).ctx);
    expect(r2).toEqual(r1);
    expect(fakes.auth0.requests('DELETE').map((r) => r.status)).toEqual([204, 204, 204, 204]);
  });

  test('users without logs: erased', async () => {
    fakes.auth0.addUser({ user_id: 'auth0|quiet', email: EMAIL });
    const r = await adapter.erase(makeCtx({ email: EMAIL }).ctx);
    expect(r).toEqual({ outcome: 'erased', actions: [{ what: 'Auth0 user (profile, identities, sign-in metadata)', count: 1, how: 'deleted' }], retained: [] });
  });

  test('a 429 with a long reset on the search hands the task back; the re-run does not repeat users-by-email', async () => {
    seed();
    await adapter.access(makeCtx({ email: 'warm@example.com' }).ctx); // token cached
    const byEmailBefore = fakes.auth0.requests('GET', '/api/v2/users-by-email').length;
    const first = makeCtx({ email: EMAIL }, fakes.auth0);
    // The users-by-email call goes through; the search call gets a 429 resetting in two minutes.
    fakes.auth0.slowNext(1, 0).rateLimitNext(1, 120);
    const err = await failure(adapter.erase(first.ctx));
    expect([err.kind, err.status]).toEqual(['rate_limited', 429]);
    expect(err.retryAfterMs).toBeGreaterThan(118_000);
    expect(first.saved).toEqual({ auth0UserIds: ['auth0|u-1'], auth0Lookup: { byEmail: [EMAIL], searchPage: 0, searchDone: false } });
    expect(fakes.auth0.requests('DELETE')).toHaveLength(0);

    const second = retryCtx(first, fakes.auth0);
    const r = await adapter.erase(second.ctx);
    expect(r.actions[0]!.count).toBe(2);
    expect(fakes.auth0.requests('GET', '/api/v2/users-by-email').length - byEmailBefore).toBe(1);
    expect(second.saved.auth0Lookup).toEqual({ byEmail: [EMAIL], searchPage: 1, searchDone: true });
  });

  test('a search that returns someone else stops before anything is deleted', async () => {
    seed();
    fakes.auth0.addUser({ user_id: 'auth0|stray', email: 'stray@example.com' });
    await adapter.access(makeCtx({ email: 'warm@example.com' }).ctx); // token cached
    // A broken search answer: every user, whatever the query (as if the filter were ignored).
    fakes.auth0.failNext(1, 200, [], {}); // users-by-email: nothing
    fakes.auth0.failNext(1, 200, { start: 0, limit: 100, length: 1, total: 1, users: [{ user_id: 'auth0|stray', email: 'stray@example.com' }] });
    const err = await failure(adapter.erase(makeCtx({ email: EMAIL }).ctx));
    expect(err.kind).toBe('permanent');
    expect(err.message).toMatch(/whose e-mail is not the subject's: stopped/);
    expect(fakes.auth0.requests('DELETE')).toHaveLength(0);
  });

  test('wrong client secret → auth, and a client without delete:users → auth on the delete', async () => {
    const cfg = loadVendorConfig(fakes.env).auth0;
    const err = await failure(new Auth0Adapter({ ...cfg, clientSecret: 'wrong' }, 3000).access(makeCtx({ email: EMAIL }).ctx));
    expect([err.kind, err.status]).toEqual(['auth', 401]);
    expect(err.message).not.toContain('wrong');

    seed();
    fakes.auth0.clients.set('read-only', { clientId: 'read-only', clientSecret: 's3cret-read-only', scopes: ['read:users', 'read:logs'] });
    const ro = new Auth0Adapter({ ...cfg, clientId: 'read-only', clientSecret: 's3cret-read-only' }, 3000);
    const e2 = await failure(ro.erase(makeCtx({ email: EMAIL }).ctx));
    expect([e2.kind, e2.status]).toEqual(['auth', 403]);
    expect(fakes.auth0.users.size).toBe(3);
  });

  test('a token expired mid-run is refreshed once on 401', async () => {
    seed();
    await adapter.access(makeCtx({ email: EMAIL }).ctx);
    const tokensBefore = fakes.auth0.requests('POST', '/oauth/token').length;
    fakes.auth0.expireTokens();
    expect((await adapter.access(makeCtx({ email: EMAIL }).ctx)).outcome).toBe('found');
    expect(fakes.auth0.requests('POST', '/oauth/token').length).toBe(tokensBefore + 1);
    expect(fakes.auth0.requests('GET', '/api/v2/users-by-email').map((r) => r.status)).toEqual([200, 401, 200]);
    expect(fakes.auth0.requests('POST', '/oauth/token').length).toBe(2);
    // Both tokens are listed by the registry (the log scan checks none of them is ever logged).
    const issued = fakes.auth0.tokens.issued();
    expect(issued).toHaveLength(2);
    expect(fakes.auth0.calls.at(-1)!.headers.authorization).toBe(`Bearer ${issued[1]}`);
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
    expect([err.kind, err.status]).toEqual(['transient', 500]);
  });
});

afterEach(() => assertVendorCallsValid(fakes.auth0));
