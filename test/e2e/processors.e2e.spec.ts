// Access and erasure fan out to every processor: the adapters speak to local fakes that behave as
// each vendor documents, and the whole service (API, worker, PostgreSQL, Redis, SMTP) is real.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { seedSubject, startVendorFakes, type VendorFakes } from '../../src/demo/fakes/index.js';
import { createAccount } from '../../src/db/demo-data.js';
import { get, officer, post, startHarness, submitVerified, uniqueEmail, waitFor, type Harness } from '../support/harness.js';
import { NOTHING, traces } from '../support/vendors.js';

let fakes: VendorFakes;
let h: Harness;
const VENDORS = ['amplitude', 'auth0', 'hotjar', 'inline-manual', 'intercom', 'pardot', 'sendgrid'];

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

const run = (type: 'access' | 'erasure', email: string) => submitVerified(h, type, email);

async function settled(id: string, statuses = ['completed', 'failed']) {
  return waitFor(async () => {
    const r = await get(h, `/v1/admin/requests/${id}`, officer(h));
    return statuses.includes(r.body?.status) ? r.body : undefined;
  }, 30_000, `request ${id} to settle`);
}

async function person(tag: string) {
  const email = uniqueEmail(tag);
  const { userId } = await createAccount(h.prisma, { email, firstName: 'Mary', lastName: 'Jackson', phoneNumber: '+1 555 0100', businessRole: 'Engineer', businessType: 'Aerospace' });
  return { email, userId };
}

describe('access across every processor', () => {
  test('the report has a section for every vendor, with their data mapped to the inventory', async () => {
    const { email, userId } = await person('everywhere');
    seedSubject(fakes, { email, userId, firstName: 'Mary', lastName: 'Jackson', phone: '+1 555 0100', company: 'NACA', country: 'United States', businessRole: 'Engineer', businessType: 'Aerospace' });
    const id = await run('access', email);
    const report = await h.smtp.waitFor(email, (m) => m.subject === 'Your personal data: access report');
    const data = JSON.parse(report.attachments[0]!.content.toString('utf8'));
    const systems = Object.fromEntries(data.systems.map((s: { key: string; outcome: string }) => [s.key, s.outcome]));
    expect(systems).toEqual({
      'product-db': 'found', auth0: 'found', amplitude: 'found', hotjar: 'requested', intercom: 'found',
      pardot: 'found', sendgrid: 'found', 'inline-manual': 'found',
    });
    const company = data.items.find((i: { key: string }) => i.key === 'company');
    expect(company.values.map((v: { system: string; value: string }) => [v.system, v.value])).toContainEqual(['Pardot (Salesforce Account Engagement)', 'NACA']);
    const phones = data.items.find((i: { key: string }) => i.key === 'phone_number').values.map((v: { system: string }) => v.system);
    expect(phones).toEqual(expect.arrayContaining(['Product account database', 'Intercom']));
    for (const v of ['Auth0', 'Amplitude', 'Intercom', 'SendGrid']) expect(report.text).toContain(`Records held by ${v}`);
    const done = await settled(id);
    expect(done.status).toBe('completed');
    expect(done.tasks.map((t: { system: string }) => t.system).sort()).toEqual(['product-db', ...VENDORS].sort());
  });
});

