// Amplitude's User Privacy API takes up to 100 ids per request at 1 request/s: erasures pending at
// the same time in one worker share requests. At most one request at a time waits for its
// rate-limit slot; its batch is taken only when the slot is granted (VendorRequest.jsonAtSend), so
// every task that arrived during the wait goes in, up to 100 user ids. Whatever is left starts the
// next request at once. Each task gets the whole answer back and picks its own part.
import { DataSystemError } from '../../systems/data-system.js';

export const MAX_IDS_PER_REQUEST = 100;

export interface DeletionEntry {
  amplitude_id?: number | string;
  /** Only with include_mapped_user_ids: true. */
  user_id?: string | null;
  requester?: string;
  requested_on_day?: string;
}

export interface DeletionJob {
  day: string;
  status?: string;
  app?: number | string;
  amplitude_ids?: DeletionEntry[];
  invalid_ids?: unknown[];
}

/** One request's answer: the user ids it carried and the jobs Amplitude answered with. */
export interface DeletionAnswer {
  userIds: string[];
  jobs: DeletionJob[];
}

/**
 * Sends one request: `userIds()` gives the batch, and must be called only once the rate-limit slot
 * is granted (it returns the same ids on every call; it throws when every task has gone).
 */
export type SendDeletion = (userIds: () => string[], signal: AbortSignal) => Promise<DeletionJob[]>;

interface Waiter {
  userId: string;
  settled: boolean;
  resolve: (a: DeletionAnswer) => void;
  reject: (e: unknown) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

/** Every task of a request left before its slot came: the request is not sent. */
class NothingToSend extends Error {}

const aborted = () => new DataSystemError('transient', 'Amplitude deletion: the task was aborted while waiting for its batch');

export class DeletionBatcher {
  private readonly queue: Waiter[] = [];
  /** The request waiting for its rate-limit slot (its batch not taken yet). */
  private waiting?: { ctl: AbortController };
  /** Requests sent and ids carried, with the sizes of the last few requests (for metrics and tests). */
  readonly stats = { requests: 0, ids: 0, recentSizes: [] as number[] };

  constructor(private readonly send: SendDeletion, private readonly maxIds = MAX_IDS_PER_REQUEST) {}

  submit(userId: string, signal?: AbortSignal): Promise<DeletionAnswer> {
    if (signal?.aborted) return Promise.reject(aborted());
    return new Promise<DeletionAnswer>((resolve, reject) => {
      const w: Waiter = { userId, settled: false, resolve, reject, signal };
      if (signal) {
        w.onAbort = () => this.abandon(w);
        signal.addEventListener('abort', w.onAbort, { once: true });
      }
      this.queue.push(w);
      if (!this.waiting) void this.launch();
    });
  }

  private async launch(): Promise<void> {
    const me = { ctl: new AbortController() };
    this.waiting = me;
    let batch: Waiter[] | undefined;
    let ids: string[] = [];
    const take = (): string[] => {
      // Cancelled (everyone left) before its slot: later arrivals belong to the next request.
      if (!batch && me.ctl.signal.aborted) throw new NothingToSend();
      if (!batch) {
        if (this.waiting === me) this.waiting = undefined;
        batch = this.takeBatch();
        ids = [...new Set(batch.map((w) => w.userId))];
        if (ids.length) this.count(ids.length);
        // More than one request's worth: the next one starts waiting for its slot now.
        if (this.queue.length && !this.waiting) void this.launch();
      }
      if (ids.length === 0) throw new NothingToSend();
      return ids;
    };
    // Tasks arriving in the same turn of the event loop share the request even without a limiter.
    await new Promise((r) => setImmediate(r));
    if (me.ctl.signal.aborted) return;
    try {
      const jobs = await this.send(take, me.ctl.signal);
      for (const w of batch ?? []) this.settle(w, () => w.resolve({ userIds: ids, jobs }));
    } catch (err) {
      if (this.waiting === me) this.waiting = undefined;
      if (err instanceof NothingToSend) return;
      if (batch) {
        for (const w of batch) this.settle(w, () => w.reject(err));
      } else if (!me.ctl.signal.aborted) {
        // Refused before its slot came (e.g. the wait is longer than allowed): every queued task
        // would wait at least as long, so all hear it now and go back to the job layer.
        for (const w of this.queue.splice(0)) this.settle(w, () => w.reject(err));
      }
    }
  }

  /** The next tasks, up to `maxIds` distinct user ids (tasks for the same user share one). */
  private takeBatch(): Waiter[] {
    const users = new Set<string>();
    const out: Waiter[] = [];
    const rest: Waiter[] = [];
    for (const w of this.queue) {
      if (users.has(w.userId) || users.size < this.maxIds) {
        users.add(w.userId);
        out.push(w);
      } else {
        rest.push(w);
      }
    }
    this.queue.splice(0, this.queue.length, ...rest);
    return out;
  }

  // A task that stops waiting (shutdown): it leaves the queue; a request no one waits for any more is cancelled.
  private abandon(w: Waiter): void {
    const i = this.queue.indexOf(w);
    if (i >= 0) this.queue.splice(i, 1);
    this.settle(w, () => w.reject(aborted()));
    if (this.waiting && this.queue.length === 0) {
      this.waiting.ctl.abort();
      this.waiting = undefined;
    }
  }

  private count(size: number): void {
    this.stats.requests++;
    this.stats.ids += size;
    this.stats.recentSizes.push(size);
    if (this.stats.recentSizes.length > 50) this.stats.recentSizes.shift();
  }

  private settle(w: Waiter, fn: () => void): void {
    if (w.settled) return;
    w.settled = true;
    if (w.onAbort) w.signal?.removeEventListener('abort', w.onAbort);
    fn();
  }
}
