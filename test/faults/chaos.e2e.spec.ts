// Fault injection through the vendor fakes, all at once: a share of 500s, of timeouts and of 429
// storms with each vendor's own headers at every vendor, vendors enforcing their limits, and every
// OAuth token expiring mid-run. Every request still completes, correctly, and no vendor limit is
// ever exceeded by our calls.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createAccount } from '../../src/db/demo-data.js';
import { seedSubject, startVendorFakes, type VendorFakes } from '../../src/demo/fakes/index.js';
import { completeOpenActions, startHarness, submitVerified, uniqueEmail, waitFor, type Harness } from '../support/harness.js';
import { NOTHING, pardotRecycleBinEmptied, traces, vendorSchedulesRun } from '../support/vendors.js';

let fakes: VendorFakes;
let h: Harness;

beforeAll(async () => {
  fakes = await startVendorFakes();
  h = await startHarness({
    env: {
      ...fakes.env,
      VENDOR_HTTP_TIMEOUT_MS: '800',
      TASK_ATTEMPTS: '8',
      TASK_BACKOFF_MS: '100',
      RETRY_SCHEDULE_MINUTES: '0.02,0.02,0.02',
      MAINTENANCE_INTERVAL_SECONDS: '1',
      VENDOR_JOB_MAX_WAIT_SECONDS: '0',
      WORKER_CONCURRENCY: '8',
      // Our limits set to what the fakes enforce below.
      RATE_LIMIT_AUTH0: '15/s',
      RATE_LIMIT_INTERCOM: '15/s',
      RATE_LIMIT_PARDOT: '2c',
      RATE_LIMIT_SENDGRID: '15/s',
    },
  });
});
afterAll(async () => {
  await h?.stop();
  await fakes?.stop();
});

describe('chaos at every vendor', () => {
  test('500s, timeouts, 429 storms and expired tokens: every request completes and no limit is exceeded', async () => {
    fakes.auth0.setRateLimit({ perSecond: 15 });
    fakes.intercom.setRateLimit({ perSecond: 15 });
    fakes.pardot.setRateLimit({ maxConcurrent: 2 });
    fakes.sendgrid.setRateLimit({ perSecond: 15 });
    fakes.all.forEach((f, i) =>
      f.chaos({ failRatio: 0.12, rateLimitRatio: 0.08, resetInSec: 1, slowRatio: 0.05, slowMs: 1200, seed: 7 + i }),
    );

    const people: { email: string; userId: string; type: 'access' | 'erasure' }[] = [];
    for (let i = 0; i < 8; i++) {
      const email = uniqueEmail(`chaos${i}`);
      const { userId } = await createAccount(h.prisma, { email, firstName: 'Chaos', lastName: `Monkey${i}` }, { withInvoices: false });
      seedSubject(fakes, { email, userId, firstName: 'Chaos', lastName: `Monkey${i}`, company: 'Entropy Ltd' });
      people.push({ email, userId, type: i % 2 ? 'access' : 'erasure' });
    }
    const ids: string[] = [];
    for (const p of people) ids.push(await submitVerified(h, p.type, p.email));
    // Mid-run, every OAuth token the vendors issued expires.
    await waitFor(async () => (await h.prisma.dsarTask.count({ where: { requestId: { in: ids }, status: 'done' } })) >= 10, 60_000, 'some progress');
    fakes.auth0.expireTokens();
    fakes.hotjar.expireTokens();
    fakes.pardot.expireTokens();

    // Every request answered; what remains is the officers' part (Hotjar's report, Pardot's recycle bin).
    await waitFor(async () => (await h.prisma.dsarRequest.count({ where: { id: { in: ids }, status: 'awaiting_action' } })) === ids.length, 150_000, 'every request answered').catch(async (err) => {
      const left = await h.prisma.dsarRequest.findMany({ where: { id: { in: ids }, status: { not: 'awaiting_action' } }, include: { tasks: { where: { status: { not: 'done' } }, select: { system: true, status: true, attempts: true, lastError: true } } } });
      throw new Error(`${(err as Error).message}: ${JSON.stringify(left.map((r) => ({ status: r.status, tasks: r.tasks })))}`);
    });

    // The faults really happened, and none of them was a limit we exceeded.
    const injected = fakes.all.reduce((n, f) => n + f.log.filter((l) => l.status === 500).length, 0);
    expect(injected).toBeGreaterThan(5);
    expect(fakes.all.reduce((n, f) => n + f.rateLimited, 0)).toBeGreaterThan(3);
    for (const f of fakes.all) expect({ vendor: f.name, limitExceeded: f.limitExceeded }).toEqual({ vendor: f.name, limitExceeded: 0 });

    // Every task ended once, with the right outcome.
    const tasks = await h.prisma.dsarTask.findMany({ where: { requestId: { in: ids } }, include: { request: { select: { type: true } } } });
    for (const t of tasks) {
      const erasure: Record<string, string> = {
        'product-db': 'retained', auth0: 'retained', intercom: 'restorable', pardot: 'action_required', 'inline-manual': 'erased',
        amplitude: 'scheduled', sendgrid: 'scheduled', hotjar: 'scheduled', 'azure-app-insights': 'scheduled',
      };
      const expected = t.request.type === 'access' ? (t.system === 'hotjar' ? 'action_required' : 'found') : erasure[t.system];
      expect({ system: t.system, type: t.request.type, status: t.status, outcome: t.outcome }).toEqual({ system: t.system, type: t.request.type, status: 'done', outcome: expected });
    }
    const ended = await h.prisma.auditEvent.groupBy({ by: ['taskId'], where: { requestId: { in: ids }, action: 'task_ended' }, _count: { _all: true } });
    expect(ended.every((e) => e._count._all === 1)).toBe(true);
    expect(ended).toHaveLength(tasks.length);

    // Officers finish their part; erased subjects then leave no trace; access subjects got a report
    // with every vendor's records.
    fakes.all.forEach((f) => f.chaos());
    vendorSchedulesRun(fakes);
    pardotRecycleBinEmptied(fakes);
    for (const id of ids) expect(await completeOpenActions(h, id)).toBe(1);
    await waitFor(async () => (await h.prisma.dsarRequest.count({ where: { id: { in: ids }, status: 'completed' } })) === ids.length, 60_000, 'every request completed');
    for (const p of people.filter((x) => x.type === 'erasure')) expect(traces(fakes, p.email, p.userId)).toEqual(NOTHING);
    for (const p of people.filter((x) => x.type === 'access')) {
      const mail = await h.smtp.waitFor(p.email, (m) => m.subject === 'Your personal data: access report');
      const link = /http:\/\/dsar\.test\.local(\/v1\/reports\/[0-9a-f-]{36})\?token=([A-Za-z0-9_-]+)/.exec(mail.text)!;
      const report = (await (await fetch(`${h.baseUrl}${link[1]}/report.json?token=${link[2]}`)).json()) as { systems: { label: string; records?: unknown[] }[] };
      for (const v of ['Auth0', 'Amplitude', 'Intercom', 'SendGrid']) expect(report.systems.find((s) => s.label === v)?.records?.length).toBeGreaterThan(0);
    }
  }, 240_000);
});
