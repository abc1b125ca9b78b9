// Amplitude against its strict fake (vendors.md §3, §10): usersearch + useractivity for access
// (exact user_id matches, pages of ≤ 1000, a cap reported as truncated), the User Privacy API for
// erasure (by user id, never usersearch, mapped answers, batched at 1 request/s), job checks over
// request day → +30 days.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { AMPLITUDE_LIMITS, AmplitudeFake, startVendorFakes, type VendorFakes } from '../../src/demo/fakes/index.js';
import { AmplitudeAdapter, partFor } from '../../src/processors/amplitude/amplitude.adapter.js';
import { DEFAULT_LIMITS, HEADROOM, limitRulesFromEnv, parseLimit, VendorLimiter, type VendorGate } from '../../src/processors/http/vendor-limiter.js';
import { loadVendorConfig } from '../../src/processors/vendor-config.js';
import { TEST_REDIS_URL } from '../support/env.js';
import { failure, makeCtx, retryCtx } from './support.js';

const SUBJECT = { email: 'jane.doe@example.com', userId: 'u-1' };
const REQUESTER = 'dpo@acme.test';
let fakes: VendorFakes;
let adapter: AmplitudeAdapter;
const redis: Redis[] = [];

const cfg = (env: Record<string, string> = {}) => loadVendorConfig({ ...fakes.env, AMPLITUDE_REQUESTER: REQUESTER, ...env }).amplitude;
const amp = () => fakes.amplitude;
const calls = (method: string, path: string) => amp().calls.filter((c) => c.method === method && c.path === path);
const activityQueries = () => calls('GET', '/api/2/useractivity').map((c) => {
  const q = new URLSearchParams(c.query);
  return [Number(q.get('user')), Number(q.get('offset')), Number(q.get('limit'))];
});
const deletionBodies = () => calls('POST', '/api/2/deletions/users').map((c) => c.body as { user_ids: string[] });
const day = (plus: number) => new Date(Date.now() + plus * 86_400_000).toISOString().slice(0, 10);

/** A gate from the real shared limiter (Redis), with the default (documented) Amplitude rules. */
function limiterGate(): VendorGate {
  const r = new Redis(TEST_REDIS_URL);
  redis.push(r);
  return new VendorLimiter(r, { prefix: `test-amp-${randomUUID().slice(0, 8)}`, rules: limitRulesFromEnv({}), maxWaitMs: 10_000 }).gate('amplitude');
}

beforeAll(async () => {
  fakes = await startVendorFakes();
  adapter = new AmplitudeAdapter(cfg(), 3000);
});
afterAll(async () => {
  await Promise.all(redis.map((r) => r.quit()));
  await fakes.stop();
});
beforeEach(() => fakes.reset());

/** Runs `fn` with the fake scheduling jobs `lead` days out and answering with arrays, then restores it. */
async function withJobs<T>(o: { lead: number; asArray: boolean }, fn: () => Promise<T>): Promise<T> {
  const [lead, asArray] = [amp().jobLeadDays, amp().deletionResponseAsArray];
  amp().jobLeadDays = o.lead;
  amp().deletionResponseAsArray = o.asArray;
  try {
    return await fn();
  } finally {
    amp().jobLeadDays = lead;
    amp().deletionResponseAsArray = asArray;
  }
}

function seed() {
  const events = Array.from({ length: 1200 }, (_, i) => ({ event_type: 'project_opened', event_time: `2026-01-01 00:${String(Math.floor(i / 60)).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}`, ip_address: '203.0.113.7' }));
  const a = amp().addUser({ user_id: 'u-1', userData: { os: 'Linux', device_type: 'Desktop', country: 'Portugal', properties: { business_type: 'Agency' } }, events });
  const b = amp().addUser({ user_id: 'u-1', events: [] }); // a second Amplitude id (other device)
  const c = amp().addUser({ user_id: 'u-10', events: [] }); // prefix match of "u-1": not the subject
  return { a: a.amplitude_id, b: b.amplitude_id, c: c.amplitude_id };
}