describe('erasure across every processor', () => {
  test('leaves no trace in any fake, records the vendors\' job ids, and shows every outcome', async () => {
    const { email, userId } = await person('erase-all');
    const seeded = seedSubject(fakes, { email, userId, firstName: 'Mary', lastName: 'Jackson' });
    fakes.intercom.addContact({ role: 'lead', email }); // one e-mail, several records
    const id = await run('erasure', email);
    const done = await settled(id);
    expect(done.status).toBe('completed');
    const byKey = Object.fromEntries(done.tasks.map((t: { system: string }) => [t.system, t]));
    expect(byKey.amplitude).toMatchObject({ status: 'done', outcome: 'scheduled' });
    expect(byKey.amplitude.result.vendorJob.id).toBeTruthy();
    expect(byKey.sendgrid).toMatchObject({ status: 'done', outcome: 'scheduled' });
    expect(fakes.sendgrid.jobs.has(byKey.sendgrid.result.vendorJob.id)).toBe(true);
    expect(byKey.auth0).toMatchObject({ status: 'done', outcome: 'erased' });
    expect(byKey.intercom.refs.contactIds ?? byKey.intercom.refs.ids ?? Object.values(byKey.intercom.refs).flat()).toHaveLength(2);
    expect(byKey.auth0.refs).toEqual(expect.objectContaining({}));
    expect(JSON.stringify(byKey.auth0.refs)).toContain(seeded.auth0.user_id);
    // Vendor-side asynchronous jobs run on the vendor's schedule; once they have, nothing is left.
    fakes.amplitude.runDeletionJobs();
    fakes.sendgrid.completeJobs();
    expect(traces(fakes, email, userId)).toEqual(NOTHING);
    const confirmation = await h.smtp.waitFor(email, (m) => m.subject === 'Your erasure request is complete');
    for (const label of ['Auth0', 'Intercom', 'Amplitude', 'SendGrid', 'Hotjar', 'Inline Manual']) expect(confirmation.text).toContain(label);
    expect(confirmation.text).toMatch(/Amplitude: Deletion requested; .*expected by \d{4}-\d{2}-\d{2}/);
  });

  test('a subject present at only some vendors ends "not found" for the others, not failed', async () => {
    const { email, userId } = await person('some');
    fakes.auth0.addUser({ user_id: `auth0|${userId}`, email });
    fakes.sendgrid.addContact({ email });
    const id = await run('erasure', email);
    const done = await settled(id);
    expect(done.status).toBe('completed');
    const outcomes = Object.fromEntries(done.tasks.map((t: { system: string; outcome: string }) => [t.system, t.outcome]));
    expect(outcomes).toMatchObject({ auth0: 'erased', sendgrid: 'scheduled', intercom: 'not_found', pardot: 'not_found', 'inline-manual': 'not_found', amplitude: 'not_found' });
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
      expect(r.tasks.filter((t: { status: string }) => t.status === 'done')).toHaveLength(7);
      expect(fakes.auth0.users.size).toBe(0);
      expect(fakes.intercom.contacts.size).toBe(1);
      const update = await bad.smtp.waitFor(email, (m) => m.subject === 'Your erasure request: progress update');
      expect(update.text).toMatch(/Intercom: Not erased yet/);
    } finally {
      await bad.stop();
    }
  });

  test('a vendor that keeps failing ends failed; an officer retries only that task once it recovers', async () => {
    const { email, userId } = await person('retry');
    seedSubject(fakes, { email, userId });
    fakes.pardot.failNext(1000, 503);
    const id = await run('erasure', email);
    const failed = await settled(id, ['failed']);
    const pardot = failed.tasks.find((t: { system: string }) => t.system === 'pardot');
    expect(pardot).toMatchObject({ status: 'failed', attempts: 2 });
    expect(pardot.lastError).toMatch(/^transient: .*503/);
    const auth0Before = failed.tasks.find((t: { system: string }) => t.system === 'auth0');

    fakes.pardot.reset();
    fakes.pardot.addProspect({ email });
    const retried = await post(h, `/v1/admin/requests/${id}/retry`, {}, officer(h));
    expect(retried).toMatchObject({ status: 202, body: { status: 'in_progress', retried: ['pardot'] } });
    const done = await settled(id, ['completed']);
    expect(done.tasks.find((t: { system: string }) => t.system === 'pardot')).toMatchObject({ status: 'done', outcome: 'erased' });
    // The other tasks were not run again.
    expect(done.tasks.find((t: { system: string }) => t.system === 'auth0').attempts).toBe(auth0Before.attempts);
    expect(done.audit.map((e: { action: string }) => e.action)).toEqual(expect.arrayContaining(['ended_with_failures', 'retry_requested', 'completed']));
    expect([...fakes.pardot.prospects.values()].filter((p) => p.email === email.toLowerCase() && !p.deleted)).toHaveLength(0);
  });
});
