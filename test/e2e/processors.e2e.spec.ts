// Access and erasure fan out to every processor: the adapters speak to local fakes that behave as
// each vendor documents, and the whole service (API, worker, PostgreSQL, Redis, SMTP) is real.
// Every call to a vendor with an official OpenAPI document is validated against it.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { createAccount } from '../../src/db/demo-data.js';
import { seedSubject, startVendorFakes, type VendorFakes } from '../../src/demo/fakes/index.js';
import { completeOpenActions, get, officer, post, startHarness, submitVerified, uniqueEmail, waitFor, waitForStatus, type Harness } from '../support/harness.js';
import { assertVendorCallsValid } from '../support/openapi.js';
import { NOTHING, pardotRecycleBinEmptied, traces, vendorSchedulesRun } from '../support/vendors.js';

let fakes: VendorFakes;
let h: Harness;
const VENDORS = ['amplitude', 'auth0', 'azure-app-insights', 'hotjar', 'inline-manual', 'intercom', 'pardot', 'sendgrid'];

beforeAll(async () => {
  fakes = await startVendorFakes();
  // Vendor jobs are not followed here (VENDOR_JOB_MAX_WAIT_SECONDS=0): reliability.e2e covers that.
  h = await startHarness({ env: { ...fakes.env, TASK_ATTEMPTS: '2', VENDOR_JOB_MAX_WAIT_SECONDS: '0' } });
});
afterAll(async () => {
  await h?.stop();
  await fakes?.stop();
});
beforeEach(() => fakes.reset());
afterEach(() => assertVendorCallsValid(fakes));

const run = (type: 'access' | 'erasure', email: string) => submitVerified(h, type, email);
const byKey = (d: { tasks: { system: string }[] }) => Object.fromEntries(d.tasks.map((t) => [t.system, t])) as Record<string, any>;

async function person(tag: string, withInvoices = true) {
  const email = uniqueEmail(tag);
  const { userId } = await createAccount(h.prisma, { email, firstName: 'Mary', lastName: 'Jackson', phoneNumber: '+1 555 0100', businessRole: 'Engineer', businessType: 'Aerospace' }, { withInvoices });
  return { email, userId };
}

/** The report's JSON, through the link in the access e-mail. */
async function reportOf(email: string, nth = 0) {
  await waitFor(async () => h.smtp.to(email).filter((m) => m.subject === 'Your personal data: access report').length > nth, 30_000, 'report e-mail');
  const mail = h.smtp.to(email).filter((m) => m.subject === 'Your personal data: access report')[nth]!;
  const m = /http:\/\/dsar\.test\.local(\/v1\/reports\/[0-9a-f-]{36})\?token=([A-Za-z0-9_-]+)/.exec(mail.text)!;
  const res = await fetch(`${h.baseUrl}${m[1]}/report.json?token=${m[2]}`);
  expect(res.status).toBe(200);
  return res.json() as Promise<any>;
}

