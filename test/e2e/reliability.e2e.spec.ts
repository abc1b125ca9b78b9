// Scheduled retries of tasks that exhausted their attempts, asynchronous vendor jobs followed to
// the end, requests flagged at risk, and officers' bulk retry — on the real service and fakes.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { createAccount } from '../../src/db/demo-data.js';
import { startVendorFakes, type VendorFakes } from '../../src/demo/fakes/index.js';
import { get, officer, post, startHarness, submitVerified, uniqueEmail, waitFor, type Harness } from '../support/harness.js';

let fakes: VendorFakes;
let h: Harness;

beforeAll(async () => {
  fakes = await startVendorFakes();
  h = await startHarness({
    env: {
      ...fakes.env,
      TASK_ATTEMPTS: '2',
      RETRY_SCHEDULE_MINUTES: '0.02,0.02',
      MAINTENANCE_INTERVAL_SECONDS: '1',
      VENDOR_JOB_POLL_SECONDS: '1',
      VENDOR_JOB_MAX_WAIT_SECONDS: '4',
    },
  });
});
afterAll(async () => {
  await h?.stop();
  await fakes?.stop();
});
beforeEach(() => {
  fakes.reset();
  fakes.sendgrid.deleteJobDelayMs = 0;
});

const verified = (type: 'access' | 'erasure', email: string) => submitVerified(h, type, email);

const detail = async (id: string) => (await get(h, `/v1/admin/requests/${id}`, officer(h))).body;
const task = (d: { tasks: { system: string }[] }, system: string) => d.tasks.find((t) => t.system === system) as any;

async function until(id: string, pred: (d: any) => boolean, what: string, ms = 30_000) {
  return waitFor(async () => {
    const d = await detail(id);
    return pred(d) ? d : undefined;
  }, ms, what);
}

async function person(tag: string) {
  const email = uniqueEmail(tag);
  const { userId } = await createAccount(h.prisma, { email, firstName: 'Dorothy', lastName: 'Vaughan' }, { withInvoices: false });
  return { email, userId };
}

describe('scheduled retries', () => {
  test('a task that failed all its attempts is retried on schedule once the vendor recovers', async () => {
    const { email, userId } = await person('sched');
    fakes.intercom.addContact({ role: 'user', email, external_id: userId });
    fakes.intercom.failNext(10_000, 502);
    const id = await verified('erasure', email);
    const failed = await until(id, (d) => task(d, 'intercom')?.status === 'failed', 'intercom failed');
    const t = task(failed, 'intercom');
    expect(t).toMatchObject({ attempts: 2, failureKind: 'transient', scheduledRetries: 0 });
    expect(t.nextRetryAt).not.toBeNull();
    // The vendor recovers; nobody intervenes.
    fakes.intercom.reset();
    fakes.intercom.addContact({ role: 'user', email });
    const done = await until(id, (d) => d.status === 'completed', 'completed after scheduled retry');
    // Intercom's delete is restorable for its 7-day grace: said so, not "erased".
    expect(task(done, 'intercom')).toMatchObject({ status: 'done', outcome: 'restorable', scheduledRetries: 1, nextRetryAt: null });
    expect(done.audit.map((e: { action: string }) => e.action)).toContain('scheduled_retry');
    expect([...fakes.intercom.contacts.values()].filter((c) => c.email === email)).toHaveLength(0);
    // The other systems ended first: the subject heard about the failure, and once about the end.
    await h.smtp.waitFor(email, (m) => m.subject === 'Your erasure request is complete');
    expect(h.smtp.to(email).map((m) => m.subject).filter((s) => s !== 'Confirm your data erasure request')).toEqual(['Your erasure request: progress update', 'Your erasure request is complete']);
  });

  test('retries stop at the cap; the request is then flagged at risk for officers', async () => {
    const { email, userId } = await person('cap');
    fakes.pardot.addProspect({ email });
    fakes.pardot.failNext(100_000, 503);
    const id = await verified('erasure', email);
    const stuck = await until(id, (d) => d.status === 'failed' && task(d, 'pardot')?.scheduledRetries === 2 && task(d, 'pardot')?.status === 'failed', 'retries exhausted');
    expect(task(stuck, 'pardot')).toMatchObject({ nextRetryAt: null, attempts: 6 });
    expect(stuck.atRisk).toBe(true);
    const list = await get(h, '/v1/admin/requests?atRisk=true&pageSize=200', officer(h));
    expect(list.body.items.map((i: { id: string }) => i.id)).toContain(id);
    expect(list.body.items.every((i: { atRisk: boolean }) => i.atRisk)).toBe(true);
    const notRisk = await get(h, '/v1/admin/requests?atRisk=false&pageSize=200', officer(h));
    expect(notRisk.body.items.map((i: { id: string }) => i.id)).not.toContain(id);
    // Officers' bulk retry picks it up once the vendor is back.
    fakes.pardot.reset();
    const bulk = await post(h, '/v1/admin/requests/retry', { requestIds: [id] }, officer(h));
    expect(bulk.status).toBe(202);
    expect(bulk.body.retried.map((r: { id: string }) => r.id)).toEqual([id]);
    const done = await until(id, (d) => d.status === 'completed', 'completed after bulk retry');
    expect(task(done, 'pardot')).toMatchObject({ status: 'done', outcome: 'not_found' });
    expect(userId).toBeTruthy();
    expect(done.atRisk).toBe(false);
  });

  test('a permanent failure is not retried on schedule', async () => {
    const email = uniqueEmail('perm');
    fakes.auth0.addUser({ user_id: 'auth0|perm', email });
    fakes.auth0.failNext(10_000, 400, { statusCode: 400, error: 'Bad Request', message: 'Invalid query' });
    const id = await verified('erasure', email);
    const d = await until(id, (x) => x.status === 'failed', 'failed');
    expect(task(d, 'auth0')).toMatchObject({ status: 'failed', failureKind: 'permanent', attempts: 1, nextRetryAt: null });
    fakes.auth0.reset();
  });
});

