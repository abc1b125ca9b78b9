import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createAccount } from '../../src/db/demo-data.js';
import { PlannerService } from '../../src/fulfilment/planner.service.js';
import { RetentionService } from '../../src/fulfilment/retention.service.js';
import { SEND_IN_FLIGHT_MS, VerificationMailerService } from '../../src/fulfilment/verification-mailer.service.js';
import { hashToken } from '../../src/requests/tokens.js';
import { get, linkFrom, officer, post, startHarness, submit as submitLink, uniqueEmail, waitFor, type Harness } from '../support/harness.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness({ env: { VERIFICATION_MAX_ATTEMPTS: '3' } });
});
afterAll(async () => {
  await h?.stop();
});

const rows = () => h.prisma.dsarRequest.count();
const audits = () => h.prisma.auditEvent.count();

async function raw(path: string, init: RequestInit) {
  const res = await fetch(h.baseUrl + path, init);
  return { status: res.status, body: (await res.json().catch(() => null)) as any };
}

describe('bad input gets a clear 4xx and leaves nothing behind', () => {
  const json = { 'content-type': 'application/json' };
  const cases: [string, RequestInit, number, RegExp][] = [
    ['missing email', { headers: json, body: JSON.stringify({ type: 'access' }) }, 400, /email must be a valid e-mail address/],
    ['invalid email', { headers: json, body: JSON.stringify({ type: 'access', email: 'not-an-address' }) }, 400, /email must be a valid e-mail address/],
    ['email with a display name', { headers: json, body: JSON.stringify({ type: 'access', email: 'Eve <eve@example.com>' }) }, 400, /valid e-mail/],
    ['email not a string', { headers: json, body: JSON.stringify({ type: 'access', email: 42 }) }, 400, /email must be a string/],
    ['email too long', { headers: json, body: JSON.stringify({ type: 'access', email: `${'a'.repeat(250)}@example.com` }) }, 400, /at most 254/],
    ['unknown type', { headers: json, body: JSON.stringify({ type: 'rectify', email: 'x@example.com' }) }, 400, /type must be "access" or "erasure"/],
    ['missing type', { headers: json, body: JSON.stringify({ email: 'x@example.com' }) }, 400, /type must be/],
    ['unknown field', { headers: json, body: JSON.stringify({ type: 'access', email: 'x@example.com', admin: true }) }, 400, /property admin should not exist/],
    ['malformed JSON', { headers: json, body: '{"type": "access",' }, 400, /not valid JSON/],
    ['JSON array', { headers: json, body: '[{"type":"access","email":"x@example.com"}]' }, 400, /must be a JSON object/],
    ['JSON string', { headers: json, body: '"hello"' }, 400, /not valid JSON|JSON object/],
    ['empty body', { headers: json }, 400, /type must be/],
    ['form-encoded body', { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'type=access&email=x%40example.com' }, 415, /application\/json/],
    ['text body', { headers: { 'content-type': 'text/plain' }, body: '{"type":"access","email":"x@example.com"}' }, 415, /application\/json/],
    ['oversized body', { headers: json, body: JSON.stringify({ type: 'access', email: 'x@example.com', pad: 'x'.repeat(40_000) }) }, 413, /too large/],
  ];

  test.each(cases)('%s', async (_name, init, status, message) => {
    const [before, auditBefore] = [await rows(), await audits()];
    const res = await raw('/v1/requests', { method: 'POST', ...init });
    expect(res.status).toBe(status);
    expect(res.body).toMatchObject({ statusCode: status });
    expect(String(res.body.message)).toMatch(message);
    expect(await rows()).toBe(before);
    expect(await audits()).toBe(auditBefore);
  });

  test('unknown and malformed request ids are 404', async () => {
    expect((await post(h, '/v1/requests/00000000-0000-4000-8000-000000000000/verify', { token: 'x'.repeat(43) })).status).toBe(404);
    expect((await post(h, '/v1/requests/not-a-uuid/verify', { token: 'x'.repeat(43) })).status).toBe(404);
    expect((await get(h, '/v1/requests/not-a-uuid')).status).toBe(404);
  });
});