describe('access across every processor', () => {
  test('every vendor read in full, mapped to the inventory; Hotjar\'s answer forwarded by an officer; then complete', async () => {
    const { email, userId } = await person('everywhere');
    seedSubject(fakes, { email, userId, firstName: 'Mary', lastName: 'Jackson', phone: '+1 555 0100', company: 'NACA', country: 'United States', businessRole: 'Engineer', businessType: 'Aerospace' });
    const id = await run('access', email);
    const data = await reportOf(email);
    const outcomes = Object.fromEntries(data.systems.map((s: { key: string; outcome: string }) => [s.key, s.outcome]));
    expect(outcomes).toEqual({
      'product-db': 'found', auth0: 'found', amplitude: 'found', 'azure-app-insights': 'found', hotjar: 'action_required', intercom: 'found',
      pardot: 'found', sendgrid: 'found', 'inline-manual': 'found',
    });
    const values = (key: string) => data.items.find((i: { key: string }) => i.key === key).values as { system: string; value: unknown; where: string }[];
    expect(values('company').map((v) => [v.system, v.value])).toContainEqual(['Pardot (Salesforce Account Engagement)', 'NACA']);
    expect(values('phone_number').map((v) => v.system)).toEqual(expect.arrayContaining(['Product account database', 'Intercom']));
    // Intercom conversations, the Salesforce lead, Azure telemetry and Auth0's social identity are all in.
    expect(values('activity').some((v) => v.system === 'Intercom' && /conversation/i.test(v.where))).toBe(true);
    expect(values('company').some((v) => /Salesforce lead/.test(v.where))).toBe(true);
    expect(values('ip_address').some((v) => v.system === 'Microsoft Azure Application Insights')).toBe(true);
    const auth0 = data.systems.find((s: { key: string }) => s.key === 'auth0');
    expect(auth0.records.map((r: { user: { user_id: string } }) => r.user.user_id).some((u: string) => u.startsWith('google-oauth2|'))).toBe(true);
    expect(data.notShown.map((n: { item: string }) => n.item)).toContain('Password');
    expect(data.pending.map((p: { system: string }) => p.system)).toContain('Hotjar');
    // Lead scoring: what it is, its logic, and the subject's own values.
    expect(data.profiling[0].recipient).toBe('Pardot (Salesforce Account Engagement)');

    const waiting = await waitForStatus(h, id, ['awaiting_action']);
    const hotjar = waiting.actions.find((a: { kind: string }) => a.kind === 'hotjar_forward_report');
    expect(hotjar).toMatchObject({ system: 'hotjar', status: 'open' });
    expect(fakes.hotjar.reports.length).toBeGreaterThan(0); // Hotjar sent its report to the account
    const done = await post(h, `/v1/admin/requests/${id}/actions/${hotjar.id}/complete`, { note: 'Forwarded Hotjar report to the subject by secure mail.' }, officer(h));
    expect(done).toMatchObject({ status: 200, body: { status: 'done' } });
    const completed = await waitForStatus(h, id, ['completed']);
    expect(byKey(completed).hotjar).toMatchObject({ outcome: 'forwarded' });
    const final = await reportOf(email, 1);
    expect(final.systems.find((s: { key: string }) => s.key === 'hotjar').outcome).toBe('forwarded');
    expect(final.pending).toEqual([]);
    expect(completed.tasks.map((t: { system: string }) => t.system).sort()).toEqual(['product-db', ...VENDORS].sort());
  });
});

describe('erasure across every processor', () => {
  test('each vendor\'s outcome says exactly what it did; the Pardot officer action finishes the job; then nothing is left anywhere', async () => {
    const { email, userId } = await person('erase-all');
    seedSubject(fakes, { email, userId, firstName: 'Mary', lastName: 'Jackson' });
    fakes.intercom.addContact({ role: 'lead', email }); // one e-mail, several records
    const id = await run('erasure', email);
    const d = await waitForStatus(h, id, ['awaiting_action']);
    const t = byKey(d);
    expect(Object.fromEntries(Object.entries(t).map(([k, v]) => [k, v.outcome]))).toEqual({
      'product-db': 'retained', // invoices (tax law) and the text of content without the author
      auth0: 'retained', // tenant logs stay for the log retention period
      intercom: 'restorable', // 7-day grace
      pardot: 'action_required', // recycle bins: an officer deletes permanently
      amplitude: 'scheduled', sendgrid: 'scheduled', hotjar: 'scheduled', 'azure-app-insights': 'scheduled',
      'inline-manual': 'erased',
    });
    expect(t.amplitude.result.vendorJob.id).toMatch(/^\d{4}-\d{2}-\d{2}/);
    expect(t.intercom.refs.intercomContactIds ?? Object.values(t.intercom.refs).flat()).toBeTruthy();
    expect(JSON.stringify(t.auth0.refs)).toContain(`auth0|${userId}`);
    expect(t.auth0.result.retained[0]).toMatchObject({ item: 'activity', reason: expect.stringMatching(/log/) });

    const progress = await h.smtp.waitFor(email, (m) => m.subject === 'Your erasure request: progress update');
    expect(progress.text).toMatch(/Pardot \(Salesforce Account Engagement\): Being completed by our staff: .*recycle bin/);
    expect(progress.text).toMatch(/Intercom: Removed from use, but the provider can still restore it/);
    expect(progress.text).toMatch(/Auth0: Erased .*except what we must keep/);
    expect(progress.text).toMatch(/Kept: .*log/);

    // The vendors' own schedules run; the officer empties Pardot's recycle bin and says so.
    vendorSchedulesRun(fakes);
    expect(pardotRecycleBinEmptied(fakes)).toBe(2);
    expect(await completeOpenActions(h, id)).toBe(1);
    await waitForStatus(h, id, ['completed']);
    expect(traces(fakes, email, userId)).toEqual(NOTHING);
    const confirmation = await h.smtp.waitFor(email, (m) => m.subject === 'Your erasure request is complete');
    for (const label of ['Auth0', 'Intercom', 'Amplitude', 'SendGrid', 'Hotjar', 'Inline Manual', 'Microsoft Azure', 'Pardot']) expect(confirmation.text).toContain(label);
    expect(confirmation.text).toMatch(/Amplitude: Deletion requested; .*expected by \d{4}-\d{2}-\d{2}/);
    expect(confirmation.text).toMatch(/Pardot \(Salesforce Account Engagement\): Erased\. \(Done by our staff on \d{4}-\d{2}-\d{2}\.\)/);
  });

  test('a subject present at only some vendors: "not found" for the others, and the request completes', async () => {
    const { email, userId } = await person('some', false);
    fakes.auth0.addUser({ user_id: `auth0|${userId}`, email });
    fakes.sendgrid.addContact({ email });
    const id = await run('erasure', email);
    const done = await waitForStatus(h, id, ['completed']);
    const outcomes = Object.fromEntries(done.tasks.map((t: { system: string; outcome: string }) => [t.system, t.outcome]));
    expect(outcomes).toMatchObject({ auth0: 'erased', sendgrid: 'scheduled', intercom: 'not_found', pardot: 'not_found', 'inline-manual': 'not_found', amplitude: 'not_found', 'azure-app-insights': 'not_found' });
    // SendGrid's recipient erasure was sent although nothing else was held: no "not found" there.
    expect(fakes.sendgrid.erasureJobs.size).toBeGreaterThan(0);
    expect(done.tasks.every((t: { status: string }) => t.status === 'done')).toBe(true);
  });
});

