import { Inject, Injectable, Logger } from '@nestjs/common';
import { audit } from '../audit/audit.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { Prisma, type DsarRequest, type DsarTask } from '../generated/prisma/client.js';
import type { TaskStatus } from '../generated/prisma/enums.js';
import { PrismaService } from '../prisma/prisma.service.js';
import { EnqueueService } from '../queues/enqueue.service.js';
import { lockRequest } from '../requests/requests.service.js';
import { TERMINAL_TASK_STATUSES } from '../requests/request-state.js';
import {
  DataSystemError,
  type AccessResult,
  type ErasureResult,
  type FailureKind,
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
  signal: AbortSignal;
}

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
    const task = await this.prisma.dsarTask.findUnique({ where: { id: taskId }, include: { request: true } });
    // Ended, or handed over to vendor-job checks: a duplicate delivery does nothing.
    if (!task || TERMINAL_TASK_STATUSES.includes(task.status) || task.status === 'waiting') return 'already_ended';
    const request = task.request;
    if (request.status !== 'in_progress') return 'already_ended';

    const system = this.registry.get(task.system);
    if (!system) {
      await this.end(taskId, 'failed', { outcome: 'failed', failure: { kind: 'permanent', message: 'No data system is registered under this key' } });
      return 'ended';
    }
    if (!system.isConfigured()) {
      await this.end(taskId, 'skipped', { outcome: 'not_configured' });
      return 'ended';
    }

    await this.prisma.dsarTask.update({
      where: { id: taskId },
      data: { status: 'running', attempts: { increment: 1 }, startedAt: task.startedAt ?? new Date(), nextRetryAt: null },
    });
    const ctx = this.context(task, request, info.signal);
    try {
      const result: AccessResult | ErasureResult =
        request.type === 'access' ? await system.access(ctx) : await system.erase(ctx);
      const job = 'vendorJob' in result ? result.vendorJob : undefined;
      if (result.outcome === 'scheduled' && job && system.checkErasure && this.config.vendorJobMaxWaitMs > 0) {
        await this.wait(taskId, result);
        return 'waiting';
      }
      await this.end(taskId, 'done', { outcome: result.outcome, result });
      return 'ended';
    } catch (err) {
      const e = asSystemError(err);
      const message = `${e.kind}: ${e.message}`.slice(0, 500);
      if (e.kind === 'rate_limited' && task.attempts < this.config.taskAttempts + MAX_DEFERRALS) {
        await this.prisma.dsarTask.update({ where: { id: taskId }, data: { status: 'queued', lastError: message, failureKind: e.kind } });
        throw new TaskDeferred(e.retryAfterMs ?? this.config.taskBackoffMs);
      }
      if (e.retryable && info.willRetry) {
        await this.prisma.dsarTask.update({ where: { id: taskId }, data: { status: 'queued', lastError: message, failureKind: e.kind } });
        this.logger.warn(`Task ${taskId} (${task.system}) attempt ${info.attempt} failed (${e.kind}); will retry`);
        throw e;
      }
      await this.end(taskId, 'failed', { outcome: 'failed', failure: { kind: e.kind, message } });
      this.logger.warn(`Task ${taskId} (${task.system}) failed (${e.kind}) after ${info.attempt} attempt(s)`);
      return 'ended';
    }
  }

  /** Follows an asynchronous vendor job: done → erased; failed → task failed; pending → check later. */
  async check(taskId: string, signal: AbortSignal): Promise<void> {
    const task = await this.prisma.dsarTask.findUnique({ where: { id: taskId }, include: { request: true } });
    if (!task || task.status !== 'waiting') return;
    const system = this.registry.get(task.system);
    const result = task.result as unknown as ErasureResult | null;
    const job = result?.vendorJob;
    if (!system?.checkErasure || !job || !result) {
      await this.end(taskId, 'done', { outcome: 'scheduled', result });
      return;
    }
    const now = Date.now();
    let state;
    try {
      state = await system.checkErasure(this.context(task, task.request, signal), job);
    } catch (err) {
      // A failed check is not a failed deletion: look again at the next check.
      state = { state: 'pending' as const, status: `check failed (${asSystemError(err).kind})` };
    }
    if (state.state === 'done') {
      const confirmed: ErasureResult = {
        ...result,
        outcome: 'erased',
        vendorJob: { ...job, status: state.status ?? 'done' },
        note: [result.note, `The vendor confirmed the deletion job finished (${new Date(now).toISOString()}).`].filter(Boolean).join(' '),
      };
      await this.end(taskId, 'done', { outcome: 'erased', result: confirmed });
      return;
    }
    if (state.state === 'failed') {
      await this.end(taskId, 'failed', { outcome: 'failed', failure: { kind: 'transient', message: `vendor job failed: ${state.reason}`.slice(0, 500) } });
      return;
    }
    const waitingSince = task.waitingSince?.getTime() ?? now;
    if (now - waitingSince >= this.config.vendorJobMaxWaitMs) {
      // Explicitly "completed at the vendor's schedule": the vendor has the job, with its id and date.
      const scheduled: ErasureResult = {
        ...result,
        vendorJob: { ...job, status: state.status ?? job.status },
        note: [result.note, 'Completed at the vendor\'s schedule: the vendor accepted the deletion and had not confirmed it when we stopped checking.'].filter(Boolean).join(' '),
      };
      await this.end(taskId, 'done', { outcome: 'scheduled', result: scheduled });
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

  private async wait(taskId: string, result: ErasureResult): Promise<void> {
    const now = new Date();
    await this.prisma.$transaction(async (tx) => {
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

  private context(task: DsarTask, request: DsarRequest, signal: AbortSignal): TaskContext {
    let refs: SystemRefs = (task.refs as SystemRefs | null) ?? {};
    return {
      requestId: request.id,
      taskId: task.id,
      subject: (request.subjectIdentifiers as unknown as SubjectIdentifiers | null) ?? { email: request.email },
      get refs() {
        return refs;
      },
      saveRefs: async (more) => {
        refs = { ...refs, ...more };
        await this.prisma.dsarTask.update({ where: { id: task.id }, data: { refs: refs as Prisma.InputJsonValue } });
      },
      signal,
    };
  }

  /**
   * Records a task's end and, if it was the request's last open task, queues the final step. The
   * request row is locked so that two tasks ending at once cannot both miss (or both see) the end.
   */
  async end(taskId: string, status: Extract<TaskStatus, 'done' | 'skipped' | 'failed'>, e: Ending): Promise<void> {
    const now = new Date();
    const finalize = await this.prisma.$transaction(async (tx) => {
      const task = await tx.dsarTask.findUniqueOrThrow({
        where: { id: taskId },
        select: { requestId: true, status: true, system: true, autoRetries: true },
      });
      const request = await lockRequest(tx, task.requestId);
      if (!request || TERMINAL_TASK_STATUSES.includes(task.status)) return null;
      const schedule = this.config.retryScheduleMs;
      const nextRetryAt =
        e.failure && e.failure.kind !== 'permanent' && task.autoRetries < schedule.length
          ? new Date(now.getTime() + schedule[task.autoRetries]!)
          : null;
      await tx.dsarTask.update({
        where: { id: taskId },
        data: {
          status,
          outcome: e.outcome,
          lastError: e.failure?.message ?? null,
          failureKind: e.failure?.kind ?? null,
          result: e.result === undefined || e.result === null ? undefined : (e.result as Prisma.InputJsonValue),
          finishedAt: now,
          nextRetryAt,
          nextCheckAt: null,
        },
      });
      await audit(tx, {
        requestId: task.requestId,
        taskId,
        actor: 'system',
        action: 'task_ended',
        fromStatus: task.status,
        toStatus: status,
        details: { system: task.system, outcome: e.outcome, ...(e.failure ? { failure: e.failure.kind, nextRetryAt: nextRetryAt?.toISOString() ?? null } : {}) },
      });
      const open = await tx.dsarTask.count({
        where: { requestId: task.requestId, status: { notIn: [...TERMINAL_TASK_STATUSES] } },
      });
      return open === 0 ? { requestId: task.requestId, round: request.round } : null;
    });
    if (finalize) await this.enqueue.finalize(finalize.requestId, finalize.round);
  }
}

function asSystemError(err: unknown): DataSystemError {
  if (err instanceof DataSystemError) return err;
  // Our own bugs and database hiccups: worth another attempt, reported by class only.
  const name = err instanceof Error ? err.name : 'Error';
  const code = (err as { code?: unknown })?.code;
  return new DataSystemError('transient', `unexpected ${name}${typeof code === 'string' ? ` (${code})` : ''}`);
}