describe('submission', () => {
  test('the same type for the same address while open joins the open request, also under concurrency', async () => {
    const email = uniqueEmail('dup');
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => post(h, '/v1/requests', { type: 'access', email: i % 2 ? email.toUpperCase() : ` ${email} ` })));
    expect(results.map((r) => r.status)).toEqual(Array(8).fill(202));
    expect(await h.prisma.dsarRequest.count({ where: { email, type: 'access' } })).toBe(1);
    await post(h, '/v1/requests', { type: 'erasure', email });
    expect(await h.prisma.dsarRequest.count({ where: { email } })).toBe(2);
  });

  test('a repeated submission sends a new link at most once per interval, and never kills the link already sent', async () => {
    const email = uniqueEmail('resend');
    const first = await submitLink(h, 'access', email);
    // Straight away: the same request, no second e-mail.
    await post(h, '/v1/requests', { type: 'access', email });
    await new Promise((r) => setTimeout(r, 1000));
    expect(h.smtp.to(email)).toHaveLength(1);
    // After the interval: a new link beside the old one.
    await h.prisma.dsarRequest.update({ where: { id: first.id }, data: { verificationSentAt: new Date(Date.now() - 120_000) } });
    const second = await submitLink(h, 'access', email);
    expect(second.id).toBe(first.id);
    expect(second.token).not.toBe(first.token);
    // The link the subject already held still works.
    expect((await post(h, `/v1/requests/${first.id}/verify`, { token: first.token })).status).toBe(200);
  });

  test('every answer is the same, new or repeated, known address or not: none identifies a request', async () => {
    const known = uniqueEmail('known');
    await createAccount(h.prisma, { email: known, firstName: 'K', lastName: 'N' });
    const answers = [
      await post(h, '/v1/requests', { type: 'erasure', email: known }),
      await post(h, '/v1/requests', { type: 'erasure', email: known.toUpperCase() }),
      await post(h, '/v1/requests', { type: 'erasure', email: uniqueEmail('stranger') }),
    ];
    expect(answers.map((a) => a.status)).toEqual([202, 202, 202]);
    expect(answers.map((a) => JSON.stringify(a.body))).toEqual(Array(3).fill(JSON.stringify(answers[0]!.body)));
    expect(JSON.stringify(answers[0]!.body)).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}/);
    // The id travels only in the e-mailed link: one link for the known address (the repeat came
    // within the resend interval), none for anyone else's request.
    const links = await waitFor(async () => {
      const mails = h.smtp.to(known).filter((m) => /Confirm/.test(m.subject));
      return mails.length > 0 && mails;
    }, 30_000, 'verification e-mail');
    const { id } = linkFrom(links[0]!.text);
    const r = await h.prisma.dsarRequest.findUniqueOrThrow({ where: { id } });
    expect(r.type).toBe('erasure');
    const due = r.dueAt.getTime() - r.receivedAt.getTime();
    expect(due).toBeGreaterThanOrEqual(28 * 86_400_000);
    expect(due).toBeLessThanOrEqual(31 * 86_400_000);
  });
});

