// The queue dashboard (Bull Board) at /console/queues: refused without the console session or an
// officer key — its page, its scripts and styles, and its internal API alike — and served with
// either; read-only; under a CSP that keeps it to this origin.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { hashToken } from '../../src/requests/tokens.js';
import { officer, startHarness, type Harness } from '../support/harness.js';

let h: Harness;
let assets: string[];

beforeAll(async () => {
  h = await startHarness({ worker: false });
  const page = await fetch(`${h.baseUrl}/console/queues`, { headers: officer(h) });
  const html = await page.text();
  assets = [...html.matchAll(/(?:src|href)="(static\/[^"]+)"/g)].map((m) => `/console/queues/${m[1]}`);
});
afterAll(async () => {
  await h?.stop();
});

const get = (path: string, headers: Record<string, string> = {}) => fetch(`${h.baseUrl}${path}`, { headers, redirect: 'manual' });

async function signIn(key = h.officerKey): Promise<string> {
  const res = await fetch(`${h.baseUrl}/console/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ key }).toString(),
    redirect: 'manual',
  });
  expect(res.status).toBe(303);
  const cookie = /dsar_console=([^;]+)/.exec(res.headers.get('set-cookie') ?? '')?.[1];
  expect(cookie).toBeDefined();
  return `dsar_console=${cookie}`;
}

describe('the queue dashboard', () => {
  test('its page lists its own scripts and styles, and nothing from elsewhere', () => {
    expect(assets.filter((a) => a.endsWith('.js')).length).toBeGreaterThanOrEqual(2);
    expect(assets.filter((a) => a.endsWith('.css')).length).toBeGreaterThanOrEqual(1);
  });

  test('without a session or a key: the page sends to the sign-in, everything else is 401, nothing of the board is served', async () => {
    for (const path of ['/console/queues', '/console/queues/', '/console/queues/queue/lane-auth0']) {
      const res = await get(path, { accept: 'text/html' });
      expect({ path, status: res.status, location: res.headers.get('location') }).toEqual({ path, status: 303, location: '/console/login' });
    }
    for (const path of ['/console/queues/api/queues', '/console/queues/api/redis/stats', ...assets]) {
      const res = await get(path);
      const body = await res.text();
      expect({ path, status: res.status }).toEqual({ path, status: 401 });
      expect(JSON.parse(body)).toMatchObject({ statusCode: 401, error: 'unauthorized' });
    }
    // Wrong, revoked and malformed keys, and a made-up session.
    const revoked = randomBytes(24).toString('base64url');
    await h.prisma.officerApiKey.create({ data: { name: 'revoked', keyHash: hashToken(revoked), revokedAt: new Date() } });
    for (const headers of <Record<string, string>[]>[
      { authorization: `Bearer ${randomBytes(24).toString('base64url')}` },
      { authorization: `Bearer ${revoked}` },
      { authorization: 'Bearer x' },
      { authorization: `Basic ${Buffer.from(`officer:${h.officerKey}`).toString('base64')}` },
      { cookie: `dsar_console=${randomBytes(32).toString('base64url')}` },
    ]) {
      const res = await get('/console/queues/api/queues', headers);
      expect({ headers, status: res.status }).toEqual({ headers, status: 401 });
    }
  });

  test('with an officer key: the page, its files and its API, every queue read-only', async () => {
    const page = await get('/console/queues', officer(h));
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    for (const a of assets) expect({ a, status: (await get(a, officer(h))).status }).toEqual({ a, status: 200 });
    const api = await get('/console/queues/api/queues', officer(h));
    expect(api.status).toBe(200);
    const queues = ((await api.json()) as { queues: { name: string; readOnlyMode: boolean }[] }).queues;
    expect(queues.map((q) => q.name).sort()).toEqual(['lane-amplitude', 'lane-auth0', 'lane-azure-app-insights', 'lane-hotjar', 'lane-inline-manual', 'lane-intercom', 'lane-pardot', 'lane-product-db', 'lane-sendgrid', 'requests']);
    expect(queues.every((q) => q.readOnlyMode)).toBe(true);
    // Nothing can be changed from the board (changes go through the audited officer API).
    const retry = await fetch(`${h.baseUrl}/console/queues/api/queues/lane-auth0/retry/failed`, { method: 'PUT', headers: officer(h) });
    expect(retry.status).toBe(405);
  });

  test('with a console session: the same; a revoked key ends it', async () => {
    const issued = await fetch(`${h.baseUrl}/v1/admin/keys`, { method: 'POST', headers: { 'content-type': 'application/json', ...officer(h) }, body: JSON.stringify({ name: 'board' }) });
    const key = (await issued.json()) as { id: string; key: string };
    const cookie = await signIn(key.key);
    expect((await get('/console/queues', { cookie, accept: 'text/html' })).status).toBe(200);
    for (const a of assets) expect({ a, status: (await get(a, { cookie })).status }).toEqual({ a, status: 200 });
    expect((await get('/console/queues/api/queues', { cookie })).status).toBe(200);
    await fetch(`${h.baseUrl}/v1/admin/keys/${key.id}`, { method: 'DELETE', headers: officer(h) });
    expect((await get('/console/queues', { cookie, accept: 'text/html' })).status).toBe(303);
    expect((await get('/console/queues/api/queues', { cookie })).status).toBe(401);
  });

  test('served with its own security headers: this origin only, no framing, no X-Powered-By', async () => {
    const res = await get('/console/queues', officer(h));
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/https?:|\*/);
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('x-powered-by')).toBeNull();
    expect(res.headers.get('cache-control')).toBe('no-store');
  });
});
