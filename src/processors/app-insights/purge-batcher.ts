// Azure accepts 50 purge requests per hour, and one purge names one table and filters one column:
// erasures pending at the same time therefore share their purges. The first erasure to arrive opens
// a window; the ones arriving before it closes join; then one purge per (table, column) goes out
// with the `in` operator over every member's values, and each member learns the operation ids of
// the purges that cover its own pairs (saved by the member as they come, so a member that leaves
// or a worker that dies keeps what was done). In-process: one batcher per adapter instance.
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
  pairs: PurgeTarget[];
  onPurged: (key: string, purge: AcceptedPurge) => Promise<void>;
  resolve: () => void;
  reject: (err: unknown) => void;
  done: Set<string>;
  left: boolean;
  error?: unknown;
  detach: () => void;
}

interface Batch {
  members: Member[];
  flushing: boolean;
  controller: AbortController;
  timer?: NodeJS.Timeout;
}

export type SendPurge = (target: PurgeTarget, signal: AbortSignal) => Promise<AcceptedPurge>;

export class PurgeBatcher {
  private open?: Batch;
  /** Purges sent, per batch, for tests and logs (no values). */
  readonly batches: { pairs: number; members: number }[] = [];

  constructor(
    private readonly windowMs: number,
    private readonly send: SendPurge,
  ) {}

  /**
   * Waits for the current window (opening one if none is open), then for the purges of `pairs`.
   * `onPurged` runs once per pair as soon as its purge is accepted. Resolves when every pair has
   * its purge; rejects with the first failure (the pairs purged before it stay recorded), or at
   * once when `signal` aborts (shutdown): the member leaves and its pairs are not sent for it.
   */
  submit(pairs: PurgeTarget[], onPurged: Member['onPurged'], signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal.aborted) return reject(aborted());
      let batch = this.open;
      if (!batch) {
        const b: Batch = { members: [], flushing: false, controller: new AbortController() };
        this.open = batch = b;
        b.timer = setTimeout(() => void this.flush(b), this.windowMs);
      }
      const b = batch;
      const onAbort = () => {
        member.left = true;
        if (!b.flushing) {
          b.members.splice(b.members.indexOf(member), 1);
          // The window holds nobody any more: close it.
          if (b.members.length === 0) {
            clearTimeout(b.timer);
            if (this.open === b) this.open = undefined;
          }
        }
        // Nobody left to purge for: stop the calls in flight (a limiter wait, a request).
        if (b.members.every((m) => m.left)) b.controller.abort();
        reject(aborted());
      };
      const member: Member = {
        pairs,
        onPurged,
        resolve,
        reject,
        done: new Set(),
        left: false,
        detach: () => signal.removeEventListener('abort', onAbort),
      };
      b.members.push(member);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  private async flush(batch: Batch): Promise<void> {
    if (this.open === batch) this.open = undefined;
    batch.flushing = true;
    // One purge per (table, column): the union of the members' values, in the members' order so
    // that, if the hourly limit cuts the batch short, the earliest erasures are complete.
    const byKey = new Map<string, { target: PurgeTarget; members: Member[] }>();
    for (const m of batch.members) {
      for (const p of m.pairs) {
        const k = pairKey(p);
        const entry = byKey.get(k) ?? { target: { table: p.table, column: p.column, ...(p.key !== undefined ? { key: p.key } : {}), values: [] }, members: [] };
        entry.target.values = [...new Set([...entry.target.values, ...p.values])].sort();
        entry.members.push(m);
        byKey.set(k, entry);
      }
    }
    this.batches.push({ pairs: byKey.size, members: batch.members.length });
    let failure: unknown;
    for (const [k, { target, members }] of byKey) {
      if (members.every((m) => m.left)) continue;
      try {
        const accepted = await this.send(target, batch.controller.signal);
        for (const m of members) {
          try {
            await m.onPurged(k, accepted);
            m.done.add(k);
          } catch (err) {
            m.error ??= err;
          }
        }
      } catch (err) {
        failure = err;
        break;
      }
    }
    for (const m of batch.members) {
      m.detach();
      if (m.left) continue;
      const missing = m.pairs.some((p) => !m.done.has(pairKey(p)));
      if (m.error) m.reject(m.error);
      else if (missing) m.reject(failure ?? new DataSystemError('transient', 'Azure purge batch ended without every purge'));
      else m.resolve();
    }
  }
}

function aborted(): DataSystemError {
  return new DataSystemError('transient', 'aborted while waiting for the Azure purge batch');
}