describe('Amplitude access', () => {
  test('usersearch by the product user id keeps exact matches; each id is read in pages until num_events', async () => {
    const { a, b } = seed();
    const t = makeCtx(SUBJECT, amp());
    const res = await adapter.access(t.ctx);
    expect(res.outcome).toBe('found');
    expect(res.truncated).toBeUndefined();
    expect((res.records as { amplitudeId: number }[]).map((r) => r.amplitudeId)).toEqual([a, b]);
    expect(calls('GET', '/api/2/usersearch').map((c) => c.query)).toEqual([[['user', 'u-1']]]);
    expect(activityQueries()).toEqual([[a, 0, 1000], [a, 1000, 1000], [b, 0, 1000]]);
    expect((res.items.find((i) => i.item === 'activity')!.value as unknown[]).length).toBe(1200);
    expect(res.items.find((i) => i.item === 'ip_address')).toEqual({ item: 'ip_address', value: ['203.0.113.7'], where: `Amplitude user ${a} (events)` });
    expect(res.items.find((i) => i.item === 'business_type')!.value).toBe('Agency');
    expect(res.items.find((i) => i.item === 'device_type')!.value).toBe('Desktop');
    expect(t.saved).toEqual({ amplitudeSearchDone: true, amplitudeIds: [a, b] });
    expect(amp().log.every((r) => r.status === 200)).toBe(true);

    // Exactly one page's worth: num_events says there is nothing more, so no empty second call.
    amp().reset();
    const exact = amp().addUser({ user_id: 'u-1', events: AmplitudeFake.events(1000) });
    await adapter.access(makeCtx(SUBJECT).ctx);
    expect(activityQueries()).toEqual([[exact.amplitude_id, 0, 1000]]);
  });

  test('more events than AMPLITUDE_MAX_EVENTS: the most recent are read up to the cap and the rest is reported as truncated', async () => {
    expect(cfg().maxEvents).toBe(20000);
    const u = amp().addUser({ user_id: 'u-1', events: AmplitudeFake.events(2600) });
    const capped = new AmplitudeAdapter(cfg({ AMPLITUDE_MAX_EVENTS: '1500' }), 3000);
    const res = await capped.access(makeCtx(SUBJECT).ctx);
    expect(res.outcome).toBe('found');
    expect(activityQueries()).toEqual([[u.amplitude_id, 0, 1000], [u.amplitude_id, 1000, 500]]);
    expect(res.truncated).toEqual({
      what: `Amplitude event history: Amplitude id ${u.amplitude_id}, 1500 of 2600 events`,
      read: 1500,
      reason: expect.stringMatching(/^At most 1500 events are read per Amplitude id \(AMPLITUDE_MAX_EVENTS\), the most recent first; the older ones are not in this report\./),
    });
    const activity = res.items.find((i) => i.item === 'activity')!.value as { event_time: string }[];
    expect(activity).toHaveLength(1500);
    expect(activity[0]!.event_time).toBe(AmplitudeFake.events(2600)[0]!.event_time);
    expect(() => loadVendorConfig({ AMPLITUDE_MAX_EVENTS: 'many' })).toThrow('AMPLITUDE_MAX_EVENTS');
  });

  test('a re-run after a rate-limit stop does not repeat usersearch; a saved id Amplitude no longer knows makes it search again', async () => {
    const { a, b } = seed();
    amp().setRateLimit({ perHour: 2 }, 'dashboard'); // usersearch + one activity page, then 429
    const first = makeCtx(SUBJECT, amp());
    const err = await failure(adapter.access(first.ctx));
    expect(err.kind).toBe('rate_limited');
    expect(first.saved).toEqual({ amplitudeSearchDone: true, amplitudeIds: [a, b] });

    amp().setRateLimit({}, 'dashboard');
    const second = retryCtx(first, amp());
    const before = calls('GET', '/api/2/usersearch').length;
    expect((await adapter.access(second.ctx)).outcome).toBe('found');
    expect(calls('GET', '/api/2/usersearch')).toHaveLength(before);

    // b was merged away meanwhile: useractivity refuses it, so the saved search is not trusted.
    amp().users.delete(b);
    const res = await adapter.access(retryCtx(first, amp()).ctx);
    expect(calls('GET', '/api/2/usersearch')).toHaveLength(before + 1);
    expect((res.records as { amplitudeId: number }[]).map((r) => r.amplitudeId)).toEqual([a]);
  });

  test('the e-mail is the user id when the product holds no account; nomatch → not_found', async () => {
    seed();
    const none = await adapter.access(makeCtx({ email: SUBJECT.email }).ctx);
    expect(none).toEqual({ outcome: 'not_found', items: [], records: [], note: expect.stringContaining('looked up as a user id') });
    expect(calls('GET', '/api/2/usersearch').map((c) => c.query)).toEqual([[['user', SUBJECT.email]]]);
    amp().addUser({ user_id: SUBJECT.email });
    expect((await adapter.access(makeCtx({ email: SUBJECT.email }).ctx)).outcome).toBe('found');
  });

  test('wrong secret key → auth; a 429 without headers is retried, then rate_limited with no wait; 5xx → transient', async () => {
    const bad = new AmplitudeAdapter({ ...cfg(), secretKey: 'nope' }, 3000);
    expect((await failure(bad.access(makeCtx(SUBJECT).ctx))).kind).toBe('auth');
    seed();
    amp().rateLimitNext(2);
    expect((await adapter.access(makeCtx(SUBJECT).ctx)).outcome).toBe('found');
    amp().rateLimitNext(3);
    const err = await failure(adapter.access(makeCtx(SUBJECT).ctx));
    expect([err.kind, err.retryAfterMs]).toEqual(['rate_limited', undefined]); // Amplitude says nothing; the job layer picks the wait
    amp().failNext(3, 503);
    expect((await failure(adapter.erase(makeCtx(SUBJECT).ctx))).kind).toBe('transient');
    expect(amp().jobs.size).toBe(0);
  });
});

