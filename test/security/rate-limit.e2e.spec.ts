// Per-client rate limits on the public endpoints, against the real API, PostgreSQL and Redis.
// Behind TRUST_PROXY each test is its own client (X-Forwarded-For), so tests do not share counters.
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { PrismaService } from '../../src/prisma/prisma.service.js';
import { linkFrom, officer, startHarness, uniqueEmail, type Harness } from '../support/harness.js';

let h: Harness;
const LIMITS = { intake: 3, verify: 4, status: 5 };

beforeAll(async () => {
  h = await startHarness({
    env: {
      RATE_LIMIT_INTAKE_PER_MINUTE: String(LIMITS.intake),
      RATE_LIMIT_VERIFY_PER_MINUTE: String(LIMITS.verify),
      RATE_LIMIT_STATUS_PER_MINUTE: String(LIMITS.status),
      TRUST_PROXY: 'true',
      VERIFICATION_MAX_ATTEMPTS: '10',
    },
  });
});
afterAll(async () => {
  await h?.stop();
});

let clientNo = 0;
/** A fresh client address (documentation range), as the trusted proxy reports it. */
const newClient = () => `198.51.100.${++clientNo}`;

async function call(method: string, path: string, client: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(h.baseUrl + path, {
    method,
    headers: { 'x-forwarded-for': client, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: any = null;
  try {
    json = JSON.parse(text);
  } catch {
    // HTML page
  }
  return { status: res.status, body: json, retryAfter: res.headers.get('retry-after') };
}

const counts = async () => [await h.prisma.dsarRequest.count(), await h.prisma.auditEvent.count()];

function expect429(r: { status: number; body: any; retryAfter: string | null }) {
  expect(r.status).toBe(429);
  expect(r.body).toEqual({ statusCode: 429, error: 'too_many_requests', message: expect.stringMatching(/Too many requests/) });
  expect(r.retryAfter).toMatch(/^\d+$/);
  expect(Number(r.retryAfter)).toBeGreaterThanOrEqual(1);
  expect(Number(r.retryAfter)).toBeLessThanOrEqual(60);
}

async function submitAndToken(client: string) {
  const email = uniqueEmail('rl');
  const r = await call('POST', '/v1/requests', client, { type: 'access', email });
  expect(r.status).toBe(202);
  const mail = await h.smtp.waitFor(email, (m) => /Confirm/.test(m.subject));
  return { ...linkFrom(mail.text), email };
}

describe('intake', () => {
  test('the 4th submission from one client within a minute is refused with 429 and Retry-After, and stores nothing', async () => {
    const client = newClient();
    for (let i = 0; i < LIMITS.intake; i++) {
      expect((await call('POST', '/v1/requests', client, { type: 'access', email: uniqueEmail('ok') })).status).toBe(202);
    }
    const before = await counts();
    const email = uniqueEmail('refused');
    const refused = await call('POST', '/v1/requests', client, { type: 'erasure', email });
    expect429(refused);
    expect(await counts()).toEqual(before);
    expect(await h.prisma.dsarRequest.count({ where: { email } })).toBe(0);
    // Another client is not affected.
    expect((await call('POST', '/v1/requests', newClient(), { type: 'erasure', email })).status).toBe(202);
  });

  test('a refused request is answered before the body is parsed and without the database', async () => {
    const client = newClient();
    for (let i = 0; i < LIMITS.intake; i++) await call('POST', '/v1/requests', client, { type: 'nope' }); // 400s count too
    const prisma = h.api.get(PrismaService);
    const tx = jest.spyOn(prisma, '$transaction');
    const raw = jest.spyOn(prisma, '$queryRaw');
    const sql = jest.spyOn(prisma, 'sql');
    try {
      expect429(await call('POST', '/v1/requests', client, '{"not json'));
      expect429(await call('POST', '/v1/requests', client, { type: 'access', email: uniqueEmail('x') }));
      expect(tx).not.toHaveBeenCalled();
      expect(raw).not.toHaveBeenCalled();
      expect(sql).not.toHaveBeenCalled();
      // The spy does see the database work of a request that is let through.
      expect((await call('POST', '/v1/requests', newClient(), { type: 'access', email: uniqueEmail('control') })).status).toBe(202);
      expect(tx.mock.calls.length + raw.mock.calls.length + sql.mock.calls.length).toBeGreaterThan(0);
    } finally {
      tx.mockRestore();
      raw.mockRestore();
      sql.mockRestore();
    }
  });

  test('spelling variants of the path share the limit', async () => {
    const client = newClient();
    const paths = ['/v1/requests', '/v1/requests/', '/V1/Requests', '/v1/requests?x=1'];
    const statuses = [];
    for (const p of paths) statuses.push((await call('POST', p, client, { type: 'access', email: uniqueEmail('v') })).status);
    expect(statuses).toEqual([202, 202, 202, 429]);
  });
});

describe('verification', () => {
  test('wrong tokens beyond the limit are refused without being counted against the request', async () => {
    const { id, token } = await submitAndToken(newClient());
    const attacker = newClient();
    const wrong = 'A'.repeat(43);
    for (let i = 0; i < LIMITS.verify; i++) {
      expect((await call('POST', `/v1/requests/${id}/verify`, attacker, { token: wrong })).status).toBe(403);
    }
    const before = await counts();
    expect429(await call('POST', `/v1/requests/${id}/verify`, attacker, { token: wrong }));
    expect429(await call('POST', `/v1/requests/${id}/verify`, attacker, { token })); // even the right one
    expect429(await call('GET', `/v1/requests/${id}/verify?token=${token}`, attacker)); // the page too
    expect(await counts()).toEqual(before);
    const row = await h.prisma.dsarRequest.findUniqueOrThrow({ where: { id } });
    expect(row).toMatchObject({ status: 'awaiting_verification', verificationAttempts: LIMITS.verify });
    // The subject, from their own address, still verifies.
    expect((await call('POST', `/v1/requests/${id}/verify`, newClient(), { token })).status).toBe(200);
  });

  test('the confirmation page counts as verification', async () => {
    const client = newClient();
    const id = randomUUID();
    // A well-formed link that is not valid: refused, and it counts against the verification limit.
    for (let i = 0; i < LIMITS.verify; i++) expect((await call('GET', `/v1/requests/${id}/verify?token=${'x'.repeat(43)}`, client)).status).toBe(403);
    expect429(await call('GET', `/v1/requests/${id}/verify`, client));
  });
});

describe('status', () => {
  test('status reads beyond the limit are refused, for known and unknown ids alike', async () => {
    const { id } = await submitAndToken(newClient());
    const client = newClient();
    const seen = [];
    for (let i = 0; i < LIMITS.status; i++) seen.push((await call('GET', `/v1/requests/${i % 2 ? id : randomUUID()}`, client)).status);
    expect(seen).toEqual([404, 200, 404, 200, 404]);
    expect429(await call('GET', `/v1/requests/${id}`, client));
    expect429(await call('GET', '/v1/requests/not-a-uuid', client));
  });
});

describe('route classes are counted separately', () => {
  test('exhausting intake leaves verification and status untouched, and the other way round', async () => {
    const client = newClient();
    const { id, token } = await submitAndToken(client); // 1 intake
    for (let i = 1; i < LIMITS.intake; i++) await call('POST', '/v1/requests', client, { type: 'access', email: uniqueEmail('fill') });
    expect429(await call('POST', '/v1/requests', client, { type: 'access', email: uniqueEmail('over') }));
    for (let i = 0; i < LIMITS.status; i++) expect((await call('GET', `/v1/requests/${id}`, client)).status).toBe(200);
    expect429(await call('GET', `/v1/requests/${id}`, client));
    // Neither intake nor status consumed verification.
    expect((await call('POST', `/v1/requests/${id}/verify`, client, { token })).status).toBe(200);

    const other = newClient();
    for (let i = 0; i < LIMITS.verify; i++) await call('POST', `/v1/requests/${randomUUID()}/verify`, other, { token: 'B'.repeat(43) });
    expect429(await call('POST', `/v1/requests/${id}/verify`, other, { token }));
    expect((await call('GET', `/v1/requests/${id}`, other)).status).toBe(200);
    expect((await call('POST', '/v1/requests', other, { type: 'access', email: uniqueEmail('still') })).status).toBe(202);
  });
});

describe('not limited', () => {
  test('officer endpoints and health, even for a client over every public limit', async () => {
    const client = newClient();
    for (let i = 0; i <= LIMITS.status; i++) await call('GET', `/v1/requests/${randomUUID()}`, client);
    expect429(await call('GET', `/v1/requests/${randomUUID()}`, client));
    const statuses = new Set<number>();
    for (let i = 0; i < 3 * LIMITS.status; i++) {
      statuses.add((await call('GET', '/v1/admin/requests?pageSize=1', client, undefined, officer(h))).status);
      statuses.add((await call('GET', `/v1/admin/requests/${randomUUID()}`, client, undefined, officer(h))).status);
      statuses.add((await call('GET', '/health', client)).status);
    }
    expect([...statuses].sort()).toEqual([200, 404]);
    // And officer calls did not consume the public limits of a fresh client.
    const fresh = newClient();
    for (let i = 0; i < 3 * LIMITS.status; i++) await call('GET', '/v1/admin/requests?pageSize=1', fresh, undefined, officer(h));
    expect((await call('GET', `/v1/requests/${randomUUID()}`, fresh)).status).toBe(404);
  });
});

describe('X-Forwarded-For without TRUST_PROXY', () => {
  test('is ignored: a client cannot dodge the limit by inventing addresses', async () => {
    const direct = await startHarness({ env: { RATE_LIMIT_INTAKE_PER_MINUTE: '2' }, worker: false });
    try {
      const statuses = [];
      for (let i = 0; i < 4; i++) {
        const res = await fetch(`${direct.baseUrl}/v1/requests`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-forwarded-for': `203.0.113.${i + 1}` },
          body: JSON.stringify({ type: 'access', email: uniqueEmail('xff') }),
        });
        statuses.push(res.status);
      }
      expect(statuses).toEqual([202, 202, 429, 429]);
    } finally {
      await direct.stop();
    }
  });
});