describe('verification', () => {
  const submit = (email: string) => submitLink(h, 'erasure', email);

  test('an unverified request never reaches a data system; only the hash of the token is stored', async () => {
    const email = uniqueEmail('unverified');
    await createAccount(h.prisma, { email, firstName: 'U', lastName: 'V' });
    const { id, token } = await submit(email);
    // Even when the planning step is invoked directly, it refuses a request that is not verified.
    await h.worker!.get(PlannerService).plan(id);
    expect(await h.prisma.dsarTask.count({ where: { requestId: id } })).toBe(0);
    expect((await h.prisma.dsarRequest.findUniqueOrThrow({ where: { id } })).status).toBe('awaiting_verification');
    expect(await h.prisma.account.count({ where: { email } })).toBe(1);
    const links = await h.prisma.verificationToken.findMany({ where: { requestId: id } });
    expect(links).toHaveLength(1);
    expect(links[0]!.tokenHash).toBe(hashToken(token));
    expect(JSON.stringify(links)).not.toContain(token);
  });

  test('wrong tokens are refused and counted; at the limit verification locks for a while, it does not reject the request', async () => {
    const email = uniqueEmail('brute');
    const { id, token } = await submit(email);
    const wrong = token.slice(0, -2) + (token.endsWith('AA') ? 'BB' : 'AA');
    const r1 = await post(h, `/v1/requests/${id}/verify`, { token: wrong });
    expect(r1).toMatchObject({ status: 403, body: { error: 'invalid_token' } });
    await post(h, `/v1/requests/${id}/verify`, { token: wrong });
    const r3 = await fetch(`${h.baseUrl}/v1/requests/${id}/verify`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: wrong }) });
    expect(r3.status).toBe(429);
    expect(Number(r3.headers.get('retry-after'))).toBeGreaterThan(60);
    expect(((await r3.json()) as { error: string }).error).toBe('verification_locked');
    // While locked even the right link waits; the request stays open.
    expect((await post(h, `/v1/requests/${id}/verify`, { token })).status).toBe(429);
    expect((await h.prisma.dsarRequest.findUniqueOrThrow({ where: { id } })).status).toBe('awaiting_verification');
    // Once the lock has passed, the subject's link works.
    await h.prisma.dsarRequest.update({ where: { id }, data: { verificationLockedUntil: new Date(Date.now() - 1000) } });
    expect((await post(h, `/v1/requests/${id}/verify`, { token })).status).toBe(200);
  });

  test('an expired link is refused; once every link has expired the request expires by itself and loses the address', async () => {
    const email = uniqueEmail('expired');
    const { id, token } = await submit(email);
    await h.prisma.verificationToken.updateMany({ where: { requestId: id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    const r = await post(h, `/v1/requests/${id}/verify`, { token });
    expect(r).toMatchObject({ status: 410, body: { error: 'token_expired' } });
    await h.prisma.dsarRequest.update({ where: { id }, data: { receivedAt: new Date(Date.now() - 25 * 3_600_000) } });
    await h.worker!.get(RetentionService).sweep();
    const closed = await h.prisma.dsarRequest.findUniqueOrThrow({ where: { id } });
    expect(closed).toMatchObject({ status: 'expired', email: null, openKey: null });
    expect(await h.prisma.verificationToken.count({ where: { requestId: id } })).toBe(0);
    // A new submission is a new request with a new link.
    const again = await submitLink(h, 'erasure', email);
    expect(again.id).not.toBe(id);
  });

  test('a link verifies once; clicking it again shows where the request stands', async () => {
    const email = uniqueEmail('once');
    const { id, token } = await submit(email);
    expect((await post(h, `/v1/requests/${id}/verify`, { token })).status).toBe(200);
    const again = await post(h, `/v1/requests/${id}/verify`, { token });
    expect(again.status).toBe(200);
    expect(['verified', 'in_progress', 'awaiting_action']).toContain(again.body.status);
    expect(await h.prisma.auditEvent.count({ where: { requestId: id, action: 'verified' } })).toBe(1);
    // No processor is connected in this harness: the request ends waiting for officers' manual actions.
    await waitFor(async () => (await h.prisma.dsarRequest.findUniqueOrThrow({ where: { id } })).status === 'awaiting_action', 20_000, 'answered');
  });

  test('a token for one request does not verify another', async () => {
    const a = await submit(uniqueEmail('a'));
    const b = await submit(uniqueEmail('b'));
    const r = await post(h, `/v1/requests/${b.id}/verify`, { token: a.token });
    expect(r.status).toBe(403);
    expect((await h.prisma.dsarRequest.findUniqueOrThrow({ where: { id: b.id } })).status).toBe('awaiting_verification');
  });

  test('the link opens a confirmation page that does not verify by itself', async () => {
    const { id, token } = await submit(uniqueEmail('page'));
    const res = await fetch(`${h.baseUrl}/v1/requests/${id}/verify?token=${token}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    expect(await res.text()).toContain('Confirm');
    expect((await h.prisma.dsarRequest.findUniqueOrThrow({ where: { id } })).status).toBe('awaiting_verification');
  });
});

describe("the reconciler's catch-up for a link not yet sent", () => {
  test('does not send a second link when the first went out after it looked (a backlog, not a loss)', async () => {
    const email = uniqueEmail('catchup');
    const { id } = await submitLink(h, 'access', email);
    const mailer = h.worker!.get(VerificationMailerService);
    const count = () => h.smtp.messages.filter((m) => m.to.includes(email)).length;
    expect(count()).toBe(1);
    await mailer.send(id, { onlyIfUnsent: true });
    expect(count()).toBe(1);
    expect(await h.prisma.verificationToken.count({ where: { requestId: id } })).toBe(1);
    // Without the flag (a repeat submission), a fresh link beside the first.
    await mailer.send(id);
    expect(count()).toBe(2);
  });

  test('does not send while the first link is still on its way, and does once that send is plainly lost', async () => {
    const email = uniqueEmail('inflight');
    await post(h, '/v1/requests', { type: 'access', email });
    await waitFor(async () => h.smtp.to(email).length === 1, 30_000, 'verification e-mail');
    const r = await h.prisma.dsarRequest.findFirstOrThrow({ where: { email } });
    // As the reconciler sees a link being sent right now: created, not yet marked sent.
    await h.prisma.dsarRequest.update({ where: { id: r.id }, data: { verificationSentAt: null } });
    await h.prisma.verificationToken.updateMany({ where: { requestId: r.id }, data: { sentAt: null } });
    const mailer = h.worker!.get(VerificationMailerService);
    await mailer.send(r.id, { onlyIfUnsent: true });
    expect(h.smtp.to(email)).toHaveLength(1);
    expect(await h.prisma.verificationToken.count({ where: { requestId: r.id } })).toBe(1);
    // A link created long ago and never marked sent: its worker died mid-send. The catch-up sends one.
    await h.prisma.verificationToken.updateMany({ where: { requestId: r.id }, data: { createdAt: new Date(Date.now() - SEND_IN_FLIGHT_MS - 1000) } });
    await mailer.send(r.id, { onlyIfUnsent: true });
    expect(h.smtp.to(email)).toHaveLength(2);
    expect(await h.prisma.verificationToken.count({ where: { requestId: r.id } })).toBe(2);
  });
});

describe('officer API', () => {
  test('refuses missing, malformed, wrong and revoked keys', async () => {
    expect((await get(h, '/v1/admin/requests')).status).toBe(401);
    expect((await get(h, '/v1/admin/requests', { authorization: 'Basic abc' })).status).toBe(401);
    expect((await get(h, '/v1/admin/requests', { authorization: 'Bearer wrong-key-wrong-key-wrong' })).status).toBe(401);
    const created = await post(h, '/v1/admin/keys', { name: 'temp' }, officer(h));
    expect(created.status).toBe(201);
    const temp = { authorization: `Bearer ${created.body.key}` };
    expect((await get(h, '/v1/admin/requests', temp)).status).toBe(200);
    const revoked = await fetch(`${h.baseUrl}/v1/admin/keys/${created.body.id}`, { method: 'DELETE', headers: officer(h) });
    expect(revoked.status).toBe(204);
    expect((await get(h, '/v1/admin/requests', temp)).status).toBe(401);
    // The key is stored hashed only.
    const row = await h.prisma.officerApiKey.findUniqueOrThrow({ where: { id: created.body.id } });
    expect(row.keyHash).not.toContain(created.body.key);
  });

  test('lists with filters and pagination, and flags overdue requests', async () => {
    const email = uniqueEmail('overdue');
    const r = await submitLink(h, 'access', email);
    await h.prisma.dsarRequest.update({ where: { id: r.id }, data: { dueAt: new Date(Date.now() - 86_400_000 * 2) } });
    const overdue = await get(h, '/v1/admin/requests?overdue=true&pageSize=200', officer(h));
    expect(overdue.status).toBe(200);
    const mine = overdue.body.items.find((i: { id: string }) => i.id === r.id);
    expect(mine).toMatchObject({ overdue: true, status: 'awaiting_verification', type: 'access' });
    expect(mine.daysLeft).toBeLessThan(0);
    expect(overdue.body.items.every((i: { overdue: boolean }) => i.overdue)).toBe(true);

    for (const tag of ['p1', 'p2']) await post(h, '/v1/requests', { type: 'access', email: uniqueEmail(tag) });
    const page1 = await get(h, '/v1/admin/requests?type=access&pageSize=2&page=1', officer(h));
    const page2 = await get(h, '/v1/admin/requests?type=access&pageSize=2&page=2', officer(h));
    expect(page1.body.items).toHaveLength(2);
    expect(page1.body.total).toBeGreaterThanOrEqual(3);
    expect(page2.body.items[0].id).not.toBe(page1.body.items[0].id);
    expect(page1.body.items.every((i: { type: string }) => i.type === 'access')).toBe(true);

    const bad = await get(h, '/v1/admin/requests?status=bogus', officer(h));
    expect(bad.status).toBe(400);
    expect((await get(h, '/v1/admin/requests?pageSize=1000', officer(h))).status).toBe(400);
    expect((await get(h, '/v1/admin/requests?overdue=maybe', officer(h))).status).toBe(400);
  });
});
