// Officers' decisions through the officer API: extending a deadline (Art. 12(3)), refusing a
// request (Art. 12(5)/(6)), filing one received by letter/phone/in person, re-sending a result, and
// the daily reminder — each audited, each telling the subject where the law says so.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createAccount } from '../../src/db/demo-data.js';
import { NotifierService } from '../../src/fulfilment/notifier.service.js';
import { addCalendarMonths } from '../../src/requests/deadline.js';
import { completeOpenActions, get, officer, post, startHarness, submit, submitVerified, uniqueEmail, waitFor, waitForStatus, type Harness } from '../support/harness.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness({ env: { OFFICER_EMAIL: 'privacy-team@example.com' } });
});
afterAll(async () => {
  await h?.stop();
});

const detail = async (id: string) => (await get(h, `/v1/admin/requests/${id}`, officer(h))).body;

describe('extending the deadline (Art. 12(3))', () => {
  test('once, by up to two months from the original date, with a reason the subject is told', async () => {
    const email = uniqueEmail('extend');
    const id = await submitVerified(h, 'access', email);
    const before = await detail(id);
    const r = await post(h, `/v1/admin/requests/${id}/extend`, { months: 2, reason: 'Several systems hold large histories that take time to collect.' }, officer(h));
    expect(r.status).toBe(200);
    expect(r.body.dueAt).toBe(addCalendarMonths(new Date(before.dueAt), 2).toISOString());
    const mail = await h.smtp.waitFor(email, (m) => m.subject === 'Your data request: we need more time');
    expect(mail.text).toContain(r.body.dueAt.slice(0, 10));
    expect(mail.text).toContain('Several systems hold large histories');
    const after = await detail(id);
    expect(after).toMatchObject({ dueAt: r.body.dueAt, originalDueAt: before.dueAt, extensionReason: 'Several systems hold large histories that take time to collect.' });
    expect(after.audit.map((e: { action: string }) => e.action)).toContain('deadline_extended');
    // Once only.
    const again = await post(h, `/v1/admin/requests/${id}/extend`, { months: 1, reason: 'Still more time needed for this one.' }, officer(h));
    expect(again).toMatchObject({ status: 409, body: { error: 'already_extended' } });
  });

  test('refused after the original deadline, without a reason, for more than two months, and when closed: nothing changes', async () => {
    const id = await submitVerified(h, 'erasure', uniqueEmail('late'));
    const late = new Date(Date.now() - 86_400_000);
    await h.prisma.dsarRequest.update({ where: { id }, data: { dueAt: late } });
    expect((await post(h, `/v1/admin/requests/${id}/extend`, { months: 1, reason: 'Too late for this, really.' }, officer(h)))).toMatchObject({ status: 409, body: { error: 'too_late' } });
    for (const bad of [{ months: 1 }, { months: 3, reason: 'A long enough reason here.' }, { months: 1, reason: 'short' }, { months: 'two', reason: 'A long enough reason here.' }]) {
      expect((await post(h, `/v1/admin/requests/${id}/extend`, bad, officer(h))).status).toBe(400);
    }
    const r = await h.prisma.dsarRequest.findUniqueOrThrow({ where: { id } });
    expect(r.dueAt.getTime()).toBe(late.getTime());
    expect(r.extendedAt).toBeNull();
  });
});

describe('refusing a request (Art. 12(5), 12(6))', () => {
  test('open tasks stop, open actions close, and the subject is told why and that they may complain', async () => {
    const email = uniqueEmail('deny');
    await createAccount(h.prisma, { email, firstName: 'Deny', lastName: 'Me' }, { withInvoices: false });
    const id = await submitVerified(h, 'erasure', email);
    await waitForStatus(h, id, ['awaiting_action']);
    const r = await post(h, `/v1/admin/requests/${id}/deny`, { reason: 'excessive', note: 'This is the fifth identical request this month.' }, officer(h));
    expect(r).toMatchObject({ status: 200, body: { status: 'denied', reason: 'excessive', subjectNotified: true } });
    const d = await detail(id);
    expect(d.status).toBe('denied');
    expect(d.actions.every((a: { status: string }) => a.status === 'done')).toBe(true);
    const mail = await h.smtp.waitFor(email, (m) => m.subject === 'Your data request has been refused');
    expect(mail.text).toMatch(/excessive/);
    expect(mail.text).toContain('fifth identical request');
    expect(mail.text).toMatch(/right to lodge a complaint with a supervisory authority/);
    expect((await post(h, `/v1/admin/requests/${id}/deny`, { reason: 'excessive' }, officer(h))).status).toBe(409);
    // The slot is free: a new request may be made.
    const again = await submit(h, 'erasure', email);
    expect(again.id).not.toBe(id);
  });

  test('a verified request denied before it was planned never reaches a data system', async () => {
    const email = uniqueEmail('denyearly');
    const hh = await startHarness();
    try {
      const { id, token } = await submit(hh, 'erasure', email);
      await hh.stopWorker(); // nothing plans it until the worker is back
      expect((await post(hh, `/v1/requests/${id}/verify`, { token })).status).toBe(200);
      expect((await post(hh, `/v1/admin/requests/${id}/deny`, { reason: 'identity_not_established' }, officer(hh))).status).toBe(200);
      await hh.startWorker();
      await new Promise((r) => setTimeout(r, 1500));
      expect(await hh.prisma.dsarTask.count({ where: { requestId: id } })).toBe(0);
      expect((await hh.prisma.dsarRequest.findUniqueOrThrow({ where: { id } })).status).toBe('denied');
      await hh.smtp.waitFor(email, (m) => m.subject === 'Your data request has been refused');
    } finally {
      await hh.stop();
    }
  });

  test('an unverified request is refused without writing to an address nobody proved is theirs', async () => {
    const email = uniqueEmail('denyunverified');
    const { id } = await submit(h, 'access', email);
    const r = await post(h, `/v1/admin/requests/${id}/deny`, { reason: 'identity_not_established' }, officer(h));
    expect(r.body).toMatchObject({ status: 'denied', subjectNotified: false });
    await new Promise((res) => setTimeout(res, 800));
    expect(h.smtp.to(email).filter((m) => /refused/.test(m.subject))).toHaveLength(0);
    expect((await post(h, `/v1/admin/requests/${id}/deny`, { reason: 'bogus' }, officer(h))).status).toBe(400);
  });
});

