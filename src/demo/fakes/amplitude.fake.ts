// Amplitude fake: HTTP Basic with the project's API key:secret key, Dashboard REST usersearch and
// useractivity, and the User Privacy API v1 deletions. Written from vendors.md §0.2, §3, §8 and §10.
// Traps kept:
// - Two rate-limit groups (`limitGroup`): 'dashboard' (usersearch, useractivity: documented
//   360 queries/hour and 10 concurrent) and 'deletions' (1 request/s, 8 in parallel). Nothing is
//   enforced by default: `setRateLimit(limit, group)` or `enforceDocumentedLimits()`. 429 carries no
//   rate-limit headers.
// - usersearch: 200 {type:'nomatch', matches:[]} when nothing matches; `user` matches user_id
//   prefixes (so "u-1" also finds "u-10"), device ids and Amplitude ids.
// - useractivity: `user` is the Amplitude id; offset from the most recent event (or the oldest with
//   direction=earliest), limit ≤ 1000; seeded users can carry thousands of events.
// - POST /api/2/deletions/users: JSON, ≤ 100 ids, requester required; any unknown id → 400 and
//   nothing scheduled unless ignore_invalid_id(s) (or delete_from_org) → invalid_ids; the answer's
//   amplitude_ids[].user_id only with include_mapped_user_ids: true (§10); one object or an array
//   (`deletionResponseAsArray`; delete_from_org answers an array with `app`). Jobs are for a later
//   day (`jobLeadDays`, ≤ 30: a job may run up to 30 days after the request day); a user already in
//   a staging job is not added twice.
// - GET /api/2/deletions/users needs start_day and end_day (YYYY-MM-DD, end ≥ start, ≤ 6 months) and
//   lists the jobs whose day falls in the range. Lifecycle staging → submitted (3 days before the
//   day) → scrub on the day (users removed, active_scrub_done_date) → done 5 days later; driven by
//   the fake's calendar (`advanceDays`) or at once (`submitDeletionJobs`, `runDeletionJobs`).
// - DELETE /api/2/deletions/users/{amplitude_id}/{day} takes a user out of a staging job only.
// UNCONFIRMED choices: error bodies (plain objects with `error`); useractivity limit > 1000 → 400;
// an unknown Amplitude id on useractivity → 400; re-requesting a user already in a staging job
// answers with that job (not a new entry); usersearch is case-sensitive.
import { type FakeRequest, type FakeResponse, FakeVendorServer, type FakeServerOptions, type RateLimitOptions } from './fake-server.js';

export interface AmplitudeFakeEvent {
  event_type: string;
  event_time: string;
  ip_address?: string;
  [k: string]: unknown;
}

export interface AmplitudeFakeUser {
  amplitude_id: number;
  user_id: string | null;
  device_ids?: string[];
  userData?: Record<string, unknown>;
  events?: readonly AmplitudeFakeEvent[];
}

export interface AmplitudeJobEntry {
  amplitude_id: number;
  requester: string;
  requested_on_day: string;
  /** The user id the Amplitude id maps to (answered only with include_mapped_user_ids). */
  user_id: string | null;
}

export interface AmplitudeDeletionJob {
  day: string;
  status: 'staging' | 'submitted' | 'done';
  amplitude_ids: AmplitudeJobEntry[];
  /** Project id, on jobs made by a delete_from_org request. */
  app?: number;
  active_scrub_done_date?: string;
}

export interface AmplitudeFakeOptions extends FakeServerOptions {
  apiKey?: string;
  secretKey?: string;
  /** Days between the request and the scheduled job day (1..30, default 25). */
  jobLeadDays?: number;
  /** Answer deletions with an array of jobs instead of one object. */
  deletionResponseAsArray?: boolean;
  /** This project's id (the `app` of org-wide deletion jobs). */
  appId?: number;
}

/** Documented limits (vendors.md §3). */
export const AMPLITUDE_LIMITS: Record<'dashboard' | 'deletions', RateLimitOptions> = {
  dashboard: { perHour: 360, maxConcurrent: 10 },
  deletions: { perSecond: 1, maxConcurrent: 8 },
};

const DAY_MS = 86_400_000;
const eventCache = new Map<string, readonly AmplitudeFakeEvent[]>();
const bad = (error: string): FakeResponse => ({ status: 400, body: { error } });

export class AmplitudeFake extends FakeVendorServer {
  readonly name = 'amplitude';
  readonly apiKey: string;
  readonly secretKey: string;
  readonly appId: number;
  readonly users = new Map<number, AmplitudeFakeUser>();
  /** Deletion jobs, keyed by day (`day#n` for a later job on a day whose first job left staging). */
  readonly jobs = new Map<string, AmplitudeDeletionJob>();
  deletionResponseAsArray: boolean;
  jobLeadDays: number;
  /** Days the fake's calendar is ahead of the real one (see `advanceDays`). */
  private dayOffset = 0;
  private nextId = 100000000001;

