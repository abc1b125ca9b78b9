// The console under hostile input: sign-in limits, the session cookie's attributes, CSRF on every
// form, expired and revoked sessions, forged cookies, and escaping — each refused clearly, nothing changed.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { post, startHarness, submitVerified, uniqueEmail, type Harness } from '../support/harness.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness({ env: { RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '3', TRUST_PROXY: 'true' } });
});
afterAll(async () => {
  await h?.stop();
});

let client = 0;
const newClient = () => `198.51.100.${100 + ++client}`;

async function call(method: string, path: string, opts: { cookie?: string; form?: Record<string, string>; client?: string; headers?: Record<string, string> } = {}) {
  const res = await fetch(h.baseUrl + path, {
    method,
    redirect: 'manual',
    headers: {
      'x-forwarded-for': opts.client ?? '198.51.100.1',
      ...(opts.cookie ? { cookie: opts.cookie } : {}),
      ...(opts.form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      ...opts.headers,
    },
    body: opts.form ? new URLSearchParams(opts.form).toString() : undefined,
  });
  return { status: res.status, location: res.headers.get('location'), setCookie: res.headers.get('set-cookie'), retryAfter: res.headers.get('retry-after'), text: await res.text() };
}

async function signIn(c = newClient(), headers: Record<string, string> = {}) {
  const r = await call('POST', '/console/login', { form: { key: h.officerKey }, client: c, headers });
  expect(r.status).toBe(303);
  const cookie = r.setCookie!.split(';')[0]!;
  const page = await call('GET', '/console', { cookie, client: c });
  const csrf = /name="csrf" value="([^"]+)"/.exec(page.text)![1]!;
  return { cookie, csrf, setCookie: r.setCookie!, client: c };
}

