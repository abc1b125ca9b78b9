// Amplitude fake: Basic auth (project API key:secret key), Dashboard REST usersearch/useractivity,
// User Privacy API v1 deletions. Traps kept: nomatch answers 200 {matches:[]}; usersearch matches
// user_id prefixes; a deletion is a job for a future day in status staging and the data stays
// until the job runs (`runDeletionJobs()`); unknown ids → 400 unless ignore_invalid_id; 429 with
// no rate-limit headers.
import { type FakeRequest, type FakeResponse, FakeVendorServer, type FakeServerOptions } from './fake-server.js';

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
  events?: AmplitudeFakeEvent[];
}

export interface AmplitudeDeletionJob {
  day: string;
  status: 'staging' | 'submitted' | 'done';
  amplitude_ids: { amplitude_id: number; requester: string; requested_on_day: string; user_id?: string | null }[];
}

export interface AmplitudeFakeOptions extends FakeServerOptions {
  apiKey?: string;
  secretKey?: string;
  /** Days between the request and the scheduled job day (default 9). */
  jobLeadDays?: number;
  /** Answer deletions with an array of jobs (multi-project form) instead of one object. */
  deletionResponseAsArray?: boolean;
}

const day = (offsetDays = 0) => new Date(Date.now() + offsetDays * 86400000).toISOString().slice(0, 10);

export class AmplitudeFake extends FakeVendorServer {
  readonly name = 'amplitude';
  readonly apiKey: string;
  readonly secretKey: string;
  readonly users = new Map<number, AmplitudeFakeUser>();
  readonly jobs = new Map<string, AmplitudeDeletionJob>();
  deletionResponseAsArray: boolean;
  private readonly leadDays: number;
  private nextId = 100000000001;

  constructor(opts: AmplitudeFakeOptions = {}) {
    super(opts);
    this.apiKey = opts.apiKey ?? 'fake-amplitude-key';
    this.secretKey = opts.secretKey ?? 'fake-amplitude-secret';
    this.leadDays = opts.jobLeadDays ?? 9;
    this.deletionResponseAsArray = opts.deletionResponseAsArray ?? false;
  }

  addUser(u: Omit<AmplitudeFakeUser, 'amplitude_id'> & { amplitude_id?: number }): AmplitudeFakeUser {
    const user = { device_ids: [], userData: {}, events: [], ...u, amplitude_id: u.amplitude_id ?? this.nextId++ };
    this.users.set(user.amplitude_id, user);
    return user;
  }

  /** Runs every pending deletion job now: the users go, the jobs become done. */
  runDeletionJobs(): number {
    let removed = 0;
    for (const job of this.jobs.values()) {
      if (job.status === 'done') continue;
      for (const a of job.amplitude_ids) if (this.users.delete(a.amplitude_id)) removed++;
      job.status = 'done';
    }
    return removed;
  }

  protected clearStore(): void {
    this.users.clear();
    this.jobs.clear();
  }

  protected tooManyRequests(): FakeResponse {
    // Amplitude documents a 429 "with information on how you are exceeding the limit" and no headers.
    return { status: 429, body: { error: 'Too many requests: exceeded the limit of 1 request per second for this endpoint' } };
  }

  protected handle(req: FakeRequest): FakeResponse {
    const expected = `Basic ${Buffer.from(`${this.apiKey}:${this.secretKey}`).toString('base64')}`;
    if (req.headers.authorization !== expected) return { status: 401, body: 'Invalid API key or secret key' };
    if (req.method === 'GET' && req.path === '/api/2/usersearch') return this.search(req.query.get('user') ?? '');
    if (req.method === 'GET' && req.path === '/api/2/useractivity') return this.activity(req);
    if (req.method === 'POST' && req.path === '/api/2/deletions/users') return this.requestDeletion(req);
    if (req.method === 'GET' && req.path === '/api/2/deletions/users') {
      const from = req.query.get('start_day') ?? '0000-00-00';
      const to = req.query.get('end_day') ?? '9999-99-99';
      return { status: 200, body: [...this.jobs.values()].filter((j) => j.day >= from && j.day <= to) };
    }
    return { status: 404, body: { error: 'Not found' } };
  }

