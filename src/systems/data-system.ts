import type { DataItemKey } from '../inventory/inventory.js';

/** What the subject is known by. Only verified or derived-from-verified identifiers appear here. */
export interface SubjectIdentifiers {
  /** Verified e-mail address, normalised (trimmed, lower-case). */
  email: string;
  /** The product's own user id, when the product's store holds an account for the e-mail. */
  userId?: string;
}

/** Identifiers a system found for the subject (vendor ids, vendor job ids), as a flat record. */
export type SystemRefs = Record<string, unknown>;

export interface TaskContext {
  requestId: string;
  taskId: string;
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

export interface AccessResult {
  /** requested: the system accepted the request and answers out of band (e.g. a report it e-mails). */
  outcome: 'found' | 'not_found' | 'requested';
  /** Values mapped onto the inventory's data items where the mapping is clear. */
  items: ItemValue[];
  /** Everything the system returned, raw (vendor records), for the section of the report. */
  records?: unknown[];
  note?: string;
}

export interface RetainedRecord {
  item: DataItemKey;
  count: number;
  reason: string;
}

export interface ErasureResult {
  /**
   * erased: removed (or anonymised) now; not_found: nothing held; scheduled: the vendor accepted
   * the deletion and will carry it out later (see `vendorJob`).
   */
  outcome: 'erased' | 'not_found' | 'scheduled';
  /** What was removed or anonymised, per kind of record. */
  actions: { what: string; count: number; how: 'deleted' | 'anonymised' | 'requested' }[];
  /** Records kept on purpose, with the legal reason. */
  retained: RetainedRecord[];
  vendorJob?: { id: string; expectedBy?: string; status?: string };
  note?: string;
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
  | { state: 'done'; status?: string }
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