  constructor(opts: AmplitudeFakeOptions = {}) {
    super(opts);
    this.apiKey = opts.apiKey ?? 'fake-amplitude-key';
    this.secretKey = opts.secretKey ?? 'fake-amplitude-secret';
    this.appId = opts.appId ?? 123456;
    this.jobLeadDays = Math.min(30, Math.max(1, opts.jobLeadDays ?? 25));
    this.deletionResponseAsArray = opts.deletionResponseAsArray ?? false;
  }

  // ---- seeding and inspection ----

  addUser(u: Omit<AmplitudeFakeUser, 'amplitude_id'> & { amplitude_id?: number }): AmplitudeFakeUser {
    const user = { device_ids: [], userData: {}, events: [], ...u, amplitude_id: u.amplitude_id ?? this.nextId++ };
    this.nextId = Math.max(this.nextId, user.amplitude_id + 1);
    this.users.set(user.amplitude_id, user);
    return user;
  }

  /**
   * `count` events, one a minute back from now (newest first), for users with long histories. The
   * same frozen array is handed out for the same arguments, so thousands of seeded subjects share it.
   */
  static events(count: number, template: Partial<AmplitudeFakeEvent> = {}): readonly AmplitudeFakeEvent[] {
    const key = `${count}:${JSON.stringify(template)}`;
    let list = eventCache.get(key);
    if (!list) {
      const now = Date.now();
      list = Object.freeze(Array.from({ length: count }, (_, i) => Object.freeze({
        event_type: `event_${i % 7}`,
        event_time: new Date(now - i * 60_000).toISOString().replace('T', ' ').slice(0, 23),
        event_id: count - i,
        ...template,
      })));
      eventCache.set(key, list);
    }
    return list;
  }

  /** The fake's "today" (YYYY-MM-DD, UTC). */
  today(plusDays = 0): string {
    return new Date(Date.now() + (this.dayOffset + plusDays) * DAY_MS).toISOString().slice(0, 10);
  }

  /** Moves the fake's calendar on and lets the jobs progress as Amplitude's would. */
  advanceDays(days: number): void {
    this.dayOffset += days;
    const today = this.today();
    for (const job of this.jobs.values()) {
      if (job.status === 'staging' && addDays(job.day, -3) <= today) job.status = 'submitted';
      if (job.status === 'submitted' && job.day <= today && !job.active_scrub_done_date) this.scrub(job);
      if (job.status === 'submitted' && addDays(job.day, 5) <= today) job.status = 'done';
    }
  }

  /** Staging jobs (all, or the one for `day`) become submitted: they can no longer be edited. */
  submitDeletionJobs(day?: string): number {
    let n = 0;
    for (const job of this.jobs.values()) {
      if (job.status !== 'staging' || (day && job.day !== day)) continue;
      job.status = 'submitted';
      n++;
    }
    return n;
  }

  /** Runs pending jobs (all, or the one for `day`) now: their users go, the jobs become done. */
  runDeletionJobs(day?: string): number {
    let removed = 0;
    for (const job of this.jobs.values()) {
      if (job.status === 'done' || (day && job.day !== day)) continue;
      removed += this.scrub(job);
      job.status = 'done';
    }
    return removed;
  }

  /** Enforces the documented limits on both groups. */
  enforceDocumentedLimits(): this {
    return this.setRateLimit(AMPLITUDE_LIMITS.dashboard, 'dashboard').setRateLimit(AMPLITUDE_LIMITS.deletions, 'deletions');
  }

  private scrub(job: AmplitudeDeletionJob): number {
    let removed = 0;
    for (const a of job.amplitude_ids) if (this.users.delete(a.amplitude_id)) removed++;
    job.active_scrub_done_date = this.today();
    return removed;
  }

  protected clearStore(): void {
    this.users.clear();
    this.jobs.clear();
    this.dayOffset = 0;
  }

  override limitGroup(_method: string, path: string): string {
    if (path === '/api/2/usersearch' || path === '/api/2/useractivity') return 'dashboard';
    if (path.startsWith('/api/2/deletions/users')) return 'deletions';
    return 'default';
  }

  protected tooManyRequests(): FakeResponse {
    // Amplitude documents a 429 "with information on how you are exceeding the limit" and no headers.
    return { status: 429, body: { error: 'Too many requests: you exceeded the rate limit of this endpoint (see the limits of your plan)' } };
  }

  // ---- HTTP ----

