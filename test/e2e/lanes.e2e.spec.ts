// Lanes at the vendors' real limits: an access request for a subject present at Amplitude, with the
// Amplitude fake enforcing its documented 360 queries/hour (10 concurrent) and the service on its
// default limits, runs to completion — the task waits for each slot inside its lane, keeps its
// progress, spends one attempt, and no other system waits behind it.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createAccount } from '../../src/db/demo-data.js';
import { seedSubject, startVendorFakes, type VendorFakes } from '../../src/demo/fakes/index.js';
import { startHarness, submitVerified, uniqueEmail, waitForStatus, type Harness } from '../support/harness.js';

// 360 queries an hour, spread evenly: one every 10 s.
const SPACING_MS = 10_000;

let fakes: VendorFakes;
let h: Harness;

beforeAll(async () => {
  fakes = await startVendorFakes();
  fakes.amplitude.enforceDocumentedLimits();
  h = await startHarness({
    env: {
      ...fakes.env,
      // The service's own defaults for Amplitude (the harness otherwise lifts them for speed).
      RATE_LIMIT_AMPLITUDE: '',
      RATE_LIMIT_AMPLITUDE_DELETIONS: '',
    },
  });
});
afterAll(async () => {
  await h?.stop();
  await fakes?.stop();
});

describe("Amplitude's documented limit", () => {
  test('an access request completes at 360 queries/hour: each call waits for its slot, nothing restarts, no 429', async () => {
    const email = uniqueEmail('amp-limit');
    const { userId } = await createAccount(h.prisma, { email, firstName: 'Katherine', lastName: 'Johnson' }, { withInvoices: false });
    // Two Amplitude ids under the user id; the first with 1,200 events (two pages of useractivity).
    seedSubject(fakes, { email, userId, firstName: 'Katherine', lastName: 'Johnson', amplitudeEvents: 1200 });
    const started = Date.now();
    const id = await submitVerified(h, 'access', email);
    const done = await waitForStatus(h, id, ['completed', 'awaiting_action'], 120_000);
    const elapsed = Date.now() - started;

    const calls = fakes.amplitude.calls.filter((c) => c.path === '/api/2/usersearch' || c.path === '/api/2/useractivity');
    // usersearch once, useractivity: two pages for the first id, one for the second.
    expect(calls.map((c) => c.path)).toEqual(['/api/2/usersearch', '/api/2/useractivity', '/api/2/useractivity', '/api/2/useractivity']);
    expect(calls.every((c) => c.status === 200)).toBe(true);
    expect(fakes.amplitude.rateLimited).toBe(0);
    // Never faster than the limit, and not much slower: calls × spacing, within 20 %.
    for (let i = 1; i < calls.length; i++) expect(calls[i]!.at - calls[i - 1]!.at).toBeGreaterThanOrEqual(SPACING_MS - 50);
    expect(elapsed).toBeLessThanOrEqual(1.2 * calls.length * SPACING_MS);

    const tasks = await h.prisma.dsarTask.findMany({ where: { requestId: id } });
    const amp = tasks.find((t) => t.system === 'amplitude')!;
    expect(amp).toMatchObject({ status: 'done', outcome: 'found', attempts: 1, lastError: null });
    // The other systems did not wait behind Amplitude: all of them ended before its second call.
    for (const t of tasks.filter((x) => x.system !== 'amplitude')) {
      expect({ system: t.system, endedBeforeAmplitudesSecondCall: t.finishedAt!.getTime() < calls[1]!.at }).toEqual({ system: t.system, endedBeforeAmplitudesSecondCall: true });
    }
    // The report says what Amplitude holds (events of both ids).
    const report = await h.prisma.accessReport.findUniqueOrThrow({ where: { requestId: id } });
    expect(JSON.stringify(report.content)).toContain('app_opened');
    expect(done.status).toMatch(/completed|awaiting_action/);
  }, 150_000);
});
