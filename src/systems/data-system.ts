import type { DataItemKey } from '../inventory/inventory.js';

/** What the subject is known by. Only verified or derived-from-verified identifiers appear here. */
export interface SubjectIdentifiers {
  /** Verified e-mail address, normalised (trimmed, lower-case). */
  email: string;
  /** The address exactly as the product's account store holds it (its capitalisation may differ). */
  storedEmail?: string;
  /** The product's own user id, when the product's store holds an account for the e-mail. */
  userId?: string;
}

/** Identifiers a system found for the subject (vendor ids, vendor job ids), as a flat record. */
export type SystemRefs = Record<string, unknown>;

export interface TaskContext {
  requestId: string;
  taskId: string;
  /** When the request was received (vendors' job windows start from it). */
  receivedAt: Date;
  subject: SubjectIdentifiers;
  /** Refs stored by an earlier attempt of this task (empty on the first attempt). */
  refs: SystemRefs;
  /**
   * Persists refs with the task (merged with what is stored) before returning. Call it with every
   * id found, before any destructive call, so a retry never depends on a lookup that a delete has
   * made impossible.
   */
  saveRefs(refs: SystemRefs): Promise<void>;
  /** Aborted when the worker shuts down or the job's time is up. */
  signal: AbortSignal;
}

/** One value of a data item, with where in the system it was found. */
export interface ItemValue {
  item: DataItemKey;
  value: unknown;
  /** Free-text pointer for the subject ("account profile", "invoice INV-0001", "contact 123"). */
  where?: string;
}

/**
 * Something a person must do because no API can (permanent deletion from a recycle bin, forwarding
 * a report the vendor sends to the company). Written by the adapter, in plain words: what to do,
 * where, and why. It becomes an officer action with its own due date inside the request's deadline.
 */
export interface OfficerActionSpec {
  /** Stable per adapter, e.g. "pardot_permanent_delete". One action per (task, kind). */
  kind: string;
  instructions: string;
  /** Due this many days from now, but never after the request's own due date (default 7). */
  dueInDays?: number;
  /** The task's outcome once an officer has done it, e.g. "erased" or "found". */
  outcomeWhenDone: string;
}

/** Data a system holds that cannot be shown back (e.g. a password hash), with where and why. */
export interface UnreadableRecord {
  item: DataItemKey;
  where: string;
  why: string;
}

export interface AccessResult {
  /**
   * found: data read back (items/records); not_found: the system was searched every way it allows
   * and holds nothing; action_required: the system answers out of band (e.g. Hotjar e-mails its
   * report to the company) and a person must forward the answer — never counted as "nothing held".
   */
  outcome: 'found' | 'not_found' | 'action_required';
  /** Values mapped onto the inventory's data items where the mapping is clear. */
  items: ItemValue[];
  /** Everything the system returned, raw (vendor records), for the section of the report. */
  records?: unknown[];
  /** Categories held there that cannot be read back. */
  unreadable?: UnreadableRecord[];
  /** Set when the system holds more than was read (e.g. an event history cut at a ceiling). */
  truncated?: { what: string; read: number; reason: string };
  officerActions?: OfficerActionSpec[];
  note?: string;
}

export interface RetainedRecord {
  item: DataItemKey;
  count: number;
  /** What exactly is kept, in plain words ("billing name, address, payer ID, plan and amount"). */
  what?: string;
  /** Why: the legal ground, or the vendor's own fixed retention. */
  reason: string;
  /** Until when, as a date or a period ("10 years from the invoice date"). */
  until?: string;
}

/** How one kind of record was dealt with. */
export type ActionHow =
  | 'deleted'
  | 'anonymised'
  // handed to the vendor, which carries it out later (a job, a purge, a request)
  | 'requested'
  // removed from use but restorable for a while (recycle bin, grace period)
  | 'recycled';