  protected handle(req: FakeRequest): FakeResponse {
    const expected = `Basic ${Buffer.from(`${this.apiKey}:${this.secretKey}`).toString('base64')}`;
    if (req.headers.authorization !== expected) return { status: 401, body: { error: 'Invalid API key or secret key' } };
    if (req.method === 'GET' && req.path === '/api/2/usersearch') return this.search(req.query.get('user'));
    if (req.method === 'GET' && req.path === '/api/2/useractivity') return this.activity(req);
    if (req.path === '/api/2/deletions/users') {
      if (req.method === 'POST') return this.requestDeletion(req);
      if (req.method === 'GET') return this.listJobs(req);
    }
    const cancel = /^\/api\/2\/deletions\/users\/([^/]+)\/([^/]+)$/.exec(req.path);
    if (cancel && req.method === 'DELETE') return this.cancel(Number(cancel[1]), cancel[2]!);
    return { status: 404, body: { error: 'Not found' } };
  }

  private search(q: string | null): FakeResponse {
    if (!q) return bad('Missing required parameter: user');
    const matches = [...this.users.values()]
      .filter((u) => (u.user_id !== null && u.user_id.startsWith(q)) || u.device_ids?.includes(q) || String(u.amplitude_id) === q)
      .map((u) => ({
        user_id: u.user_id,
        amplitude_id: u.amplitude_id,
        last_device_id: u.device_ids?.at(-1) ?? null,
        last_seen: newest(u.events ?? [])?.event_time.slice(0, 10) ?? null,
        platform: (u.userData?.platform as string | undefined) ?? null,
        country: (u.userData?.country as string | undefined) ?? null,
      }));
    return { status: 200, body: matches.length ? { type: 'match_user_or_device_id', matches } : { type: 'nomatch', matches: [] } };
  }

