// The Amplitude fake over plain HTTP: each strict behaviour refuses what Amplitude refuses
// (vendors.md §3, §8, §10).
import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { AmplitudeFake, startVendorFakes, type VendorFakes } from '../../src/demo/fakes/index.js';
import { call, jsonBody } from './fake-http.js';

let fakes: VendorFakes;
beforeAll(async () => {
  fakes = await startVendorFakes();
});
afterAll(() => fakes.stop());
beforeEach(() => fakes.reset());

const amp = () => fakes.amplitude;
const auth = () => ({ authorization: `Basic ${Buffer.from(`${amp().apiKey}:${amp().secretKey}`).toString('base64')}` });
const get = (path: string) => call(`${amp().url}${path}`, { headers: auth() });
const requestDeletion = (body: unknown) => call(`${amp().url}/api/2/deletions/users`, jsonBody('POST', body, auth()));
const jobs = (start: string, end: string) => get(`/api/2/deletions/users?start_day=${start}&end_day=${end}`);

describe('Amplitude fake: Dashboard REST', () => {
  test('Basic auth with the project key and secret', async () => {
    const wrong = await call(`${amp().url}/api/2/usersearch?user=x`, { headers: { authorization: `Basic ${Buffer.from(`${amp().apiKey}:nope`).toString('base64')}` } });
    expect(wrong.status).toBe(401);
    const bearer = await call(`${amp().url}/api/2/usersearch?user=x`, { headers: { authorization: `Bearer ${amp().secretKey}` } });
    expect(bearer.status).toBe(401);
  });

  test('usersearch: 200 nomatch form, user_id prefixes match, user is required', async () => {
    expect((await get('/api/2/usersearch?user=nobody')).body).toEqual({ type: 'nomatch', matches: [] });
    const a = amp().addUser({ user_id: 'u-1' });
    const b = amp().addUser({ user_id: 'u-10' });
    const found = await get('/api/2/usersearch?user=u-1');
    expect(found.body.type).toBe('match_user_or_device_id');
    expect(found.body.matches.map((m: { amplitude_id: number }) => m.amplitude_id)).toEqual([a.amplitude_id, b.amplitude_id]);
    expect((await get('/api/2/usersearch')).status).toBe(400);
  });

  test('useractivity: Amplitude id only, offset pages of ≤ 1000 from the latest event, direction', async () => {
    const u = amp().addUser({ user_id: 'long-history', events: AmplitudeFake.events(1500) });
    const page1 = await get(`/api/2/useractivity?user=${u.amplitude_id}&offset=0&limit=1000`);
    const page2 = await get(`/api/2/useractivity?user=${u.amplitude_id}&offset=1000&limit=1000`);
    expect([page1.body.events.length, page2.body.events.length, page1.body.userData.num_events]).toEqual([1000, 500, 1500]);
    expect(page1.body.events[0].event_time > page2.body.events[0].event_time).toBe(true);
    const earliest = await get(`/api/2/useractivity?user=${u.amplitude_id}&limit=1&direction=earliest`);
    expect(earliest.body.events[0].event_time).toBe(page2.body.events.at(-1).event_time);
    expect((await get(`/api/2/useractivity?user=${u.amplitude_id}&limit=1001`)).status).toBe(400);
    expect((await get('/api/2/useractivity?user=long-history')).status).toBe(400);
    expect((await get(`/api/2/useractivity?user=${u.amplitude_id}&direction=newest`)).status).toBe(400);
  });
});

