import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { audit } from '../audit/audit.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import type { Prisma } from '../generated/prisma/client.js';
import type { TaskStatus } from '../generated/prisma/enums.js';
import { PrismaService } from '../prisma/prisma.service.js';
import { EnqueueService } from '../queues/enqueue.service.js';
import {
  DataSystemError,
  type AccessResult,
  type ErasureResult,
  type FailureKind,
  type OfficerActionSpec,
  type SubjectIdentifiers,
  type SystemRefs,
  type TaskContext,
} from '../systems/data-system.js';
import { SystemRegistry } from '../systems/registry.js';

export interface AttemptInfo {
  /** 1-based number of this attempt. */
  attempt: number;
  /** Whether the job layer will try again if this attempt fails with a retryable error. */
  willRetry: boolean;
  /** Aborted when the worker shuts down: the task goes back to its lane without spending an attempt. */
  signal: AbortSignal;
  /** Filled in for the job's log line and metrics: the task's request and the outcome recorded. */
  report?: TaskReport;
}

export interface TaskReport {
  requestId?: string;
  outcome?: string;
}

const DEFAULT_ACTION_DAYS = 7;
const DAY = 86_400_000;

export type RunOutcome = 'ended' | 'waiting' | 'already_ended';

// A vendor's rate limit is a reason to wait, not a failed attempt: up to this many times a task is
// put back for the wait the limit asks for without spending one of its attempts.
const MAX_DEFERRALS = 50;

/** Thrown when a task should simply run again later (rate limited): the consumer delays its job. */
export class TaskDeferred extends Error {
  constructor(readonly delayMs: number) {
    super(`deferred ${delayMs} ms`);
    this.name = 'TaskDeferred';
  }
}

interface Ending {
  outcome: string;
  result?: unknown;
  failure?: { kind: FailureKind; message: string };
  officerActions?: OfficerActionSpec[];
}

/** Runs one task (one data system for one request) and records its outcome. */
@Injectable()
export class TaskRunnerService {
  private readonly logger = new Logger(TaskRunnerService.name);

