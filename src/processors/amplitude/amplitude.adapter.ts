// Amplitude: no e-mail index. The product sends its own User ID as Amplitude user_id, so the
// subject is looked up by that (the e-mail when the product holds no account). Deletion is a
// job Amplitude runs on a later day (User Privacy API v1).
import {
  DataSystemError,
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
import { type AmplitudeEvent, type AmplitudeMatch, type AmplitudeUserData, mapAmplitudeUser } from './amplitude.mapping.js';

const PAGE = 1000; // useractivity maximum
const MAX_EVENTS = 20000; // bound one access task; the DSAR export API covers more

interface DeletionJob {
  day?: string;
  status?: string;
  app?: number | string;
  amplitude_ids?: unknown[];
  invalid_ids?: unknown[];
}

interface DeletionJobStatus {
  day?: string;
  status?: string;
  amplitude_ids?: { amplitude_id?: number | string }[];
}

export class AmplitudeAdapter implements DataSystem {
  readonly key = 'amplitude';
  readonly recipient = 'amplitude';
  readonly label = 'Amplitude';
  private readonly http: VendorHttpClient;

  constructor(private readonly cfg: VendorConfig['amplitude'], timeoutMs: number, gate?: VendorGate) {
    this.http = new VendorHttpClient({
      vendor: 'Amplitude',
      baseUrl: cfg.baseUrl,
      timeoutMs,
      gate,
      headers: { authorization: basicAuth(cfg.apiKey ?? '', cfg.secretKey ?? '') },
    });
  }

  isConfigured(): boolean {
    return Boolean(this.cfg.baseUrl && this.cfg.apiKey && this.cfg.secretKey);
  }

  async access(ctx: TaskContext): Promise<AccessResult> {
    const items = new Items();
    const records: unknown[] = [];
    for (const m of await this.search(ctx)) {
      const { userData, events } = await this.activity(ctx, m.amplitude_id);
      mapAmplitudeUser(items, m.amplitude_id, userData, events);
      records.push(stripSecrets({ match: m, userData, events }));
    }
    if (records.length === 0) return notFound();
    return { outcome: 'found', items: items.list, records };
  }

  // Erasure goes straight to the User Privacy API (1 request/s) by user id: no usersearch, whose
  // limit (360/hour) would otherwise cap erasures. Unknown users come back in `invalid_ids`.
  async erase(ctx: TaskContext): Promise<ErasureResult> {
    const userId = subjectKey(ctx);
    const saved = (Array.isArray(ctx.refs.amplitudeIds) ? ctx.refs.amplitudeIds : []).map(Number);
    await ctx.saveRefs({ amplitudeUserId: userId });
    const res = await this.http.request<DeletionJob | DeletionJob[]>({
      method: 'POST',
      path: '/api/2/deletions/users',
      bucket: 'deletions',
      json: {
        amplitude_ids: saved,
        user_ids: [userId],
        requester: this.cfg.requester,
        // Without it one unknown id fails the whole request; the docs spell it both ways.
        ignore_invalid_id: true,
        ignore_invalid_ids: true,
        delete_from_org: false,
      },
      signal: ctx.signal,
    });
    const jobs = (Array.isArray(res.body) ? res.body : [res.body]).filter((j): j is DeletionJob => Boolean(j?.day));
    if (jobs.length === 0) throw new DataSystemError('permanent', 'Amplitude deletion answered without a job day');
    const invalid = new Set(jobs.flatMap((j) => j.invalid_ids ?? []).map(String));
    // A job lists every user scheduled for its day: keep the entries that are this subject's.
    let ids = [
      ...new Set(
        jobs
          .flatMap((j) => (j.amplitude_ids ?? []) as { amplitude_id?: number | string; user_id?: string }[])
          .filter((a) => a.user_id === userId || saved.includes(Number(a.amplitude_id)))
          .map((a) => Number(a.amplitude_id)),
      ),
    ];
    if (ids.length === 0 && saved.length === 0 && invalid.has(userId)) return { outcome: 'not_found', actions: [], retained: [] };
    // Entries without user ids: learn the subject's Amplitude ids from usersearch, to follow the job.
    if (ids.length === 0) ids = (await this.search(ctx)).map((m) => m.amplitude_id);
    const days = [...new Set(jobs.map((j) => j.day!))].sort();
    const statuses = [...new Set(jobs.map((j) => j.status ?? 'unknown'))];
    await ctx.saveRefs({ amplitudeIds: ids, amplitudeJobDays: days });
    return {
      outcome: 'scheduled',
      actions: [{ what: 'Amplitude user and event data', count: Math.max(ids.length, 1), how: 'requested' }],
      retained: [],
      vendorJob: { id: days.join(','), expectedBy: days[days.length - 1], status: statuses.join(',') },
      note: 'Amplitude runs deletion jobs on the scheduled day (staging, then submitted, then done; within 30 days). New events sent later for the same user create a new user.',
    };
  }

  // Deletion jobs are listed by scheduled day; the task's ids must all sit in jobs that are done.
  async checkErasure(ctx: TaskContext, job: VendorJob): Promise<VendorJobState> {
    const ids = new Set((Array.isArray(ctx.refs.amplitudeIds) ? ctx.refs.amplitudeIds : []).map(Number));
    const days = job.id.split(',').filter((d) => /^\d{4}-\d{2}-\d{2}$/.test(d)).sort();
    if (ids.size === 0 || days.length === 0) return { state: 'failed', reason: 'no Amplitude ids or job days recorded' };
    const res = await this.http.request<DeletionJobStatus[]>({
      path: '/api/2/deletions/users',
      bucket: 'deletions',
      query: { start_day: days[0], end_day: days[days.length - 1] },
      signal: ctx.signal,
    });
    const jobs = (Array.isArray(res.body) ? res.body : []).filter((j) => (j.amplitude_ids ?? []).some((a) => ids.has(Number(a.amplitude_id))));
    const statuses = [...new Set(jobs.map((j) => j.status ?? 'unknown'))];
    const covered = new Set(jobs.filter((j) => j.status === 'done').flatMap((j) => (j.amplitude_ids ?? []).map((a) => Number(a.amplitude_id))));
    if ([...ids].every((id) => covered.has(id))) return { state: 'done', status: 'done' };
    return { state: 'pending', status: statuses.join(',') || 'not listed yet' };
  }

  private async search(ctx: TaskContext): Promise<AmplitudeMatch[]> {
    const key = subjectKey(ctx);
    const res = await this.http.request<{ matches?: AmplitudeMatch[] }>({ path: '/api/2/usersearch', query: { user: key }, signal: ctx.signal });
    // usersearch also matches user_id prefixes and device ids: keep exact user_id matches only.
    return (res.body?.matches ?? []).filter((m) => m.user_id === key && typeof m.amplitude_id === 'number');
  }

  private async activity(ctx: TaskContext, amplitudeId: number): Promise<{ userData: AmplitudeUserData; events: AmplitudeEvent[] }> {
    let userData: AmplitudeUserData = {};
    const events: AmplitudeEvent[] = [];
    for (let offset = 0; offset < MAX_EVENTS; offset += PAGE) {
      const res = await this.http.request<{ userData?: AmplitudeUserData; events?: AmplitudeEvent[] }>({
        path: '/api/2/useractivity',
        query: { user: amplitudeId, offset, limit: PAGE },
        signal: ctx.signal,
      });
      if (offset === 0) userData = res.body?.userData ?? {};
      const batch = res.body?.events ?? [];
      events.push(...batch);
      if (batch.length < PAGE) break;
    }
    return { userData, events };
  }
}

function subjectKey(ctx: TaskContext): string {
  return ctx.subject.userId ?? ctx.subject.email;
}
