// Amplitude: no e-mail index. The product sends its own User ID as Amplitude user_id, so the
// subject is looked up by that (the e-mail when the product holds no account).
//  - Access (Dashboard REST, 360 queries/hour): usersearch, exact user_id matches only, then every
//    Amplitude id's activity in pages of 1000, up to AMPLITUDE_MAX_EVENTS per id; more is reported
//    as truncated. The usersearch result is kept in refs, so a re-run after a long rate-limit wait
//    does not repeat it.
//  - Erasure (User Privacy API v1, 1 request/s, 100 ids a request): never usersearch. One deletion
//    request per batch of pending erasures (amplitude.deletion-batcher.ts) by user id, with
//    include_mapped_user_ids so that every scheduled Amplitude id says whose it is. The job runs on
//    a later day; checkErasure follows it until every one of the task's ids is in a done job.
import {
  DataSystemError,
  erasureOutcome,
  type AccessResult,
  type DataSystem,
  type ErasureResult,
  type TaskContext,
  type VendorJob,
  type VendorJobState,
} from '../../systems/data-system.js';
import { Items, basicAuth, notFound, stripSecrets } from '../common.js';
import { VendorHttpClient } from '../http/vendor-http.js';
import type { VendorGate } from '../http/vendor-limiter.js';
import type { VendorConfig } from '../vendor-config.js';
import { type DeletionAnswer, DeletionBatcher, type DeletionJob } from './amplitude.deletion-batcher.js';
import { type AmplitudeEvent, type AmplitudeMatch, type AmplitudeUserData, mapAmplitudeUser } from './amplitude.mapping.js';

const PAGE = 1000; // useractivity maximum
const DAY_MS = 86_400_000;
const JOB_WINDOW_DAYS = 30; // Amplitude may run a deletion job up to 30 days after the request day

interface ListedJob {
  day?: string;
  status?: string;
  amplitude_ids?: { amplitude_id?: number | string }[];
  active_scrub_done_date?: string;
}

/** What one erasure task owns of a deletion answer. */
interface DeletionPart {
  ids: number[];
  days: string[];
  statuses: string[];
  /** Amplitude listed the user id in invalid_ids. */
  invalid: boolean;
  /** The answer, shared with other users, has entries without user_id: they cannot be attributed. */
  unattributed: boolean;
}

/** The recorded request (refs), from which a retry reports the same result without asking again. */
interface Recorded {
  ids: number[];
  days: string[];
  statuses: string[];
}

export class AmplitudeAdapter implements DataSystem {
  readonly key = 'amplitude';
  readonly recipient = 'amplitude';
  readonly label = 'Amplitude';
  private readonly http: VendorHttpClient;
  /** One per adapter instance (one per worker process): pending erasures share requests. */
  readonly deletions: DeletionBatcher;

  constructor(private readonly cfg: VendorConfig['amplitude'], timeoutMs: number, gate?: VendorGate) {
    this.http = new VendorHttpClient({
      vendor: 'Amplitude',
      baseUrl: cfg.baseUrl,
      timeoutMs,
      gate,
      headers: { authorization: basicAuth(cfg.apiKey ?? '', cfg.secretKey ?? '') },
    });
    this.deletions = new DeletionBatcher((userIds, signal) => this.requestDeletion(userIds, signal));
  }

  isConfigured(): boolean {
    return Boolean(this.cfg.baseUrl && this.cfg.apiKey && this.cfg.secretKey);
  }