  constructor(
    private readonly prisma: PrismaService,
    private readonly registry: SystemRegistry,
    private readonly enqueue: EnqueueService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async run(taskId: string, info: AttemptInfo): Promise<RunOutcome> {
    // One statement claims the task (queued → running, or a running task whose run stopped renewing
    // its lease), with a token of this run and a lease, and reads what the run needs. Ended tasks,
    // tasks handed over to vendor-job checks, and requests no longer in progress match nothing.
    const token = randomUUID();
    const leaseMs = this.config.jobLockMs;
    const rows = await this.prisma.sql<ClaimedRow>(
      `UPDATE dsar_tasks t
          SET status = 'running', attempts = t.attempts + 1, started_at = COALESCE(t.started_at, now()),
              next_retry_at = NULL, updated_at = now(), claim_token = $2::uuid,
              lease_until = now() + ($3::int * interval '1 millisecond')
         FROM dsar_requests r
        WHERE t.id = $1::uuid AND r.id = t.request_id AND r.status = 'in_progress'
          AND (t.status = 'queued' OR (t.status = 'running' AND (t.lease_until IS NULL OR t.lease_until < now())))
    RETURNING t.id, t.system, t.attempts, t.auto_retries, t.refs, r.id AS request_id, r.type::text AS type,
              r.email, r.subject_identifiers, r.received_at, r.due_at`,
      [taskId, token, leaseMs],
    );
    const claimed = rows[0];
    if (!claimed) {
      // Another run holds it (a redelivered job while the first still runs): look again once its
      // lease has had time to lapse or the task has ended, without spending an attempt.
      const [held] = await this.prisma.sql<{ ms: number }>(
        `SELECT GREATEST(0, EXTRACT(EPOCH FROM (lease_until - now())) * 1000)::int AS ms FROM dsar_tasks WHERE id = $1::uuid AND status = 'running' AND lease_until >= now()`,
        [taskId],
      );
      if (held) throw new TaskDeferred(held.ms + 500);
      return 'already_ended';
    }
    const task: TaskState = {
      id: claimed.id,
      requestId: claimed.request_id,
      system: claimed.system,
      attempts: claimed.attempts,
      autoRetries: claimed.auto_retries,
      refs: claimed.refs,
      dueAt: claimed.due_at,
      claimToken: token,
    };
    if (info.report) info.report.requestId = claimed.request_id;
    const request = { type: claimed.type, email: claimed.email ?? '', subjectIdentifiers: claimed.subject_identifiers, receivedAt: claimed.received_at };
    // The lease is renewed while this run lasts (a long wait for a vendor's slot included).
    const heartbeat = setInterval(() => {
      void this.prisma
        .sql(`UPDATE dsar_tasks SET lease_until = now() + ($3::int * interval '1 millisecond'), updated_at = now() WHERE id = $1::uuid AND claim_token = $2::uuid AND status = 'running'`, [taskId, token, leaseMs])
        .catch(() => undefined);
    }, Math.max(200, Math.floor(leaseMs / 3)));
    heartbeat.unref();
    try {
      return await this.runClaimed(task, request, info);
    } finally {
      clearInterval(heartbeat);
      if (info.report && task.ended) info.report.outcome = task.ended;
    }
  }

  private async runClaimed(
    task: TaskState,
    request: { type: 'access' | 'erasure'; email: string; subjectIdentifiers: unknown; receivedAt: Date },
    info: AttemptInfo,
  ): Promise<RunOutcome> {
    const taskId = task.id;
    const system = this.registry.get(task.system);
    if (!system) {
      await this.end(task, 'failed', { outcome: 'failed', failure: { kind: 'permanent', message: 'No data system is registered under this key' } });
      return 'ended';
    }
    if (!system.isConfigured()) {
      // Nothing was done there, and the data map says data went there: a person must do it by hand.
      await this.end(task, 'skipped', { outcome: 'not_configured', officerActions: [manualAction(system.label, request.type)] });
      return 'ended';
    }

    const ctx = this.context(task, request, info.signal);
    try {
      const result: AccessResult | ErasureResult =
        request.type === 'access' ? await system.access(ctx) : await system.erase(ctx);
      const job = 'vendorJob' in result ? result.vendorJob : undefined;
      if (result.outcome === 'scheduled' && job && system.checkErasure && this.config.vendorJobMaxWaitMs > 0) {
        await this.wait(taskId, result, task.claimToken!);
        task.ended = 'scheduled';
        return 'waiting';
      }
      await this.end(task, 'done', { outcome: result.outcome, result, officerActions: result.officerActions });
      return 'ended';
    } catch (err) {
      if (info.signal.aborted) {
        // The worker is shutting down: back to the lane, nothing spent (progress is in the refs).
        await this.release(task, {}).catch(() => undefined);
        throw new TaskDeferred(0);
      }
      const e = asSystemError(err);
      const message = `${e.kind}: ${e.message}`.slice(0, 500);
      if (e.kind === 'rate_limited' && task.attempts < this.config.taskAttempts + MAX_DEFERRALS) {
        await this.release(task, { lastError: message, failureKind: e.kind });
        throw new TaskDeferred(e.retryAfterMs ?? this.config.taskBackoffMs);
      }
      if (e.retryable && info.willRetry) {
        await this.release(task, { lastError: message, failureKind: e.kind });
        this.logger.warn(`Task ${taskId} (${task.system}) attempt ${info.attempt} failed (${e.kind}); will retry`);
        throw e;
      }
      await this.end(task, 'failed', { outcome: 'failed', failure: { kind: e.kind, message } });
      this.logger.warn(`Task ${taskId} (${task.system}) failed (${e.kind}) after ${info.attempt} attempt(s)`);
      return 'ended';
    }
  }

  /** Back to queued for the next delivery, if this run still holds the task. */
  private async release(task: TaskState, data: { lastError?: string; failureKind?: string }): Promise<void> {
    await this.prisma.dsarTask.updateMany({
      where: { id: task.id, status: 'running', claimToken: task.claimToken ?? null },
      data: { status: 'queued', claimToken: null, leaseUntil: null, ...data },
    });
  }

  /** Follows an asynchronous vendor job: done → erased; failed → task failed; pending → check later. */
  async check(taskId: string, signal: AbortSignal, report?: TaskReport): Promise<void> {
    const row = await this.prisma.dsarTask.findUnique({ where: { id: taskId }, include: { request: true } });
    if (!row || row.status !== 'waiting') return;
    const task: TaskState = { ...row, dueAt: row.request.dueAt, claimToken: undefined };
    if (report) report.requestId = row.requestId;
    try {
      await this.checkWaiting(task, row, signal);
    } finally {
      if (report) report.outcome = task.ended ?? 'pending';
    }
  }

  private async checkWaiting(task: TaskState, row: WaitingRow, signal: AbortSignal): Promise<void> {
    const taskId = task.id;
    const system = this.registry.get(task.system);
    const result = row.result as unknown as ErasureResult | null;
    const job = result?.vendorJob;
    if (!system?.checkErasure || !job || !result) {
      await this.end(task, 'done', { outcome: 'scheduled', result });
      return;
    }
    const now = Date.now();
    let state;
    try {
      state = await system.checkErasure(this.context(task, row.request, signal), job);
    } catch (err) {
      // A failed check is not a failed deletion: look again at the next check.
      state = { state: 'pending' as const, status: `check failed (${asSystemError(err).kind})` };
    }
    if (state.state === 'done') {
      // The adapter may say what the whole result is now (other parts can still be scheduled);
      // otherwise the followed job was all there was to wait for.
      const confirmed: ErasureResult = state.finalResult ?? {
        ...result,
        outcome: 'erased',
        actions: result.actions.map((a) => (a.how === 'requested' ? { ...a, how: 'deleted' as const } : a)),
      };
      const done: ErasureResult = {
        ...confirmed,
        vendorJob: { ...job, status: state.status ?? 'done' },
        note: [confirmed.note, `The vendor confirmed the deletion job finished (${new Date(now).toISOString()}).`].filter(Boolean).join(' '),
      };
      await this.end(task, 'done', { outcome: done.outcome, result: done });
      return;
    }
    if (state.state === 'failed') {
      await this.end(task, 'failed', { outcome: 'failed', failure: { kind: 'transient', message: `vendor job failed: ${state.reason}`.slice(0, 500) } });
      return;
    }
    const waitingSince = row.waitingSince?.getTime() ?? now;
    if (now - waitingSince >= this.config.vendorJobMaxWaitMs) {
      // Explicitly "completed at the vendor's schedule": the vendor has the job, with its id and date.
      const scheduled: ErasureResult = {
        ...result,
        vendorJob: { ...job, status: state.status ?? job.status },
        note: [result.note, 'Completed at the vendor\'s schedule: the vendor accepted the deletion and had not confirmed it when we stopped checking.'].filter(Boolean).join(' '),
      };
      await this.end(task, 'done', { outcome: 'scheduled', result: scheduled });
      return;
    }
    await this.prisma.dsarTask.update({
      where: { id: taskId },
      data: {
        checks: { increment: 1 },
        nextCheckAt: new Date(now + this.config.vendorJobPollMs),
        result: { ...result, vendorJob: { ...job, status: state.status ?? job.status } } as unknown as Prisma.InputJsonValue,
      },
    });
  }

  private async wait(taskId: string, result: ErasureResult, claimToken: string): Promise<void> {
    const now = new Date();
    await this.prisma.$transaction(async (tx) => {
      const held = await tx.dsarTask.updateMany({ where: { id: taskId, claimToken, status: 'running' }, data: { claimToken: null, leaseUntil: null } });
      if (held.count === 0) return; // another run holds or ended it
      const task = await tx.dsarTask.update({
        where: { id: taskId },
        data: {
          status: 'waiting',
          outcome: 'scheduled',
          result: result as unknown as Prisma.InputJsonValue,
          lastError: null,
          waitingSince: now,
          checks: 0,
          nextCheckAt: new Date(now.getTime() + this.config.vendorJobPollMs),
        },
      });
      await audit(tx, {
        requestId: task.requestId,
        taskId,
        actor: 'system',
        action: 'task_waiting_for_vendor',
        fromStatus: 'running',
        toStatus: 'waiting',
        details: { system: task.system, vendorJob: result.vendorJob?.id ?? null },
      });
    });
  }

  private context(
    task: TaskState,
    request: { email: string | null; subjectIdentifiers: unknown; receivedAt: Date },
    signal: AbortSignal,
  ): TaskContext {
    let refs: SystemRefs = (task.refs as SystemRefs | null) ?? {};
    return {
      requestId: task.requestId,
      taskId: task.id,
      receivedAt: request.receivedAt,
      subject: (request.subjectIdentifiers as unknown as SubjectIdentifiers | null) ?? { email: request.email ?? '' },
      get refs() {
        return refs;
      },
      saveRefs: async (more) => {
        refs = { ...refs, ...more };
        await this.prisma.sql('UPDATE dsar_tasks SET refs = $2::jsonb, updated_at = now() WHERE id = $1::uuid', [task.id, JSON.stringify(refs)]);
      },
      signal,
    };
  }

  /**
   * Records a task's end and its audit event in one statement, only if the task has not ended
   * already (so a duplicate delivery changes nothing). Then, if no task of the request is still
   * open, queues the final step. The count runs after the commit: of two tasks ending at once,
   * the later commit sees zero (both may; the finalize job id is deterministic, so that is one job).
   */
  async end(task: TaskState, status: Extract<TaskStatus, 'done' | 'skipped' | 'failed'>, e: Ending): Promise<void> {
    task.ended = e.outcome;
    const now = new Date();
    const schedule = this.config.retryScheduleMs;
    const nextRetryAt =
      e.failure && e.failure.kind !== 'permanent' && task.autoRetries < schedule.length
        ? new Date(now.getTime() + schedule[task.autoRetries]!)
        : null;
    const result = e.result === undefined || e.result === null ? null : JSON.stringify(e.result);
    // Officer actions the adapter asked for: due within DEFAULT_ACTION_DAYS (or its own), never after
    // the request's due date.
    const dueAt = task.dueAt ?? new Date(now.getTime() + 30 * DAY);
    const actions = (e.officerActions ?? []).map((a) => ({
      kind: a.kind,
      instructions: a.instructions,
      outcome_when_done: a.outcomeWhenDone,
      due_at: new Date(Math.max(now.getTime() + 3_600_000, Math.min(now.getTime() + (a.dueInDays ?? DEFAULT_ACTION_DAYS) * DAY, dueAt.getTime()))).toISOString(),
    }));
    const details = JSON.stringify({
      system: task.system,
      outcome: e.outcome,
      ...(actions.length ? { officerActions: actions.map((a) => a.kind) } : {}),
      ...(e.failure ? { failure: e.failure.kind, nextRetryAt: nextRetryAt?.toISOString() ?? null } : {}),
    });
    // The subquery in RETURNING reads the row as it was before this statement: the old status.
    const ended = await this.prisma.sql<{ id: string }>(
      `WITH ended AS (
         UPDATE dsar_tasks
            SET status = $2::task_status, outcome = $3, last_error = $4, failure_kind = $5,
                result = COALESCE($6::jsonb, result), finished_at = $7, next_retry_at = $8,
                next_check_at = NULL, updated_at = $7, claim_token = NULL, lease_until = NULL
          WHERE id = $1::uuid AND status NOT IN ('done', 'skipped', 'failed', 'cancelled')
            AND ($11::uuid IS NULL OR claim_token = $11::uuid)
      RETURNING id, request_id, system, (SELECT status::text FROM dsar_tasks o WHERE o.id = $1::uuid) AS from_status
       ), acts AS (
         INSERT INTO officer_actions (id, request_id, task_id, system, kind, status, instructions, due_at, outcome_when_done, created_at)
         SELECT gen_random_uuid(), ended.request_id, ended.id, ended.system, a.kind, 'open', a.instructions, a.due_at, a.outcome_when_done, $7
           FROM ended, jsonb_to_recordset($10::jsonb) AS a(kind text, instructions text, due_at timestamptz, outcome_when_done text)
         ON CONFLICT (task_id, kind) DO NOTHING
       )
       INSERT INTO audit_events (request_id, task_id, actor, action, from_status, to_status, details, created_at)
       SELECT request_id, id, 'system', 'task_ended', from_status, $2, $9::jsonb, $7 FROM ended
       RETURNING task_id AS id`,
      [task.id, status, e.outcome, e.failure?.message ?? null, e.failure?.kind ?? null, result, now, nextRetryAt, details, JSON.stringify(actions), task.claimToken ?? null],
    );
    if (ended.length === 0) return;
    const [state] = await this.prisma.sql<{ round: number; open: string }>(
      `SELECT r.round,
              (SELECT count(*) FROM dsar_tasks t WHERE t.request_id = r.id AND t.status NOT IN ('done', 'skipped', 'failed', 'cancelled')) AS open
         FROM dsar_requests r WHERE r.id = $1::uuid`,
      [task.requestId],
    );
    if (state && Number(state.open) === 0) await this.enqueue.finalize(task.requestId, state.round);
  }
}

interface TaskState {
  id: string;
  requestId: string;
  system: string;
  attempts: number;
  autoRetries: number;
  refs: unknown;
  dueAt?: Date;
  /** The claim of the run ending it (none for vendor-job checks, which run on waiting tasks). */
  claimToken?: string;
  /** The outcome this run recorded (for the job's log line). */
  ended?: string;
}

type WaitingRow = Prisma.DsarTaskGetPayload<{ include: { request: true } }>;

interface ClaimedRow {
  id: string;
  system: string;
  attempts: number;
  auto_retries: number;
  refs: unknown;
  request_id: string;
  type: 'access' | 'erasure';
  email: string | null;
  subject_identifiers: unknown;
  received_at: Date;
  due_at: Date;
}

/** The officer action for a system this service could not contact (its credentials are not set). */
export function manualAction(label: string, type: 'access' | 'erasure'): OfficerActionSpec {
  const what =
    type === 'access'
      ? `look the subject up in ${label}'s own console or support channel (by their e-mail address and the product user id shown on this request), export what ${label} holds about them, and send it to them through the company's secure channel`
      : `find the subject in ${label}'s own console or ask ${label}'s support (by their e-mail address and the product user id shown on this request), delete every record about them, and note anything ${label} says it keeps`;
  return {
    kind: `manual_${type}`,
    outcomeWhenDone: type === 'access' ? 'forwarded' : 'erased',
    dueInDays: 14,
    instructions:
      `${label} is not connected to this service (its credentials are not set), so nothing was done there automatically. ` +
      `By hand: ${what}. Then complete this action with a note of what you did (outcome "not_found" if ${label} held nothing).`,
  };
}

function asSystemError(err: unknown): DataSystemError {
  if (err instanceof DataSystemError) return err;
  // Our own bugs and database hiccups: worth another attempt, reported by class only.
  const name = err instanceof Error ? err.name : 'Error';
  const code = (err as { code?: unknown })?.code;
  return new DataSystemError('transient', `unexpected ${name}${typeof code === 'string' ? ` (${code})` : ''}`);
}
