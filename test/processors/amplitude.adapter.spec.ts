import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { startVendorFakes, type VendorFakes } from '../../src/demo/fakes/index.js';
import { AmplitudeAdapter } from '../../src/processors/amplitude/amplitude.adapter.js';
import { loadVendorConfig } from '../../src/processors/vendor-config.js';
import { failure, firstIndex, makeCtx, retryCtx } from './support.js';

const SUBJECT = { email: 'jane.doe@example.com', userId: 'u-1' };
let fakes: VendorFakes;
let adapter: AmplitudeAdapter;

beforeAll(async () => {
  fakes = await startVendorFakes();
  adapter = new AmplitudeAdapter(loadVendorConfig({ ...fakes.env, AMPLITUDE_REQUESTER: 'dpo@acme.test' }).amplitude, 3000);
});
afterAll(() => fakes.stop());
beforeEach(() => fakes.reset());

function seed() {
  const events = Array.from({ length: 1200 }, (_, i) => ({ event_type: 'project_opened', event_time: `2026-01-01 00:${String(Math.floor(i / 60)).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}`, ip_address: '203.0.113.7' }));
  const a = fakes.amplitude.addUser({ user_id: 'u-1', userData: { os: 'Linux', device_type: 'Desktop', country: 'Portugal', properties: { business_type: 'Agency' } }, events });
  const b = fakes.amplitude.addUser({ user_id: 'u-1', events: [] }); // a second Amplitude id (other device)
  fakes.amplitude.addUser({ user_id: 'u-10', events: [] }); // prefix match of "u-1": not the subject
  return [a.amplitude_id, b.amplitude_id];
}

describe('Amplitude adapter', () => {
  test('access looks up by the product user id, keeps exact matches and pages activity', async () => {
    const [a, b] = seed();
    const res = await adapter.access(makeCtx(SUBJECT).ctx);
    expect(res.outcome).toBe('found');
    expect((res.records as { match: { amplitude_id: number } }[]).map((r) => r.match.amplitude_id)).toEqual([a, b]);
    expect(fakes.amplitude.requests('GET', '/api/2/useractivity')).toHaveLength(3); // 1000 + 200 events, then the second id
    const activity = res.items.find((i) => i.item === 'activity');
    expect((activity!.value as unknown[]).length).toBe(1200);
    expect(res.items.find((i) => i.item === 'business_type')!.value).toBe('Agency');
    expect(res.items.find((i) => i.item === 'device_type')!.value).toBe('Desktop');
  });

  test('falls back to the e-mail as user id; nomatch → not_found', async () => {
    seed();
    expect((await adapter.access(makeCtx({ email: SUBJECT.email }).ctx)).outcome).toBe('not_found');
    expect(fakes.amplitude.log.at(-1)!.status).toBe(200);
    fakes.amplitude.addUser({ user_id: SUBJECT.email });
    expect((await adapter.access(makeCtx({ email: SUBJECT.email }).ctx)).outcome).toBe('found');
    expect((await adapter.erase(makeCtx({ email: 'nobody@example.com' }).ctx)).outcome).toBe('not_found');
  });

  test('erase schedules a staging job after saving refs; data stays until the job runs; a retry records the same job', async () => {
    const ids = seed();
    const first = makeCtx(SUBJECT, fakes.amplitude);
    const r1 = await adapter.erase(first.ctx);
    const job = [...fakes.amplitude.jobs.values()][0]!;
    expect(r1.outcome).toBe('scheduled');
    expect(r1.vendorJob).toEqual({ id: job.day, expectedBy: job.day, status: 'staging' });
    expect(job.amplitude_ids.map((x) => [x.amplitude_id, x.requester])).toEqual(ids.map((id) => [id, 'dpo@acme.test']));
    expect(first.saved.amplitudeIds).toEqual(ids);
    expect(first.savedAtLogLength[0]).toBeLessThanOrEqual(firstIndex(fakes.amplitude, 'POST', '/api/2/deletions/users'));
    expect(fakes.amplitude.users.has(ids[0]!)).toBe(true); // scheduled, not yet done

    const r2 = await adapter.erase(retryCtx(first, fakes.amplitude).ctx);
    expect(r2).toEqual(r1);
    expect(job.amplitude_ids).toHaveLength(2);

    expect(fakes.amplitude.runDeletionJobs()).toBe(2);
    expect(fakes.amplitude.users.has(ids[0]!)).toBe(false);
    // After the job ran, a retry with the saved ids still succeeds thanks to ignore_invalid_id.
    const r3 = await adapter.erase(retryCtx(first, fakes.amplitude).ctx);
    expect(r3.outcome).toBe('scheduled');
  });

  test('the array form of the deletion answer is understood', async () => {
    seed();
    fakes.amplitude.deletionResponseAsArray = true;
    try {
      expect((await adapter.erase(makeCtx(SUBJECT).ctx)).vendorJob?.status).toBe('staging');
    } finally {
      fakes.amplitude.deletionResponseAsArray = false;
    }
  });

  test('wrong secret key → auth; 429 without headers backs off, then rate_limited', async () => {
    const bad = new AmplitudeAdapter({ ...loadVendorConfig(fakes.env).amplitude, secretKey: 'nope' }, 3000);
    expect((await failure(bad.access(makeCtx(SUBJECT).ctx))).kind).toBe('auth');

    seed();
    fakes.amplitude.rateLimitNext(2);
    expect((await adapter.access(makeCtx(SUBJECT).ctx)).outcome).toBe('found');
    fakes.amplitude.rateLimitNext(3);
    const err = await failure(adapter.access(makeCtx(SUBJECT).ctx));
    expect(err.kind).toBe('rate_limited');
    expect(err.retryAfterMs).toBeUndefined(); // Amplitude says nothing; the job layer picks the wait
    expect(fakes.amplitude.rateLimited).toBe(5);

    fakes.amplitude.failNext(3, 503);
    expect((await failure(adapter.erase(makeCtx(SUBJECT).ctx))).kind).toBe('transient');
  });
});