describe('asynchronous vendor jobs', () => {
  test('a SendGrid delete job is followed until SendGrid reports it completed', async () => {
    const { email, userId } = await person('sgjob');
    fakes.sendgrid.addContact({ email });
    fakes.sendgrid.deleteJobDelayMs = 2500;
    const id = await verified('erasure', email);
    const waiting = await until(id, (d) => task(d, 'sendgrid')?.status === 'waiting', 'waiting on SendGrid');
    expect(waiting.status).toBe('in_progress');
    expect(task(waiting, 'sendgrid').outcome).toBe('scheduled');
    expect(task(waiting, 'sendgrid').nextCheckAt).not.toBeNull();
    const done = await until(id, (d) => d.status === 'completed', 'completed');
    const sg = task(done, 'sendgrid');
    // The contact deletion is confirmed; the recipient erasure SendGrid gives no status for stays
    // "scheduled", never "erased".
    expect(sg).toMatchObject({ status: 'done', outcome: 'scheduled' });
    expect(sg.result.vendorJob.status).toBe('completed');
    expect(sg.result.actions).toEqual(expect.arrayContaining([expect.objectContaining({ how: 'deleted' }), expect.objectContaining({ how: 'requested' })]));
    expect(sg.vendorChecks).toBeGreaterThanOrEqual(1);
    expect([...fakes.sendgrid.contacts.values()].filter((c) => c.email === email)).toHaveLength(0);
    expect(userId).toBeTruthy();
  });

  test('an Amplitude job the vendor has not finished by the cap is "completed at the vendor\'s schedule", explicitly', async () => {
    const { email, userId } = await person('ampjob');
    fakes.amplitude.addUser({ user_id: userId });
    const id = await verified('erasure', email);
    const done = await until(id, (d) => d.status === 'completed', 'completed at the vendor schedule');
    const amp = task(done, 'amplitude');
    expect(amp).toMatchObject({ status: 'done', outcome: 'scheduled' });
    expect(amp.result.vendorJob.expectedBy).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(amp.result.note).toContain("Completed at the vendor's schedule");
    const mail = await h.smtp.waitFor(email, (m) => m.subject === 'Your erasure request is complete');
    expect(mail.text).toMatch(/Amplitude: Deletion requested; the provider carries it out on its own schedule \(expected by/);
  });

  test('an Amplitude job that finishes while followed ends as erased', async () => {
    const { email, userId } = await person('ampdone');
    fakes.amplitude.addUser({ user_id: userId });
    const id = await verified('erasure', email);
    await until(id, (d) => task(d, 'amplitude')?.status === 'waiting', 'waiting on Amplitude');
    fakes.amplitude.runDeletionJobs();
    const done = await until(id, (d) => d.status === 'completed', 'completed');
    expect(task(done, 'amplitude')).toMatchObject({ status: 'done', outcome: 'erased' });
    expect([...fakes.amplitude.users.values()].filter((u) => u.user_id === userId)).toHaveLength(0);
  });
});