  private search(q: string): FakeResponse {
    if (!q) return { status: 400, body: { error: 'Missing required parameter: user' } };
    const matches = [...this.users.values()]
      .filter((u) => (u.user_id && u.user_id.startsWith(q)) || u.device_ids?.includes(q) || String(u.amplitude_id) === q)
      .map((u) => ({ user_id: u.user_id, amplitude_id: u.amplitude_id, last_device_id: u.device_ids?.[0] ?? null, last_seen: (u.events ?? [])[0]?.event_time ?? null }));
    return { status: 200, body: matches.length ? { type: 'match_user_or_device_id', matches } : { type: 'nomatch', matches: [] } };
  }

  private activity(req: FakeRequest): FakeResponse {
    const user = this.users.get(Number(req.query.get('user')));
    if (!user) return { status: 400, body: { error: 'Invalid Amplitude ID' } };
    const offset = Number(req.query.get('offset') ?? 0);
    const limit = Math.min(Number(req.query.get('limit') ?? 1000), 1000);
    const events = [...(user.events ?? [])].sort((a, b) => b.event_time.localeCompare(a.event_time));
    return {
      status: 200,
      body: {
        userData: { user_id: user.user_id, canonical_amplitude_id: user.amplitude_id, num_events: events.length, device_ids: user.device_ids, ...user.userData },
        events: events.slice(offset, offset + limit),
      },
    };
  }

  private requestDeletion(req: FakeRequest): FakeResponse {
    const b = (req.body ?? {}) as { amplitude_ids?: unknown[]; user_ids?: unknown[]; requester?: string; ignore_invalid_id?: boolean; ignore_invalid_ids?: boolean; delete_from_org?: boolean };
    const ampIds = (b.amplitude_ids ?? []).map(Number);
    const userIds = (b.user_ids ?? []).map(String);
    if (ampIds.length + userIds.length === 0) return { status: 400, body: { error: 'amplitude_ids or user_ids is required' } };
    if (ampIds.length + userIds.length > 100) return { status: 400, body: { error: 'at most 100 ids per request' } };
    if (!b.requester) return { status: 400, body: { error: 'requester is required' } };
    const targets = new Map<number, AmplitudeFakeUser>();
    const invalid: (string | number)[] = [];
    for (const id of ampIds) {
      const u = this.users.get(id);
      if (u) targets.set(id, u);
      else invalid.push(id);
    }
    for (const id of userIds) {
      const hits = [...this.users.values()].filter((u) => u.user_id === id);
      if (hits.length === 0) invalid.push(id);
      for (const u of hits) targets.set(u.amplitude_id, u);
    }
    const ignore = b.ignore_invalid_id === true || b.ignore_invalid_ids === true || b.delete_from_org === true;
    if (invalid.length > 0 && !ignore) return { status: 400, body: { error: 'Invalid ids; nothing was scheduled', invalid_ids: invalid } };
    const jobDay = day(this.leadDays);
    const job = this.jobs.get(jobDay) ?? { day: jobDay, status: 'staging' as const, amplitude_ids: [] };
    for (const u of targets.values()) {
      // Asking again for a user already in the job does not add a second entry.
      if (!job.amplitude_ids.some((a) => a.amplitude_id === u.amplitude_id)) {
        job.amplitude_ids.push({ amplitude_id: u.amplitude_id, requester: b.requester, requested_on_day: day(), user_id: u.user_id });
      }
    }
    this.jobs.set(jobDay, job);
    const out = { ...job, ...(invalid.length ? { invalid_ids: invalid } : {}) };
    return { status: 200, body: this.deletionResponseAsArray ? [out] : out };
  }
}
