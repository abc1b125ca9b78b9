// Azure accepts 50 purge requests per hour, and one purge names one table and filters one column:
// erasures pending at the same time therefore share their purges. Each (table, column) pair has its
// own set of waiting erasures; one sender takes the pairs in turn (the pair whose oldest erasure has
// waited longest first) and builds each purge when its rate-limit slot is granted, so the purge
// covers every erasure that waits for that pair at that moment: the busier it gets, the more each
// purge carries, and the hourly budget is never spent on a purge that could have been shared.
// When the sender is idle, the first erasure opens a window (APPINSIGHTS_PURGE_BATCH_SECONDS) for
// others to join before the first purge. Each member learns the operation ids of the purges that
// cover its own pairs (saved by the member as they come, so a member that leaves or a worker that
// dies keeps what was done). In-process: one batcher per adapter instance.
import { DataSystemError } from '../../systems/data-system.js';

export interface PurgeTarget {
  /** Classic table name. */
  table: string;
  /** Classic column name (customDimensions for a custom dimension). */
  column: string;
  key?: string;
  values: string[];
}

export interface AcceptedPurge {
  operationId: string;
  /** The id in the status location (purge-<operationId>). */
  purgeId: string;
  /** When Azure accepted it (ISO). */
  at: string;
}

export function pairKey(p: Pick<PurgeTarget, 'table' | 'column' | 'key'>): string {
  return p.key === undefined ? `${p.table}|${p.column}` : `${p.table}|${p.column}|${p.key}`;
}

interface Member {
  /** Its pairs by key, each with the member's own values. */
  pairs: Map<string, PurgeTarget>;
  onPurged: (key: string, purge: AcceptedPurge) => Promise<void>;
  resolve: () => void;
  reject: (err: unknown) => void;
  done: Set<string>;
  left: boolean;
  since: number;
  detach: () => void;
}

/**
 * Sends one purge. `target()` is called once, when the purge's rate-limit slot is granted, and
 * returns what the purge covers at that moment.
 */
export type SendPurge = (target: () => PurgeTarget, signal: AbortSignal) => Promise<AcceptedPurge>;

export class PurgeBatcher {
  /** Members waiting for each pair, in arrival order. */
  private readonly waiting = new Map<string, Member[]>();
  private running = false;
  private controller = new AbortController();
  /** The members of the purge being sent (those waiting for its pair until it is built). */
  private current: Member[] = [];
  /** Every purge sent: its pair and how many erasures it covered (no values), for tests and logs. */
  readonly sent: { key: string; members: number }[] = [];

  constructor(
    private readonly windowMs: number,
    private readonly send: SendPurge,
  ) {}

  /**
   * Waits until every pair in `pairs` is covered by an accepted purge. `onPurged` runs once per pair
   * as soon as its purge is accepted. Rejects with a purge's failure (the pairs purged before it
   * stay recorded), or at once when `signal` aborts (shutdown): the member leaves, and purges not yet
   * built no longer carry its values.
   */
  submit(pairs: PurgeTarget[], onPurged: Member['onPurged'], signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal.aborted) return reject(aborted());
      if (pairs.length === 0) return resolve();
      const onAbort = () => {
        this.leave(member);
        reject(aborted());
      };
      const member: Member = {
        pairs: new Map(pairs.map((p) => [pairKey(p), p])),
        onPurged,
        resolve,
        reject,
        done: new Set(),
        left: false,
        since: Date.now(),
        detach: () => signal.removeEventListener('abort', onAbort),
      };
      for (const key of member.pairs.keys()) this.waiting.set(key, [...(this.waiting.get(key) ?? []), member]);
      signal.addEventListener('abort', onAbort, { once: true });
      if (!this.running) void this.run();
    });
  }

  private leave(member: Member): void {
    member.left = true;
    member.detach();
    for (const key of member.pairs.keys()) this.drop(key, member);
    // Nobody left to purge for: stop the call in flight (a limiter wait, a request).
    if (this.waiting.size === 0 && this.current.every((m) => m.left)) this.controller.abort();
  }

  private drop(key: string, member: Member): void {
    const rest = (this.waiting.get(key) ?? []).filter((m) => m !== member);
    if (rest.length) this.waiting.set(key, rest);
    else this.waiting.delete(key);
  }

  /** The sender: while erasures wait, one purge after another, each for the longest-waiting pair. */
  private async run(): Promise<void> {
    this.running = true;
    try {
      await new Promise((r) => setTimeout(r, this.windowMs));
      while (this.waiting.size > 0) {
        if (this.controller.signal.aborted) this.controller = new AbortController();
        const key = this.next();
        let covered: Member[] = [];
        this.current = this.waiting.get(key) ?? [];
        // Built once, when the slot is granted (a retried call, e.g. after a stale token, sends the same).
        let target: PurgeTarget | undefined;
        const build = (): PurgeTarget => {
          if (target) return target;
          covered = [...(this.waiting.get(key) ?? [])];
          this.current = covered;
          this.waiting.delete(key);
          const first = covered[0]!.pairs.get(key)!;
          const values = [...new Set(covered.flatMap((m) => m.pairs.get(key)!.values))].sort();
          target = { table: first.table, column: first.column, ...(first.key !== undefined ? { key: first.key } : {}), values };
          return target;
        };
        let accepted: AcceptedPurge;
        try {
          accepted = await this.send(build, this.controller.signal);
        } catch (err) {
          // Everyone this purge was for fails with it (a re-run resumes from its saved purges).
          const failed = covered.length ? covered : [...(this.waiting.get(key) ?? [])];
          this.current = [];
          for (const m of failed) this.fail(m, err);
          continue;
        }
        this.current = [];
        this.sent.push({ key, members: covered.length });
        for (const m of covered) {
          if (m.left) continue;
          try {
            await m.onPurged(key, accepted);
            m.done.add(key);
          } catch (err) {
            this.fail(m, err);
            continue;
          }
          if (m.done.size === m.pairs.size) {
            m.detach();
            m.resolve();
          }
        }
      }
    } finally {
      this.running = false;
    }
    // Someone may have joined between the last check and `running = false`.
    if (this.waiting.size > 0) void this.run();
  }

  private fail(member: Member, err: unknown): void {
    if (member.left) return;
    member.left = true;
    member.detach();
    for (const key of member.pairs.keys()) this.drop(key, member);
    member.reject(err);
  }

  /** The pair whose longest-waiting member arrived first. */
  private next(): string {
    let best: string | undefined;
    let since = Infinity;
    for (const [key, members] of this.waiting) {
      const s = Math.min(...members.map((m) => m.since));
      if (s < since) [best, since] = [key, s];
    }
    return best!;
  }
}

function aborted(): DataSystemError {
  return new DataSystemError('transient', 'aborted while waiting for the Azure purge batch');
}