describe('Amplitude erasure', () => {
  test('one deletion request by user id, never usersearch: the ids come from the mapped answer, the data stays until the job runs, a retry does not ask again', async () => {
    const { a, b, c } = seed();
    const first = makeCtx(SUBJECT, amp());
    const r1 = await adapter.erase(first.ctx);
    const jobDay = amp().today(amp().jobLeadDays);
    expect(r1).toEqual({
      outcome: 'scheduled',
      actions: [{ what: `Amplitude user profile and event history (Amplitude id(s) ${a}, ${b})`, count: 2, how: 'requested' }],
      retained: [],
      vendorJob: { id: jobDay, expectedBy: jobDay, status: 'staging' },
      remains: expect.stringContaining(`stays until its deletion job runs on ${jobDay}`),
      note: expect.stringContaining("Amplitude's User Privacy API"),
    });
    expect(deletionBodies()).toEqual([{ user_ids: ['u-1'], requester: REQUESTER, ignore_invalid_id: true, ignore_invalid_ids: true, include_mapped_user_ids: true }]);
    expect(amp().requests('GET', '/api/2/usersearch')).toHaveLength(0);
    expect([...amp().jobs.values()].flatMap((j) => j.amplitude_ids.map((x) => [x.amplitude_id, x.requester]))).toEqual([[a, REQUESTER], [b, REQUESTER]]);
    expect(first.saved).toEqual({ amplitudeIds: [a, b], amplitudeJobDays: [jobDay], amplitudeJobStatus: ['staging'] });
    expect([a, b, c].map((id) => amp().users.has(id))).toEqual([true, true, true]); // scheduled, not done

    const r2 = await adapter.erase(retryCtx(first, amp()).ctx);
    expect(r2).toEqual(r1);
    expect(deletionBodies()).toHaveLength(1); // every request e-mails Amplitude's admins: not repeated

    // Another request for the same person while the job is staging: Amplitude answers with that job.
    const again = await adapter.erase(makeCtx(SUBJECT).ctx);
    expect([again.outcome, again.vendorJob]).toEqual(['scheduled', r1.vendorJob]);
    expect([...amp().jobs.values()].flatMap((j) => j.amplitude_ids)).toHaveLength(2);
  });

  test('an unknown user id → not_found and nothing scheduled; the e-mail is the user id without an account', async () => {
    seed();
    const t = makeCtx({ email: 'nobody@example.com' }, amp());
    expect(await adapter.erase(t.ctx)).toEqual({ outcome: 'not_found', actions: [], retained: [], note: expect.stringContaining('listed it as invalid') });
    expect(deletionBodies().map((b) => b.user_ids)).toEqual([['nobody@example.com']]);
    expect(amp().jobs.size).toBe(0);
    expect(t.saved).toEqual({});
    const u = amp().addUser({ user_id: SUBJECT.email });
    const t2 = makeCtx({ email: SUBJECT.email });
    expect((await adapter.erase(t2.ctx)).outcome).toBe('scheduled');
    expect(t2.saved.amplitudeIds).toEqual([u.amplitude_id]);
  });

  test('an array answer with the subject in two jobs: every id and day is kept, the job is expected by the later day', async () => {
    const { a, b } = seed();
    await adapter.erase(makeCtx(SUBJECT).ctx); // a and b wait in a staging job 25 days out
    const d = amp().addUser({ user_id: 'u-1' }).amplitude_id; // a new device since
    const t = makeCtx(SUBJECT);
    const r = await withJobs({ lead: 10, asArray: true }, () => adapter.erase(t.ctx));
    const [early, late] = [amp().today(10), amp().today(25)];
    expect(r.vendorJob).toEqual({ id: `${early},${late}`, expectedBy: late, status: 'staging' });
    expect(r.actions[0]!.count).toBe(3);
    expect([...(t.saved.amplitudeIds as number[])].sort()).toEqual([a, b, d].sort());
  });

  test('checkErasure lists jobs from the request day to 30 days later and is done only when every id sits in a done job', async () => {
    const { a, b } = seed();
    const t = makeCtx(SUBJECT, amp());
    const r = await adapter.erase(t.ctx);
    const check = () => adapter.checkErasure(retryCtx(t).ctx, r.vendorJob!);
    expect(await check()).toEqual({ state: 'pending', status: 'staging' });
    expect(calls('GET', '/api/2/deletions/users').map((c) => c.query)).toEqual([[['start_day', day(0)], ['end_day', day(30)]]]);

    amp().advanceDays(amp().jobLeadDays - 3);
    expect(await check()).toEqual({ state: 'pending', status: 'submitted' });
    amp().advanceDays(3); // the scrub: data gone, job not done for another 5 days (backups)
    expect([amp().users.has(a), amp().users.has(b)]).toEqual([false, false]);
    expect(await check()).toEqual({ state: 'pending', status: `submitted (data removed ${r.vendorJob!.id})` });
    amp().advanceDays(5);
    const done = await check();
    expect(done).toEqual({
      state: 'done',
      status: 'done',
      finalResult: {
        outcome: 'erased',
        actions: [{ what: `Amplitude user profile and event history (Amplitude id(s) ${a}, ${b})`, count: 2, how: 'deleted' }],
        retained: [],
        vendorJob: { id: r.vendorJob!.id, expectedBy: r.vendorJob!.expectedBy, status: 'done' },
        note: expect.stringContaining('done'),
      },
    });
    // Still within the window Amplitude may use: the query did not move with the calendar.
    expect(calls('GET', '/api/2/deletions/users').every((c) => c.query[0]![1] === day(0) && c.query[1]![1] === day(30))).toBe(true);
  });

  test('checkErasure: one id done, another still staging → pending', async () => {
    amp().addUser({ user_id: 'u-1' });
    await adapter.erase(makeCtx(SUBJECT).ctx); // the first id waits in a job 25 days out
    amp().addUser({ user_id: 'u-1' });
    const t = makeCtx(SUBJECT);
    const r = await withJobs({ lead: 10, asArray: true }, () => adapter.erase(t.ctx)); // the second id: 10 days out
    expect(amp().runDeletionJobs(amp().today(10))).toBe(1);
    expect(await adapter.checkErasure(retryCtx(t).ctx, r.vendorJob!)).toEqual({ state: 'pending', status: 'staging, done' });
    amp().runDeletionJobs();
    expect((await adapter.checkErasure(retryCtx(t).ctx, r.vendorJob!)).state).toBe('done');
  });
});