/**
 * The outcome of an erasure at one system, most complete first. Precedence when several apply
 * (see `erasureOutcome`): action_required > scheduled > restorable > retained > erased.
 *  - erased: removed now; nothing about the subject remains there.
 *  - retained: removed, except records kept on purpose (each with its reason and until when).
 *  - restorable: removed from use, but the vendor can still restore it for a while.
 *  - scheduled: the vendor accepted a deletion it carries out later (`vendorJob` when it gives one).
 *  - action_required: a person must finish it (see `officerActions`).
 *  - not_found: searched every way the system allows; it holds nothing about the subject.
 */
export type ErasureOutcome = 'erased' | 'retained' | 'restorable' | 'scheduled' | 'action_required' | 'not_found';

export interface ErasureResult {
  outcome: ErasureOutcome;
  /** What was removed, anonymised, requested or recycled, per kind of record. */
  actions: { what: string; count: number; how: ActionHow }[];
  /** Records kept on purpose, with the reason. */
  retained: RetainedRecord[];
  /** What remains at the vendor and why, in plain words (for officers and the subject). */
  remains?: string;
  vendorJob?: { id: string; expectedBy?: string; status?: string };
  officerActions?: OfficerActionSpec[];
  note?: string;
}

const PRECEDENCE: ErasureOutcome[] = ['action_required', 'scheduled', 'restorable', 'retained', 'erased'];

/** The outcome that says exactly what happened, from what was done (see ErasureOutcome). */
export function erasureOutcome(r: Pick<ErasureResult, 'actions' | 'retained' | 'officerActions'>): ErasureOutcome {
  const present = new Set<ErasureOutcome>();
  if (r.officerActions?.length) present.add('action_required');
  for (const a of r.actions) {
    if (a.count <= 0) continue;
    present.add(a.how === 'requested' ? 'scheduled' : a.how === 'recycled' ? 'restorable' : 'erased');
  }
  if (r.retained.some((x) => x.count > 0)) present.add('retained');
  return PRECEDENCE.find((o) => present.has(o)) ?? 'not_found';
}

/**
 * A place that holds personal data about a subject: the product's own store, or a processor.
 * Adding a data system is one class implementing this interface, plus its registration in
 * `src/systems/registry.ts`.
 */
export interface DataSystem {
  /** Stable key, used in task rows and job ids: lower-case, digits and dashes. */
  readonly key: string;
  /** Name shown to subjects and officers. */
  readonly label: string;
  /** Processor key in the inventory (`src/inventory`), or 'product' for the product's store. */
  readonly recipient: string;
  /** False when credentials are missing: the task then ends as "not configured", never "done". */
  isConfigured(): boolean;
  access(ctx: TaskContext): Promise<AccessResult>;
  erase(ctx: TaskContext): Promise<ErasureResult>;
  /**
   * For systems whose erasure is an asynchronous vendor job (`outcome: 'scheduled'` with a
   * `vendorJob`): asks the vendor how the job stands. The task is followed until 'done' (or a cap).
   */
  checkErasure?(ctx: TaskContext, job: VendorJob): Promise<VendorJobState>;
}

export type VendorJob = NonNullable<ErasureResult['vendorJob']>;

export type VendorJobState =
  // finalResult: the whole erasure result now, when more than the followed job was involved.
  | { state: 'done'; status?: string; finalResult?: ErasureResult }
  | { state: 'pending'; status?: string }
  | { state: 'failed'; reason: string };

export const DATA_SYSTEMS = Symbol('DATA_SYSTEMS');

/** Why a system call failed, in terms that decide what happens next. */
export type FailureKind =
  /** Network error, timeout, 5xx: retry with backoff. */
  | 'transient'
  /** 429 or a vendor quota: retry after `retryAfterMs`. */
  | 'rate_limited'
  /** Bad or missing credentials, insufficient scope: retrying will not help until fixed. */
  | 'auth'
  /** The request was refused for a reason that will not change (validation, 4xx). */
  | 'permanent';

export class DataSystemError extends Error {
  constructor(
    readonly kind: FailureKind,
    message: string,
    readonly retryAfterMs?: number,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'DataSystemError';
  }

  get retryable(): boolean {
    return this.kind === 'transient' || this.kind === 'rate_limited';
  }
}
