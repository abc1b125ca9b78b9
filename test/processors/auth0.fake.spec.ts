// The Auth0 fake refuses what Auth0 refuses (auth0-authentication.json, auth0-management.json,
// vendors.md §1, §10), driven over HTTP.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { Auth0Fake } from '../../src/demo/fakes/index.js';
import { call, json } from '../support/fake-http.js';
import { assertVendorCallsValid } from '../support/openapi.js';

let fake: Auth0Fake;
beforeAll(async () => {
  fake = await new Auth0Fake({
    clients: [
      { clientId: 'reader', clientSecret: 'reader-secret', scopes: ['read:users'] },
      { clientId: 'log-reader', clientSecret: 'log-secret', scopes: ['read:logs_users'] },
      { clientId: 'no-grant', clientSecret: 'no-grant-secret', scopes: [] },
    ],
  }).start();
});
afterAll(() => fake.stop());
beforeEach(() => fake.reset());

const form = (fields: Record<string, string>): RequestInit => ({
  method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString(),
});

async function token(clientId = fake.clientId, clientSecret = fake.clientSecret): Promise<string> {
  const r = await call(`${fake.url}/oauth/token`, form({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret, audience: fake.audience }));
  expect(r.status).toBe(200);
  return r.body.access_token;
}

const api = (path: string) => `${fake.url}/api/v2${path}`;
const bearer = (t: string) => ({ headers: { authorization: `Bearer ${t}` } });

describe('Auth0 fake: token endpoint', () => {
  test('client credentials as form or JSON; the token carries the client\'s granted scopes', async () => {
    const f = await call(`${fake.url}/oauth/token`, form({ grant_type: 'client_credentials', client_id: fake.clientId, client_secret: fake.clientSecret, audience: fake.audience }));
    expect(f.body).toEqual({ access_token: expect.any(String), expires_in: 86400, scope: 'read:users delete:users read:logs read:logs_users', token_type: 'Bearer' });
    const j = await call(`${fake.url}/oauth/token`, json('POST', { grant_type: 'client_credentials', client_id: 'reader', client_secret: 'reader-secret', audience: fake.audience }));
    expect([j.status, j.body.scope]).toEqual([200, 'read:users']);
    assertVendorCallsValid(fake);
  });

  test('refuses a wrong audience, no audience, bad credentials, other grants, no client grant, other content types', async () => {
    const base = { grant_type: 'client_credentials', client_id: fake.clientId, client_secret: fake.clientSecret };
    const cases: [Record<string, string>, number, string][] = [
      [{ ...base, audience: `https://${fake.domain}/api/v2` }, 403, 'access_denied'], // no trailing slash
      [{ ...base, audience: 'https://other.example.com/api/v2/' }, 403, 'access_denied'],
      [base, 403, 'access_denied'],
      [{ ...base, client_secret: 'wrong', audience: fake.audience }, 401, 'access_denied'],
      [{ ...base, grant_type: 'password', audience: fake.audience }, 403, 'unauthorized_client'],
      [{ ...base, grant_type: 'made_up', audience: fake.audience }, 400, 'unsupported_grant_type'],
      [{ client_id: fake.clientId, client_secret: fake.clientSecret, audience: fake.audience }, 400, 'invalid_request'],
      [{ grant_type: 'client_credentials', client_id: 'no-grant', client_secret: 'no-grant-secret', audience: fake.audience }, 403, 'access_denied'],
    ];
    for (const [fields, status, error] of cases) {
      const r = await call(`${fake.url}/oauth/token`, form(fields));
      expect({ fields, status: r.status, error: r.body.error }).toEqual({ fields, status, error });
    }
    const text = await call(`${fake.url}/oauth/token`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ ...base, audience: fake.audience }) });
    expect([text.status, text.body.error]).toEqual([400, 'invalid_request']);
  });
});