  private activity(req: FakeRequest): FakeResponse {
    const raw = req.query.get('user');
    if (!raw) return bad('Missing required parameter: user');
    if (!/^\d+$/.test(raw)) return bad('user must be an Amplitude ID');
    const user = this.users.get(Number(raw));
    if (!user) return bad('Invalid Amplitude ID');
    const offset = Number(req.query.get('offset') ?? 0);
    const limit = Number(req.query.get('limit') ?? 1000);
    const direction = req.query.get('direction') ?? 'latest';
    if (!Number.isInteger(offset) || offset < 0) return bad('offset must be a non-negative integer');
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) return bad('limit must be between 1 and 1000');
    if (direction !== 'latest' && direction !== 'earliest') return bad("direction must be 'latest' or 'earliest'");
    const events = [...(user.events ?? [])].sort((a, b) => b.event_time.localeCompare(a.event_time));
    if (direction === 'earliest') events.reverse();
    const times = events.map((e) => e.event_time).sort();
    return {
      status: 200,
      body: {
        userData: {
          user_id: user.user_id,
          canonical_amplitude_id: user.amplitude_id,
          merged_amplitude_ids: [],
          num_events: events.length,
          first_used: times[0]?.slice(0, 10) ?? null,
          last_used: times.at(-1)?.slice(0, 10) ?? null,
          device_ids: user.device_ids,
          ...user.userData,
        },
        events: events.slice(offset, offset + limit),
      },
    };
  }

  private requestDeletion(req: FakeRequest): FakeResponse {
    if (!String(req.headers['content-type'] ?? '').includes('application/json') || typeof req.body !== 'object' || req.body === null) {
      return bad('Request body must be JSON');
    }
    const b = req.body as Record<string, unknown>;
    const ampIds = b.amplitude_ids ?? [];
    const userIds = b.user_ids ?? [];
    if (!Array.isArray(ampIds) || !Array.isArray(userIds)) return bad('amplitude_ids and user_ids must be arrays');
    if (ampIds.length + userIds.length === 0) return bad('amplitude_ids or user_ids is required');
    if (ampIds.length + userIds.length > 100) return bad('at most 100 ids per request');
    if (typeof b.requester !== 'string' || b.requester === '') return bad('requester is required');
    const requester = b.requester;
    const orgWide = b.delete_from_org === true;
    const ignore = b.ignore_invalid_id === true || b.ignore_invalid_ids === true || orgWide;
    const mapped = b.include_mapped_user_ids === true;

    const targets = new Map<number, AmplitudeFakeUser>();
    const invalid: (string | number)[] = [];
    for (const id of ampIds) {
      const u = typeof id === 'number' || (typeof id === 'string' && /^\d+$/.test(id)) ? this.users.get(Number(id)) : undefined;
      if (u) targets.set(u.amplitude_id, u);
      else invalid.push(id as string | number);
    }
    for (const id of userIds) {
      const hits = [...this.users.values()].filter((u) => u.user_id === id);
      if (hits.length === 0) invalid.push(id as string);
      for (const u of hits) targets.set(u.amplitude_id, u);
    }
    if (invalid.length > 0 && !ignore) return { status: 400, body: { error: 'Invalid user ids or amplitude ids; nothing was scheduled', invalid_ids: invalid } };

    const day = this.today(this.jobLeadDays);
    const touched = new Map<AmplitudeDeletionJob, AmplitudeJobEntry[]>();
    for (const u of targets.values()) {
      // A user already waiting in a staging job is not added a second time.
      const waiting = [...this.jobs.values()].find((j) => j.status === 'staging' && j.amplitude_ids.some((a) => a.amplitude_id === u.amplitude_id));
      if (waiting) {
        const entry = waiting.amplitude_ids.find((a) => a.amplitude_id === u.amplitude_id)!;
        touched.set(waiting, [...(touched.get(waiting) ?? []), entry]);
        if (orgWide) waiting.app = this.appId;
        continue;
      }
      let job = [...this.jobs.values()].find((j) => j.day === day && j.status === 'staging');
      if (!job) {
        job = { day, status: 'staging', amplitude_ids: [] };
        this.jobs.set(this.jobs.has(day) ? `${day}#${this.jobs.size}` : day, job);
      }
      if (orgWide) job.app = this.appId;
      const entry: AmplitudeJobEntry = { amplitude_id: u.amplitude_id, requester, requested_on_day: this.today(), user_id: u.user_id };
      job.amplitude_ids.push(entry);
      touched.set(job, [...(touched.get(job) ?? []), entry]);
    }
    const answer = [...touched].sort(([a], [b]) => b.amplitude_ids.length - a.amplitude_ids.length || b.day.localeCompare(a.day)).map(([job, entries]) => ({
      day: job.day,
      status: job.status,
      amplitude_ids: entries.map((e) => ({ amplitude_id: e.amplitude_id, requester: e.requester, requested_on_day: e.requested_on_day, ...(mapped ? { user_id: e.user_id } : {}) })),
      ...(orgWide ? { app: this.appId } : {}),
      ...(invalid.length ? { invalid_ids: invalid } : {}),
    }));
    if (answer.length === 0) {
      // Every id was invalid (and ignored): nothing scheduled.
      answer.push({ day, status: 'staging', amplitude_ids: [], ...(orgWide ? { app: this.appId } : {}), invalid_ids: invalid });
    }
    return { status: 200, body: this.deletionResponseAsArray || orgWide ? answer : answer[0] };
  }

  private listJobs(req: FakeRequest): FakeResponse {
    const start = req.query.get('start_day');
    const end = req.query.get('end_day');
    if (!start || !end) return bad('start_day and end_day are required');
    if (!isDay(start) || !isDay(end)) return bad('start_day and end_day must be dates in the form YYYY-MM-DD');
    if (end < start) return bad('end_day must not be before start_day');
    if (end > addMonths(start, 6)) return bad('The range between start_day and end_day must be at most 6 months');
    const jobs = [...this.jobs.values()]
      .filter((j) => j.day >= start && j.day <= end)
      .sort((a, b) => a.day.localeCompare(b.day))
      .map((j) => ({
        day: j.day,
        status: j.status,
        amplitude_ids: j.amplitude_ids.map(({ amplitude_id, requested_on_day, requester }) => ({ amplitude_id, requested_on_day, requester })),
        ...(j.app !== undefined ? { app: j.app } : {}),
        ...(j.active_scrub_done_date ? { active_scrub_done_date: j.active_scrub_done_date } : {}),
      }));
    return { status: 200, body: jobs };
  }

  private cancel(amplitudeId: number, day: string): FakeResponse {
    const job = [...this.jobs.values()].find((j) => j.day === day && j.amplitude_ids.some((a) => a.amplitude_id === amplitudeId));
    const entry = job?.amplitude_ids.find((a) => a.amplitude_id === amplitudeId);
    if (!job || !entry) return bad('No such user in a deletion job for that day');
    if (job.status !== 'staging') return bad('The job has been submitted and can no longer be changed');
    job.amplitude_ids = job.amplitude_ids.filter((a) => a !== entry);
    return { status: 200, body: { amplitude_id: entry.amplitude_id, requested_on_day: entry.requested_on_day, requester: entry.requester } };
  }
}

function newest(events: readonly AmplitudeFakeEvent[]): AmplitudeFakeEvent | undefined {
  return events.reduce<AmplitudeFakeEvent | undefined>((m, e) => (!m || e.event_time > m.event_time ? e : m), undefined);
}

function isDay(s: string): boolean {
  return /^\d{4}-\d{2}-\d{2}$/.test(s) && new Date(`${s}T00:00:00Z`).toISOString().slice(0, 10) === s;
}

function addDays(day: string, n: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10);
}

function addMonths(day: string, n: number): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCMonth(d.getUTCMonth() + n);
  return d.toISOString().slice(0, 10);
}