describe('Amplitude batched deletions', () => {
  test('250 erasures at once → 3 requests of ≤ 100 user ids at 1/s under the documented limits; each task gets its own ids; unknown users affect no one', async () => {
    amp().enforceDocumentedLimits();
    const batched = new AmplitudeAdapter(cfg(), 5000, limiterGate());
    const subjects = Array.from({ length: 250 }, (_, i) => ({ email: `s${i}@example.com`, userId: i % 12 === 5 ? `ghost-${i}` : `batch-${i}` }));
    const known = new Map(subjects.filter((s) => !s.userId.startsWith('ghost')).map((s) => [s.userId, amp().addUser({ user_id: s.userId }).amplitude_id]));
    const tasks = subjects.map((s) => makeCtx(s));
    const started = Date.now();
    const results = await Promise.all(tasks.map((t) => batched.erase(t.ctx)));
    const seconds = (Date.now() - started) / 1000;

    const bodies = deletionBodies();
    expect(bodies.map((b) => b.user_ids.length)).toEqual([100, 100, 50]);
    expect(bodies.flatMap((b) => b.user_ids).sort()).toEqual(subjects.map((s) => s.userId).sort());
    expect(batched.deletions.stats).toEqual({ requests: 3, ids: 250, recentSizes: [100, 100, 50] });
    expect(amp().rateLimited).toBe(0);
    const posts = calls('POST', '/api/2/deletions/users').map((c) => c.at);
    expect(posts[1]! - posts[0]!).toBeGreaterThanOrEqual(1000);
    expect(posts[2]! - posts[1]!).toBeGreaterThanOrEqual(1000);
    expect(seconds).toBeLessThan(10);

    subjects.forEach((s, i) => {
      const id = known.get(s.userId);
      if (id === undefined) {
        expect([s.userId, results[i]!.outcome]).toEqual([s.userId, 'not_found']);
        expect(tasks[i]!.saved).toEqual({});
      } else {
        expect([s.userId, results[i]!.outcome, results[i]!.actions[0]!.count]).toEqual([s.userId, 'scheduled', 1]);
        expect(tasks[i]!.saved.amplitudeIds).toEqual([id]);
      }
    });
    expect([...amp().jobs.values()].flatMap((j) => j.amplitude_ids.map((x) => x.amplitude_id)).sort()).toEqual([...known.values()].sort());
  });

  test('tasks arriving while a request waits for its rate-limit slot go out in that request', async () => {
    amp().enforceDocumentedLimits();
    const batched = new AmplitudeAdapter(cfg(), 5000, limiterGate());
    const ids = Array.from({ length: 21 }, (_, i) => `late-${i}`);
    for (const id of ids) amp().addUser({ user_id: id });
    const erase = (id: string) => batched.erase(makeCtx({ email: `${id}@example.com`, userId: id }).ctx);
    const first = erase(ids[0]!); // goes out at once
    await new Promise((r) => setTimeout(r, 200));
    const early = ids.slice(1, 11).map(erase); // starts the next request, which waits ~1.07 s for its slot
    await new Promise((r) => setTimeout(r, 400));
    const late = ids.slice(11).map(erase); // joins it
    const results = await Promise.all([first, ...early, ...late]);
    expect(results.every((r) => r.outcome === 'scheduled')).toBe(true);
    expect(deletionBodies().map((b) => b.user_ids)).toEqual([[ids[0]], ids.slice(1)]);
    expect(amp().rateLimited).toBe(0);
  });

  test('two tasks for one user share an id; an aborted task leaves the batch; a retried request keeps its batch', async () => {
    for (const id of ['x-1', 'x-2', 'x-3']) amp().addUser({ user_id: id });
    const plain = new AmplitudeAdapter(cfg(), 5000); // no limiter: same-tick arrivals still share a request
    const [r1, r2] = await Promise.all([plain.erase(makeCtx({ email: 'x@example.com', userId: 'x-1' }).ctx), plain.erase(makeCtx({ email: 'x@example.com', userId: 'x-1' }).ctx)]);
    expect(deletionBodies().map((b) => b.user_ids)).toEqual([['x-1']]);
    expect(r2).toEqual(r1);

    const gone = new AbortController();
    const leaving = makeCtx({ email: 'y@example.com', userId: 'x-2' });
    leaving.ctx.signal = gone.signal;
    const staying = plain.erase(makeCtx({ email: 'z@example.com', userId: 'x-3' }).ctx);
    const left = failure(plain.erase(leaving.ctx));
    gone.abort();
    amp().failNext(1, 503); // retried by the client with the same body
    expect((await staying).outcome).toBe('scheduled');
    expect((await left).kind).toBe('transient');
    expect(deletionBodies().slice(1).map((b) => b.user_ids)).toEqual([['x-3'], ['x-3']]);
    expect(calls('POST', '/api/2/deletions/users').map((c) => c.status)).toEqual([200, 503, 200]);
  });

  test('a request refused as a whole fails only the tasks it carried', async () => {
    for (const id of ['r-1', 'r-2']) amp().addUser({ user_id: id });
    const plain = new AmplitudeAdapter(cfg(), 5000);
    amp().failNext(1, 400, { error: 'Bad request' });
    const err = await failure(plain.erase(makeCtx({ email: 'r@example.com', userId: 'r-1' }).ctx));
    expect([err.kind, err.status]).toEqual(['permanent', 400]);
    expect((await plain.erase(makeCtx({ email: 'r@example.com', userId: 'r-2' }).ctx)).outcome).toBe('scheduled');
  });

  test('splitting a shared answer: entries map by user_id; without the mapping only a single-user answer can be attributed', () => {
    const jobs = [{ day: '2027-01-30', status: 'staging', amplitude_ids: [{ amplitude_id: 1, user_id: 'a' }, { amplitude_id: 2, user_id: 'b' }, { amplitude_id: 3, user_id: 'a' }], invalid_ids: ['ghost'] }];
    expect(partFor('a', { userIds: ['a', 'b', 'ghost'], jobs })).toEqual({ ids: [1, 3], days: ['2027-01-30'], statuses: ['staging'], invalid: false, unattributed: false });
    expect(partFor('ghost', { userIds: ['a', 'b', 'ghost'], jobs })).toEqual({ ids: [], days: [], statuses: [], invalid: true, unattributed: false });
    const unmapped = [{ day: '2027-01-30', status: 'staging', amplitude_ids: [{ amplitude_id: 1 }, { amplitude_id: 2 }] }];
    expect(partFor('a', { userIds: ['a', 'b'], jobs: unmapped })).toMatchObject({ ids: [], unattributed: true });
    expect(partFor('a', { userIds: ['a'], jobs: unmapped })).toMatchObject({ ids: [1, 2], unattributed: false });
  });
});