describe('a failing vendor', () => {
  test('bad credentials end that vendor as failed with a clear reason while the others succeed', async () => {
    const email = uniqueEmail('badcreds');
    const bad = await startHarness({ env: { ...fakes.env, INTERCOM_ACCESS_TOKEN: 'wrong-token', TASK_ATTEMPTS: '2', VENDOR_JOB_MAX_WAIT_SECONDS: '0' } });
    try {
      fakes.intercom.addContact({ role: 'user', email });
      fakes.auth0.addUser({ user_id: 'auth0|bc', email });
      const id = await submitVerified(bad, 'erasure', email);
      const r = await waitFor(async () => {
        const x = await get(bad, `/v1/admin/requests/${id}`, officer(bad));
        return x.body?.status === 'failed' ? x.body : undefined;
      }, 30_000, 'failed');
      const intercom = r.tasks.find((t: { system: string }) => t.system === 'intercom');
      expect(intercom).toMatchObject({ status: 'failed', attempts: 1 });
      expect(intercom.lastError).toMatch(/^auth: .*401/);
      expect(r.tasks.filter((t: { status: string }) => t.status === 'done')).toHaveLength(8);
      expect(fakes.auth0.users.size).toBe(0);
      expect(fakes.intercom.contacts.size).toBe(1);
      const update = await bad.smtp.waitFor(email, (m) => m.subject === 'Your erasure request: progress update');
      expect(update.text).toMatch(/Intercom: Not erased yet/);
    } finally {
      await bad.stop();
    }
  });

  test('a vendor that keeps failing ends failed; an officer retries only that task once it recovers', async () => {
    const { email, userId } = await person('retry', false);
    fakes.auth0.addUser({ user_id: `auth0|${userId}`, email });
    fakes.pardot.failNext(1000, 503);
    const id = await run('erasure', email);
    const failed = await waitForStatus(h, id, ['failed']);
    const pardot = failed.tasks.find((t: { system: string }) => t.system === 'pardot');
    expect(pardot).toMatchObject({ status: 'failed', attempts: 2 });
    expect(pardot.lastError).toMatch(/^transient: .*503/);
    const auth0Before = failed.tasks.find((t: { system: string }) => t.system === 'auth0');

    fakes.pardot.reset();
    const retried = await post(h, `/v1/admin/requests/${id}/retry`, {}, officer(h));
    expect(retried).toMatchObject({ status: 202, body: { status: 'in_progress', retried: ['pardot'] } });
    const done = await waitForStatus(h, id, ['completed']);
    expect(done.tasks.find((t: { system: string }) => t.system === 'pardot')).toMatchObject({ status: 'done', outcome: 'not_found' });
    // The other tasks were not run again.
    expect(done.tasks.find((t: { system: string }) => t.system === 'auth0').attempts).toBe(auth0Before.attempts);
    expect(done.audit.map((e: { action: string }) => e.action)).toEqual(expect.arrayContaining(['ended_with_failures', 'retry_requested', 'completed']));
  });
});