  async access(ctx: TaskContext): Promise<AccessResult> {
    const key = subjectKey(ctx);
    const items = new Items();
    const records: unknown[] = [];
    const cut: { id: number; read: number; total?: number }[] = [];
    let fromRefs = ctx.refs.amplitudeSearchDone === true && Array.isArray(ctx.refs.amplitudeIds);
    let ids = fromRefs ? numbers(ctx.refs.amplitudeIds) : await this.lookup(ctx, key);
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      const read = await this.activity(ctx, id);
      if (read === 'unknown') {
        // An id saved by an earlier attempt that Amplitude no longer knows (merged or deleted since):
        // the saved search is stale, so search again and start over.
        if (!fromRefs) throw new DataSystemError('permanent', 'Amplitude useractivity does not know an Amplitude id usersearch just returned');
        fromRefs = false;
        ids = await this.lookup(ctx, key);
        items.list.length = 0;
        records.length = 0;
        cut.length = 0;
        i = -1;
        continue;
      }
      mapAmplitudeUser(items, id, read.userData, read.events);
      records.push(stripSecrets({ amplitudeId: id, userData: read.userData, events: read.events }));
      if (read.more) cut.push({ id, read: read.events.length, total: read.total });
    }
    const byEmail = ctx.subject.userId
      ? undefined
      : 'Amplitude has no e-mail index: the product holds no account for this address, so it was looked up as a user id.';
    if (records.length === 0) return notFound(byEmail);
    return {
      outcome: 'found',
      items: items.list,
      records,
      ...(cut.length
        ? {
            truncated: {
              what: `Amplitude event history: ${cut.map((c) => `Amplitude id ${c.id}, ${c.read} of ${c.total ?? 'more'} events`).join('; ')}`,
              read: cut.reduce((n, c) => n + c.read, 0),
              reason:
                `At most ${this.cfg.maxEvents} events are read per Amplitude id (AMPLITUDE_MAX_EVENTS), the most recent first; ` +
                "the older ones are not in this report. Amplitude's DSAR export delivers the complete raw event history on request.",
            },
          }
        : {}),
      ...(byEmail ? { note: byEmail } : {}),
    };
  }

  async erase(ctx: TaskContext): Promise<ErasureResult> {
    const userId = subjectKey(ctx);
    // Already requested by an earlier attempt: Amplitude e-mails every admin on each request, and
    // the job itself is checked by checkErasure, so it is not asked again.
    const recorded = recordedDeletion(ctx.refs);
    if (recorded) return scheduledResult(recorded);

    let part = partFor(userId, await this.deletions.submit(userId, ctx.signal));
    if (part.unattributed && !part.invalid) {
      // Amplitude left the user_id mapping out of an answer shared with other users: ask for this
      // one alone (a user listed as invalid has nothing scheduled).
      const jobs = await this.requestDeletion(() => [userId], ctx.signal);
      part = partFor(userId, { userIds: [userId], jobs });
    }
    const ids = [...new Set([...part.ids, ...numbers(ctx.refs.amplitudeIds)])];
    if (ids.length === 0) {
      if (part.invalid) return { outcome: 'not_found', actions: [], retained: [], note: 'Amplitude knows no user with this user id (it listed it as invalid); nothing was scheduled.' };
      throw new DataSystemError('transient', 'Amplitude deletion answer neither scheduled the user nor listed it as invalid');
    }
    const rec: Recorded = { ids, days: [...part.days].sort(), statuses: part.statuses };
    if (rec.days.length === 0) throw new DataSystemError('transient', 'Amplitude deletion answer names no job day for the user');
    await ctx.saveRefs({ amplitudeIds: rec.ids, amplitudeJobDays: rec.days, amplitudeJobStatus: rec.statuses });
    return scheduledResult(rec);
  }

  // Jobs are listed by day: from the request's day to 30 days later (Amplitude may run a job that
  // late), or further when a recorded job day lies beyond. Done when every one of the task's ids
  // sits in a job whose status is done.
  async checkErasure(ctx: TaskContext, job: VendorJob): Promise<VendorJobState> {
    const ids = numbers(ctx.refs.amplitudeIds);
    if (ids.length === 0) return { state: 'failed', reason: 'no Amplitude ids recorded for this task' };
    const start = dayOf(ctx.receivedAt);
    const known = [...strings(ctx.refs.amplitudeJobDays), ...job.id.split(',')].filter(isDay);
    const end = [addDays(start, JOB_WINDOW_DAYS), ...known].sort().at(-1)!;
    const res = await this.http.request<ListedJob[]>({
      path: '/api/2/deletions/users',
      bucket: 'deletions',
      query: { start_day: start, end_day: end < addMonths(start, 6) ? end : addMonths(start, 6) },
      signal: ctx.signal,
    });
    if (!Array.isArray(res.body)) throw new DataSystemError('permanent', 'Amplitude deletion job list is not a list');
    const jobs = res.body;
    const holding = (id: number) => jobs.filter((j) => (j.amplitude_ids ?? []).some((a) => Number(a.amplitude_id) === id));
    if (ids.every((id) => holding(id).some((j) => j.status === 'done'))) {
      const rec = recordedDeletion(ctx.refs) ?? { ids, days: known, statuses: ['done'] };
      return { state: 'done', status: 'done', finalResult: erasedResult(rec) };
    }
    const statuses = new Set<string>();
    for (const id of ids) {
      const js = holding(id);
      if (js.length === 0) statuses.add('not listed');
      for (const j of js) statuses.add(j.active_scrub_done_date && j.status !== 'done' ? `${j.status} (data removed ${j.active_scrub_done_date})` : (j.status ?? 'unknown'));
    }
    return { state: 'pending', status: [...statuses].join(', ') };
  }

  private async requestDeletion(userIds: () => string[], signal: AbortSignal): Promise<DeletionJob[]> {
    const res = await this.http.request<DeletionJob | DeletionJob[]>({
      method: 'POST',
      path: '/api/2/deletions/users',
      bucket: 'deletions',
      // Built when the rate-limit slot is granted: the batch fills while the request waits.
      jsonAtSend: () => ({
        user_ids: userIds(),
        requester: this.cfg.requester,
        // Without it one unknown id fails the whole request (and the batch); the docs spell it both ways.
        ignore_invalid_id: true,
        ignore_invalid_ids: true,
        // Only then does each scheduled Amplitude id carry its user_id (how a batch is split up).
        include_mapped_user_ids: true,
      }),
      signal,
    });
    const jobs = Array.isArray(res.body) ? res.body : [res.body];
    if (jobs.length === 0 || !jobs.every((j) => j && typeof j === 'object' && typeof j.day === 'string' && isDay(j.day))) {
      throw new DataSystemError('permanent', 'Amplitude deletion answered without a job day');
    }
    return jobs;
  }

  private async lookup(ctx: TaskContext, key: string): Promise<number[]> {
    const res = await this.http.request<{ matches?: AmplitudeMatch[] }>({ path: '/api/2/usersearch', query: { user: key }, signal: ctx.signal });
    if (!res.body || typeof res.body !== 'object' || !Array.isArray(res.body.matches)) {
      throw new DataSystemError('permanent', 'Amplitude usersearch answered without a list of matches');
    }
    // usersearch also matches user_id prefixes, device ids and Amplitude ids: exact user_id matches only.
    const ids = [...new Set(res.body.matches.filter((m) => m.user_id === key && typeof m.amplitude_id === 'number').map((m) => m.amplitude_id))];
    await ctx.saveRefs({ amplitudeSearchDone: true, amplitudeIds: ids });
    return ids;
  }

  /** One Amplitude id's profile and most recent events, up to the cap; 'unknown' when Amplitude does not know the id. */
  private async activity(
    ctx: TaskContext,
    amplitudeId: number,
  ): Promise<{ userData: AmplitudeUserData; events: AmplitudeEvent[]; total?: number; more: boolean } | 'unknown'> {
    let userData: AmplitudeUserData = {};
    let total: number | undefined;
    const events: AmplitudeEvent[] = [];
    let lastFull = false;
    while (events.length < this.cfg.maxEvents) {
      const limit = Math.min(PAGE, this.cfg.maxEvents - events.length);
      const res = await this.http.request<{ userData?: AmplitudeUserData; events?: AmplitudeEvent[] }>({
        path: '/api/2/useractivity',
        query: { user: amplitudeId, offset: events.length, limit },
        okStatuses: [400],
        signal: ctx.signal,
      });
      if (res.status === 400) {
        if (events.length === 0) return 'unknown';
        throw new DataSystemError('permanent', 'Amplitude useractivity refused a page (HTTP 400)', undefined, 400);
      }
      const page = res.body?.events;
      if (!Array.isArray(page)) throw new DataSystemError('permanent', 'Amplitude useractivity answered without events');
      if (events.length === 0) {
        userData = res.body?.userData ?? {};
        total = typeof userData.num_events === 'number' ? userData.num_events : undefined;
      }
      events.push(...page);
      lastFull = page.length === limit;
      if (!lastFull || (total !== undefined && events.length >= total)) break;
    }
    // More than was read: Amplitude counts more events, or (no count) the last page was full at the cap.
    const more = total !== undefined ? total > events.length : lastFull && events.length >= this.cfg.maxEvents;
    return { userData, events, total, more };
  }
}