describe('Amplitude limits', () => {
  test('dashboard calls use the vendor bucket, the privacy API the deletions bucket; the defaults are the documented limits', async () => {
    const buckets: (string | undefined)[] = [];
    const gate: VendorGate = { acquire: async (bucket) => (buckets.push(bucket), () => undefined), penalize: async () => undefined };
    const recorded = new AmplitudeAdapter(cfg(), 3000, gate);
    seed();
    await recorded.access(makeCtx(SUBJECT).ctx);
    expect(buckets).toEqual([undefined, undefined, undefined, undefined]); // usersearch + 3 activity pages
    buckets.length = 0;
    const t = makeCtx(SUBJECT);
    const r = await recorded.erase(t.ctx);
    await recorded.checkErasure(retryCtx(t).ctx, r.vendorJob!);
    expect(buckets).toEqual(['deletions', 'deletions']);

    const hour = 3_600_000;
    expect(parseLimit(DEFAULT_LIMITS.amplitude!)).toEqual({ text: DEFAULT_LIMITS.amplitude, intervalMs: hour / (AMPLITUDE_LIMITS.dashboard.perHour! * HEADROOM), maxConcurrent: AMPLITUDE_LIMITS.dashboard.maxConcurrent });
    // Deletions: under the documented 1/s with room for a delayed call (never two in one second).
    const deletions = parseLimit(DEFAULT_LIMITS['amplitude:deletions']!)!;
    expect(deletions.maxConcurrent).toBe(AMPLITUDE_LIMITS.deletions.maxConcurrent);
    expect(deletions.intervalMs).toBeGreaterThanOrEqual(1000 / AMPLITUDE_LIMITS.deletions.perSecond! + 250);
  });
});