describe('a request filed on the subject\'s behalf', () => {
  test('by letter: no e-mail verification, audited with the officer key\'s name, fanned out at once', async () => {
    const email = uniqueEmail('letter');
    const r = await post(h, '/v1/admin/requests', { type: 'erasure', email: email.toUpperCase(), channel: 'letter', identityCheck: 'Signed letter, copy of ID checked against the account name.' }, officer(h));
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ type: 'erasure', status: 'verified', channel: 'letter' });
    const d = await waitForStatus(h, r.body.id, ['awaiting_action', 'completed']);
    expect(d).toMatchObject({ channel: 'letter', identityCheck: 'Signed letter, copy of ID checked against the account name.', email });
    const verified = d.audit.find((e: { action: string }) => e.action === 'verified_by_officer');
    expect(verified.details).toMatchObject({ channel: 'letter', officerName: 'test harness' });
    expect(h.smtp.to(email).filter((m) => /Confirm/.test(m.subject))).toHaveLength(0);
    // The same type for the same address while it is open: refused, naming the open request.
    const dup = await post(h, '/v1/admin/requests', { type: 'erasure', email, channel: 'phone', identityCheck: 'Called back on the number on file.' }, officer(h));
    expect(dup).toMatchObject({ status: 409, body: { error: 'already_open' } });
    expect(dup.body.message).toContain(r.body.id);
  });

  test('bad input is refused and nothing is created', async () => {
    const before = await h.prisma.dsarRequest.count();
    for (const bad of [
      { type: 'erasure', email: uniqueEmail('x'), channel: 'fax', identityCheck: 'Checked the passport in person.' },
      { type: 'erasure', email: 'not-an-address', channel: 'letter', identityCheck: 'Checked the passport in person.' },
      { type: 'erasure', email: uniqueEmail('x'), channel: 'letter' },
      { type: 'rectify', email: uniqueEmail('x'), channel: 'letter', identityCheck: 'Checked the passport in person.' },
    ]) expect((await post(h, '/v1/admin/requests', bad, officer(h))).status).toBe(400);
    expect((await post(h, '/v1/admin/requests', { type: 'access', email: uniqueEmail('x'), channel: 'letter', identityCheck: 'Checked.' })).status).toBe(401);
    expect(await h.prisma.dsarRequest.count()).toBe(before);
  });
});

describe('re-sending a result', () => {
  test('the same confirmation again, on an officer\'s decision', async () => {
    const email = uniqueEmail('resend');
    const id = await submitVerified(h, 'erasure', email);
    await waitForStatus(h, id, ['awaiting_action']);
    await completeOpenActions(h, id);
    await h.smtp.waitFor(email, (m) => m.subject === 'Your erasure request is complete');
    const r = await post(h, `/v1/admin/requests/${id}/resend-result`, {}, officer(h));
    expect(r.status).toBe(202);
    await waitFor(async () => h.smtp.to(email).filter((m) => m.subject === 'Your erasure request is complete').length === 2, 20_000, 'second copy');
    expect((await detail(id)).audit.map((e: { action: string }) => e.action)).toContain('result_resend_requested');
  });
});

describe('the daily reminder to the privacy team', () => {
  test('lists requests due soon, overdue or at risk and open actions; ids only; once a day', async () => {
    const id = await submitVerified(h, 'access', uniqueEmail('remind'));
    await waitForStatus(h, id, ['awaiting_action']);
    await h.prisma.dsarRequest.update({ where: { id }, data: { dueAt: new Date(Date.now() + 2 * 86_400_000) } });
    const notifier = h.worker!.get(NotifierService);
    const day = new Date(Date.now() + 100 * 86_400_000); // a day no other test used
    expect(await notifier.remind(day)).toBe('sent');
    const mail = await h.smtp.waitFor('privacy-team@example.com', (m) => /^Data requests:/.test(m.subject));
    expect(mail.text).toContain(id);
    expect(mail.text).toMatch(/overdue/);
    expect(mail.text).not.toMatch(/@example\.com/); // no subject's address
    expect(await notifier.remind(day)).toBe('already_handled');
  });
});