/** The part of a (possibly shared) deletion answer that is this user's. */
export function partFor(userId: string, answer: DeletionAnswer): DeletionPart {
  const alone = answer.userIds.length === 1 && answer.userIds[0] === userId;
  const ids = new Set<number>();
  const days = new Set<string>();
  const statuses = new Set<string>();
  let unattributed = false;
  let invalid = false;
  for (const job of answer.jobs) {
    if ((job.invalid_ids ?? []).map(String).includes(userId)) invalid = true;
    for (const e of job.amplitude_ids ?? []) {
      const mapped = typeof e.user_id === 'string' || e.user_id === null;
      if (!mapped && !alone) unattributed = true;
      if ((mapped ? e.user_id === userId : alone) && e.amplitude_id !== undefined && Number.isFinite(Number(e.amplitude_id))) {
        ids.add(Number(e.amplitude_id));
        days.add(job.day);
        statuses.add(job.status ?? 'unknown');
      }
    }
  }
  return { ids: [...ids], days: [...days], statuses: [...statuses], invalid, unattributed };
}

function scheduledResult(rec: Recorded): ErasureResult {
  const last = rec.days.at(-1)!;
  const actions: ErasureResult['actions'] = [{ what: `Amplitude user profile and event history (Amplitude id(s) ${rec.ids.join(', ')})`, count: rec.ids.length, how: 'requested' }];
  return {
    outcome: erasureOutcome({ actions, retained: [] }),
    actions,
    retained: [],
    vendorJob: { id: rec.days.join(','), expectedBy: last, ...(rec.statuses.length ? { status: rec.statuses.join(',') } : {}) },
    remains:
      `Everything Amplitude holds about the user stays until its deletion job runs on ${last} ` +
      '(Amplitude runs it within 30 days of the request and marks it done about 5 days later, once backups are cleared).',
    note: "Deletion requested through Amplitude's User Privacy API. Events sent later under the same user id would create a new Amplitude user.",
  };
}