describe('Auth0 fake: Management API', () => {
  test('every call needs a valid bearer token for the Management audience', async () => {
    expect((await call(api('/users-by-email?email=a%40b.co'))).body.message).toBe('Missing authentication');
    expect((await call(api('/users-by-email?email=a%40b.co'), { headers: { authorization: 'Token abc' } })).status).toBe(401);
    const foreign = fake.tokens.issue(60, { scopes: ['read:users'], audience: 'https://other/api/' });
    expect((await call(api('/users-by-email?email=a%40b.co'), bearer(foreign))).status).toBe(401);
    const t = await token();
    fake.expireTokens();
    expect((await call(api('/users-by-email?email=a%40b.co'), bearer(t))).status).toBe(401);
  });

  test('each operation needs one of its documented scopes, else 403 with the documented message', async () => {
    fake.addUser({ user_id: 'auth0|s-1', email: 's@example.com' }, [{ date: '2026-01-01T00:00:00.000Z', type: 's' }]);
    const reader = await token('reader', 'reader-secret');
    expect((await call(api('/users-by-email?email=s%40example.com'), bearer(reader))).status).toBe(200);
    expect((await call(api('/users/auth0%7Cs-1'), bearer(reader))).status).toBe(200);
    const del = await call(api('/users/auth0%7Cs-1'), { method: 'DELETE', ...bearer(reader) });
    expect([del.status, del.body.message]).toEqual([403, 'Insufficient scope; expected any of: delete:users,delete:current_user.']);
    const logs = await call(api('/users/auth0%7Cs-1/logs'), bearer(reader));
    expect([logs.status, logs.body.message]).toEqual([403, 'Insufficient scope; expected any of: read:logs, read:logs_users.']);
    expect(fake.users.has('auth0|s-1')).toBe(true);
    const logReader = await token('log-reader', 'log-secret');
    expect((await call(api('/users/auth0%7Cs-1/logs'), bearer(logReader))).body).toHaveLength(1);
    const byEmail = await call(api('/users-by-email?email=s%40example.com'), bearer(logReader));
    expect([byEmail.status, byEmail.body.message]).toEqual([403, 'Insufficient scope; expected any of: read:users.']);
    // A token request can narrow the grant, never widen it.
    const narrowed = await call(`${fake.url}/oauth/token`, form({ grant_type: 'client_credentials', client_id: 'reader', client_secret: 'reader-secret', audience: fake.audience, scope: 'read:users delete:users' }));
    expect(narrowed.body.scope).toBe('read:users');
  });

  test('users-by-email is exact and case-sensitive; only the database connection lower-cases e-mails', async () => {
    const db = fake.addUser({ user_id: 'auth0|c-1', email: 'Jane.Doe@Example.com' });
    const social = fake.addUser({ user_id: 'google-oauth2|1234', email: 'Jane.Doe@Example.com' });
    expect([db.email, social.email]).toEqual(['jane.doe@example.com', 'Jane.Doe@Example.com']);
    expect(social.identities).toEqual([{ connection: 'google-oauth2', user_id: '1234', provider: 'google-oauth2', isSocial: true }]);
    const t = await token();
    const ids = async (email: string) => (await call(api(`/users-by-email?email=${encodeURIComponent(email)}`), bearer(t))).body.map((u: { user_id: string }) => u.user_id);
    expect(await ids('jane.doe@example.com')).toEqual(['auth0|c-1']);
    expect(await ids('Jane.Doe@Example.com')).toEqual(['google-oauth2|1234']);
    expect(await ids('JANE.DOE@EXAMPLE.COM')).toEqual([]);
    const missing = await call(api('/users-by-email'), bearer(t));
    expect([missing.status, missing.body.errorCode]).toEqual([400, 'invalid_query_string']);
  });

  test('the v3 search finds e-mails whatever their case, pages, and stops at the 1,000-result ceiling', async () => {
    fake.addUser({ user_id: 'auth0|v-1', email: 'jane@example.com' });
    fake.addUser({ user_id: 'google-oauth2|v-2', email: 'Jane@Example.com' });
    fake.addUser({ user_id: 'samlp|corp|v-3', email: 'JANE@EXAMPLE.COM' });
    fake.addUser({ user_id: 'auth0|other', email: 'john@example.com' });
    const t = await token();
    const q = (extra: string) => call(api(`/users?q=${encodeURIComponent('email:"jane@example.com"')}&search_engine=v3${extra}`), bearer(t));
    expect((await q('')).body.map((u: { user_id: string }) => u.user_id).sort()).toEqual(['auth0|v-1', 'google-oauth2|v-2', 'samlp|corp|v-3']);
    const page1 = await q('&page=1&per_page=2&include_totals=true');
    expect({ ...page1.body, users: page1.body.users.length }).toEqual({ start: 2, limit: 2, length: 1, total: 3, users: 1 });
    expect((await q('&per_page=101')).status).toBe(400);
    const ceiling = await q('&page=10&per_page=100');
    expect([ceiling.status, ceiling.body.message]).toEqual([400, expect.stringContaining('first 1000 records')]);
    expect((await q('&page=9&per_page=100')).status).toBe(200);
    expect((await call(api(`/users?q=${encodeURIComponent('email:"jane@example.com"')}&search_engine=v2`), bearer(t))).status).toBe(400);
    expect((await call(api(`/users?q=${encodeURIComponent('app_metadata.plan:"x"')}&search_engine=v3`), bearer(t))).status).toBe(400);
  });

  test('DELETE answers 204 for unknown ids too; the tenant keeps the deleted user\'s logs', async () => {
    fake.addUser({ user_id: 'auth0|d-1', email: 'd@example.com' }, [
      { date: '2026-01-01T00:00:00.000Z', type: 's', ip: '203.0.113.7' },
      { date: '2026-01-02T00:00:00.000Z', type: 'fp', ip: '203.0.113.8' },
    ]);
    const t = await token();
    expect((await call(api('/users/auth0%7Cnobody'), { method: 'DELETE', ...bearer(t) })).status).toBe(204);
    expect((await call(api('/users/auth0%7Cd-1'), { method: 'DELETE', ...bearer(t) })).status).toBe(204);
    expect((await call(api('/users/auth0%7Cd-1'), { method: 'DELETE', ...bearer(t) })).status).toBe(204);
    const gone = await call(api('/users/auth0%7Cd-1'), bearer(t));
    expect([gone.status, gone.body.errorCode]).toEqual([404, 'inexistent_user']);
    expect(fake.logsFor('auth0|d-1').map((l) => l.type)).toEqual(['s', 'fp']);
    const logs = await call(api('/users/auth0%7Cd-1/logs?sort=date:1&per_page=1&page=1'), bearer(t));
    expect(logs.body.map((l: { type: string }) => l.type)).toEqual(['fp']);
    expect((await call(api('/users/auth0%7Cd-1/logs?per_page=0'), bearer(t))).status).toBe(400);
  });

  test('X-RateLimit-* on every Management answer; over the limit, 429 with the reset as epoch seconds', async () => {
    const t = await token();
    fake.setRateLimit({ perSecond: 2 });
    const first = await call(api('/users-by-email?email=a%40b.co'), bearer(t));
    expect([first.headers.get('x-ratelimit-limit'), first.headers.get('x-ratelimit-remaining')]).toEqual(['2', '1']);
    await call(api('/users-by-email?email=a%40b.co'), bearer(t));
    const over = await call(api('/users-by-email?email=a%40b.co'), bearer(t));
    expect([over.status, over.body.message]).toEqual([429, 'Too many requests. Check the X-RateLimit-Limit, X-RateLimit-Remaining and X-RateLimit-Reset headers.']);
    const reset = Number(over.headers.get('x-ratelimit-reset'));
    expect(reset).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000));
    expect(reset).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000) + 2);
    expect(over.headers.get('x-ratelimit-remaining')).toBe('0');
    assertVendorCallsValid(fake);
  });

  test('the documented token bucket (free tenants: 2 burst, 2/s): a burst of 2, then one more every 500 ms', async () => {
    const t = await token();
    fake.setRateLimit({ tokenBucket: { size: 2, perSecond: 2 } });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await call(api('/users-by-email?email=a%40b.co'), bearer(t))).status);
    expect(statuses).toEqual([200, 200, 429]);
    await new Promise((r) => setTimeout(r, 550));
    const refilled = await call(api('/users-by-email?email=a%40b.co'), bearer(t));
    expect(refilled.status).toBe(200);
    expect([refilled.headers.get('x-ratelimit-limit'), refilled.headers.get('x-ratelimit-remaining')]).toEqual(['2', '0']);
    expect((await call(api('/users-by-email?email=a%40b.co'), bearer(t))).status).toBe(429);
  });
});