describe('sign-in', () => {
  test('without a session every page sends you to sign in; the sign-in form has the labelled key field', async () => {
    for (const path of ['/console', '/console/new', '/console/requests/00000000-0000-4000-8000-000000000000']) {
      const r = await call('GET', path);
      expect([r.status, r.location]).toEqual([303, '/console/login']);
    }
    const form = await call('GET', '/console/login');
    expect(form.text).toContain('<label for="key">Officer API key</label>');
    expect(form.text).toContain('>Sign in</button>');
  });

  test('the session cookie is HttpOnly, SameSite=Strict, scoped to /console, expiring, and Secure behind https', async () => {
    const plain = await signIn();
    expect(plain.setCookie).toMatch(/HttpOnly/i);
    expect(plain.setCookie).toMatch(/SameSite=Strict/i);
    expect(plain.setCookie).toMatch(/Path=\/console/);
    expect(plain.setCookie).toMatch(/Expires=/);
    expect(plain.setCookie).not.toMatch(/Secure/);
    const https = await signIn(newClient(), { 'x-forwarded-proto': 'https' });
    expect(https.setCookie).toMatch(/; Secure/);
    // Only the hash of the session token is stored.
    const token = plain.cookie.split('=')[1]!;
    expect(JSON.stringify(await h.prisma.officerSession.findMany())).not.toContain(token);
  });

  test('wrong and missing keys are refused; past the limit even the right key waits (429, Retry-After)', async () => {
    const c = newClient();
    expect((await call('POST', '/console/login', { form: { key: 'not-the-key-not-the-key-1234' }, client: c })).status).toBe(401);
    expect((await call('POST', '/console/login', { form: {}, client: c })).status).toBe(401);
    expect((await call('POST', '/console/login', { form: { key: '<script>alert(1)</script>' }, client: c })).status).toBe(401);
    const limited = await call('POST', '/console/login', { form: { key: h.officerKey }, client: c });
    expect(limited.status).toBe(429);
    expect(Number(limited.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(limited.setCookie).toBeNull();
    // The API's bearer failures count for the same client too.
    expect((await call('GET', '/v1/admin/requests', { client: c, headers: { authorization: `Bearer ${h.officerKey}` } })).status).toBe(429);
  });
});

describe('forms', () => {
  test('a form without the CSRF token, or with a forged one, is refused and changes nothing', async () => {
    const s = await signIn();
    const id = await submitVerified(h, 'access', uniqueEmail('csrf'));
    const before = await h.prisma.dsarRequest.findUniqueOrThrow({ where: { id } });
    const form = { months: '1', reason: 'A perfectly good reason to extend.' };
    for (const csrf of [undefined, 'forged', `${s.csrf.slice(0, -1)}x`]) {
      const r = await call('POST', `/console/requests/${id}/extend`, { cookie: s.cookie, client: s.client, form: csrf === undefined ? form : { ...form, csrf } });
      expect(r.status).toBe(403);
      expect(r.text).toContain('nothing was changed');
    }
    // Another session's token does not do either.
    const other = await signIn();
    expect((await call('POST', `/console/requests/${id}/extend`, { cookie: s.cookie, client: s.client, form: { ...form, csrf: other.csrf } })).status).toBe(403);
    const after = await h.prisma.dsarRequest.findUniqueOrThrow({ where: { id } });
    expect(after.dueAt).toEqual(before.dueAt);
    expect(after.extendedAt).toBeNull();
    // With the right token it works.
    const ok = await call('POST', `/console/requests/${id}/extend`, { cookie: s.cookie, client: s.client, form: { ...form, csrf: s.csrf } });
    expect(ok.status).toBe(303);
    expect((await h.prisma.dsarRequest.findUniqueOrThrow({ where: { id } })).extendedAt).not.toBeNull();
  });

  test('an expired session, a revoked key, a forged cookie and a signed-out session are all refused, changing nothing', async () => {
    const id = await submitVerified(h, 'erasure', uniqueEmail('expired'));
    const deny = (s: { cookie: string; csrf: string; client: string }) => call('POST', `/console/requests/${id}/deny`, { cookie: s.cookie, client: s.client, form: { csrf: s.csrf, reason: 'excessive' } });

    const expired = await signIn();
    const token = expired.cookie.split('=')[1]!;
    const { hashToken } = await import('../../src/requests/tokens.js');
    await h.prisma.officerSession.update({ where: { tokenHash: hashToken(token) }, data: { expiresAt: new Date(Date.now() - 1000) } });
    const r1 = await deny(expired);
    expect(r1.status).toBe(401);
    expect(r1.text).toContain('Your session has ended');
    expect((await call('GET', '/console', { cookie: expired.cookie })).location).toBe('/console/login');

    const forged = { ...(await signIn()), cookie: `dsar_console=${'A'.repeat(43)}` };
    expect((await deny(forged)).status).toBe(401);

    const out = await signIn();
    expect((await call('POST', '/console/logout', { cookie: out.cookie, client: out.client, form: { csrf: out.csrf } })).location).toBe('/console/login');
    expect((await deny(out)).status).toBe(401);

    // A key revoked through the officer API ends its console sessions.
    const issued = await post(h, '/v1/admin/keys', { name: 'temporary officer' }, { authorization: `Bearer ${h.officerKey}` });
    const c = newClient();
    const r = await call('POST', '/console/login', { form: { key: issued.body.key }, client: c });
    const cookie = r.setCookie!.split(';')[0]!;
    const csrf = /name="csrf" value="([^"]+)"/.exec((await call('GET', '/console', { cookie, client: c })).text)![1]!;
    await fetch(`${h.baseUrl}/v1/admin/keys/${issued.body.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${h.officerKey}` } });
    expect((await deny({ cookie, csrf, client: c })).status).toBe(401);

    expect((await h.prisma.dsarRequest.findUniqueOrThrow({ where: { id } })).status).not.toBe('denied');
  });

  test('what officers type is shown escaped', async () => {
    const s = await signIn();
    const r = await call('POST', '/console/new', {
      cookie: s.cookie,
      client: s.client,
      form: { csrf: s.csrf, type: 'access', email: uniqueEmail('xss'), channel: 'phone', identityCheck: '<script>alert("x")</script> called back' },
    });
    expect(r.status).toBe(303);
    const page = await call('GET', r.location!.split('?')[0]!, { cookie: s.cookie, client: s.client });
    expect(page.text).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; called back');
    expect(page.text).not.toContain('<script>alert');
  });

  test('bad form input gets a clear 400 page and creates nothing', async () => {
    const s = await signIn();
    const before = await h.prisma.dsarRequest.count();
    const r = await call('POST', '/console/new', { cookie: s.cookie, client: s.client, form: { csrf: s.csrf, type: 'access', email: 'not-an-address', channel: 'phone', identityCheck: 'Called back on file number.' } });
    expect(r.status).toBe(400);
    expect(r.text).toContain('email must be a valid e-mail address');
    expect(await h.prisma.dsarRequest.count()).toBe(before);
  });
});