function erasedResult(rec: Recorded): ErasureResult {
  const actions: ErasureResult['actions'] = [{ what: `Amplitude user profile and event history (Amplitude id(s) ${rec.ids.join(', ')})`, count: rec.ids.length, how: 'deleted' }];
  return {
    outcome: erasureOutcome({ actions, retained: [] }),
    actions,
    retained: [],
    vendorJob: { id: rec.days.join(','), expectedBy: rec.days.at(-1), status: 'done' },
    note: "Amplitude's deletion job is done. Events sent later under the same user id would create a new Amplitude user.",
  };
}

function recordedDeletion(refs: Record<string, unknown>): Recorded | undefined {
  const ids = numbers(refs.amplitudeIds);
  const days = strings(refs.amplitudeJobDays).filter(isDay);
  if (ids.length === 0 || days.length === 0) return undefined;
  return { ids, days, statuses: strings(refs.amplitudeJobStatus) };
}

function subjectKey(ctx: TaskContext): string {
  return ctx.subject.userId ?? ctx.subject.email;
}

function numbers(v: unknown): number[] {
  return Array.isArray(v) ? v.map(Number).filter((n) => Number.isFinite(n)) : [];
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : [];
}

function isDay(s: string): boolean {
  return /^\d{4}-\d{2}-\d{2}$/.test(s);
}

function dayOf(d: Date): string {
  return d.toISOString().slice(0, 10);
}

function addDays(day: string, n: number): string {
  return dayOf(new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY_MS));
}

function addMonths(day: string, n: number): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCMonth(d.getUTCMonth() + n);
  return dayOf(d);
}