describe('Amplitude fake: User Privacy API', () => {
  test('requests are refused without requester, over 100 ids, or as non-JSON', async () => {
    const u = amp().addUser({ user_id: 'u-1' });
    expect((await requestDeletion({ user_ids: ['u-1'] })).status).toBe(400);
    expect((await requestDeletion({ user_ids: Array.from({ length: 101 }, (_, i) => `u-${i}`), requester: 'dpo@x.test', ignore_invalid_id: true })).status).toBe(400);
    const form = await call(`${amp().url}/api/2/deletions/users`, {
      method: 'POST', headers: { ...auth(), 'content-type': 'application/x-www-form-urlencoded' }, body: `amplitude_ids=${u.amplitude_id}&requester=dpo%40x.test`,
    });
    expect(form.status).toBe(400);
    expect(amp().jobs.size).toBe(0);
  });

  test('an unknown id → 400 and nothing scheduled, unless ignore_invalid_id(s); user_id only with include_mapped_user_ids', async () => {
    const u = amp().addUser({ user_id: 'u-1' });
    const refused = await requestDeletion({ amplitude_ids: [u.amplitude_id], user_ids: ['ghost'], requester: 'dpo@x.test' });
    expect(refused.status).toBe(400);
    expect(amp().jobs.size).toBe(0);

    const plain = await requestDeletion({ amplitude_ids: [u.amplitude_id], user_ids: ['ghost'], requester: 'dpo@x.test', ignore_invalid_ids: true });
    expect(plain.status).toBe(200);
    expect(plain.body).toEqual({
      day: amp().today(amp().jobLeadDays), status: 'staging', invalid_ids: ['ghost'],
      amplitude_ids: [{ amplitude_id: u.amplitude_id, requester: 'dpo@x.test', requested_on_day: amp().today() }],
    });
    // Asked again, now wanting the mapping: the user is not added a second time.
    const mapped = await requestDeletion({ user_ids: ['u-1'], requester: 'dpo@x.test', include_mapped_user_ids: true });
    expect(mapped.body.amplitude_ids).toEqual([{ amplitude_id: u.amplitude_id, requester: 'dpo@x.test', requested_on_day: amp().today(), user_id: 'u-1' }]);
    expect([...amp().jobs.values()].flatMap((j) => j.amplitude_ids)).toHaveLength(1);
  });

  test('delete_from_org ignores invalid ids and answers an array with app; the array form is an option', async () => {
    const u = amp().addUser({ user_id: 'u-1' });
    const org = await requestDeletion({ user_ids: ['u-1', 'ghost'], requester: 'dpo@x.test', delete_from_org: true });
    expect(org.status).toBe(200);
    expect(Array.isArray(org.body)).toBe(true);
    expect([org.body[0].app, org.body[0].invalid_ids, org.body[0].amplitude_ids[0].amplitude_id]).toEqual([amp().appId, ['ghost'], u.amplitude_id]);
    amp().deletionResponseAsArray = true;
    try {
      amp().addUser({ user_id: 'u-2' });
      const arr = await requestDeletion({ user_ids: ['u-2'], requester: 'dpo@x.test' });
      expect(Array.isArray(arr.body)).toBe(true);
    } finally {
      amp().deletionResponseAsArray = false;
    }
  });

  test('job listing needs start_day and end_day (YYYY-MM-DD, ≤ 6 months); a job can sit up to 30 days out', async () => {
    const u = amp().addUser({ user_id: 'u-1' });
    await requestDeletion({ amplitude_ids: [u.amplitude_id], requester: 'dpo@x.test' });
    const today = amp().today();
    expect((await get('/api/2/deletions/users')).status).toBe(400);
    expect((await get(`/api/2/deletions/users?start_day=${today}`)).status).toBe(400);
    expect((await jobs(today.replaceAll('-', '/'), amp().today(30))).status).toBe(400);
    expect((await jobs(amp().today(30), today)).status).toBe(400);
    expect((await jobs(today, amp().today(200))).status).toBe(400);
    // A week's window misses the job (lead time 25 days); request day → +30 finds it.
    expect((await jobs(today, amp().today(7))).body).toEqual([]);
    const month = await jobs(today, amp().today(30));
    expect(month.body.map((j: { day: string; status: string }) => [j.day, j.status])).toEqual([[amp().today(amp().jobLeadDays), 'staging']]);
  });

  test('staging → submitted → scrub (users gone) → done; cancelling works only while staging', async () => {
    const a = amp().addUser({ user_id: 'u-1' });
    const b = amp().addUser({ user_id: 'u-2' });
    const job = await requestDeletion({ amplitude_ids: [a.amplitude_id, b.amplitude_id], requester: 'dpo@x.test' });
    const day: string = job.body.day;
    const cancel = await call(`${amp().url}/api/2/deletions/users/${b.amplitude_id}/${day}`, { method: 'DELETE', headers: auth() });
    expect([cancel.status, cancel.body.amplitude_id]).toEqual([200, b.amplitude_id]);

    amp().advanceDays(amp().jobLeadDays - 3);
    const list = () => jobs(amp().today(-40), amp().today(40));
    expect((await list()).body[0].status).toBe('submitted');
    const late = await call(`${amp().url}/api/2/deletions/users/${a.amplitude_id}/${day}`, { method: 'DELETE', headers: auth() });
    expect(late.status).toBe(400);
    expect(amp().users.has(a.amplitude_id)).toBe(true);

    amp().advanceDays(3);
    expect([amp().users.has(a.amplitude_id), amp().users.has(b.amplitude_id)]).toEqual([false, true]);
    expect((await list()).body[0]).toMatchObject({ status: 'submitted', active_scrub_done_date: day });
    amp().advanceDays(5);
    expect((await list()).body[0].status).toBe('done');
    // Asked again after the scrub: the id is unknown now.
    expect((await requestDeletion({ amplitude_ids: [a.amplitude_id], requester: 'dpo@x.test' })).status).toBe(400);
  });

  test('runDeletionJobs runs everything at once (for tests that do not walk the calendar)', async () => {
    const u = amp().addUser({ user_id: 'u-1' });
    await requestDeletion({ amplitude_ids: [u.amplitude_id], requester: 'dpo@x.test' });
    expect(amp().runDeletionJobs()).toBe(1);
    expect([...amp().jobs.values()].map((j) => j.status)).toEqual(['done']);
  });

  test('two rate-limit groups: a deletions limit leaves usersearch alone; 429 has no rate-limit headers', async () => {
    const u = amp().addUser({ user_id: 'u-1' });
    amp().setRateLimit({ perSecond: 1 }, 'deletions').setRateLimit({ perHour: 3 }, 'dashboard');
    expect((await requestDeletion({ amplitude_ids: [u.amplitude_id], requester: 'dpo@x.test' })).status).toBe(200);
    const limited = await requestDeletion({ amplitude_ids: [u.amplitude_id], requester: 'dpo@x.test' });
    expect(limited.status).toBe(429);
    expect([...limited.headers.keys()].filter((k) => /ratelimit|retry-after/i.test(k))).toEqual([]);
    expect((await get('/api/2/usersearch?user=u-1')).status).toBe(200);
    expect((await get('/api/2/deletions/users?start_day=2026-01-01&end_day=2026-01-02')).status).toBe(429);
    expect((await get('/api/2/usersearch?user=u-1')).status).toBe(200);
    expect((await get(`/api/2/useractivity?user=${u.amplitude_id}`)).status).toBe(200);
    expect((await get('/api/2/usersearch?user=u-1')).status).toBe(429);
    expect(amp().limitExceeded).toBe(3);
  });
});
