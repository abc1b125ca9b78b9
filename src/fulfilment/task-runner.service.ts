import { Injectable, Logger } from '@nestjs/common';
import { audit } from '../audit/audit.js';
import { Prisma } from '../generated/prisma/client.js';
import type { TaskStatus } from '../generated/prisma/enums.js';
import { PrismaService } from '../prisma/prisma.service.js';
import { EnqueueService } from '../queues/enqueue.service.js';
import { lockRequest } from '../requests/requests.service.js';
import { TERMINAL_TASK_STATUSES } from '../requests/request-state.js';
import {
  DataSystemError,
  type AccessResult,
  type ErasureResult,
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

export type RunOutcome = 'ended' | 'already_ended' | 'retry';

/** Runs one task (one data system for one request) and records its outcome. */
@Injectable()
export class TaskRunnerService {
  private readonly logger = new Logger(TaskRunnerService.name);

  constructor(
    private readonly prisma: PrismaService,
    private readonly registry: SystemRegistry,
    private readonly enqueue: EnqueueService,
  ) {}

  async run(taskId: string, info: AttemptInfo): Promise<RunOutcome> {
    const task = await this.prisma.dsarTask.findUnique({ where: { id: taskId }, include: { request: true } });
    if (!task || TERMINAL_TASK_STATUSES.includes(task.status)) return 'already_ended';
    const request = task.request;
    if (request.status !== 'in_progress') return 'already_ended';

    const system = this.registry.get(task.system);
    if (!system) {
      await this.end(taskId, 'failed', { outcome: 'unknown_system', lastError: 'No data system is registered under this key' });
      return 'ended';
    }
    if (!system.isConfigured()) {
      await this.end(taskId, 'skipped', { outcome: 'not_configured', lastError: null });
      return 'ended';
    }

    await this.prisma.dsarTask.update({
      where: { id: taskId },
      data: { status: 'running', attempts: { increment: 1 }, startedAt: task.startedAt ?? new Date(), nextRetryAt: null },
    });

    let refs: SystemRefs = (task.refs as SystemRefs | null) ?? {};
    const ctx: TaskContext = {
      requestId: request.id,
      taskId,
      subject: (request.subjectIdentifiers as unknown as SubjectIdentifiers | null) ?? { email: request.email },
      refs,
      saveRefs: async (more) => {
        refs = { ...refs, ...more };
        await this.prisma.dsarTask.update({ where: { id: taskId }, data: { refs: refs as Prisma.InputJsonValue } });
      },
      signal: info.signal,
    };

    try {
      const result: AccessResult | ErasureResult =
        request.type === 'access' ? await system.access(ctx) : await system.erase(ctx);
      await this.end(taskId, 'done', { outcome: result.outcome, lastError: null, result });
      return 'ended';
    } catch (err) {
      const e = asSystemError(err);
      const message = `${e.kind}: ${e.message}`.slice(0, 500);
      if (e.retryable && info.willRetry) {
        await this.prisma.dsarTask.update({ where: { id: taskId }, data: { status: 'queued', lastError: message } });
        this.logger.warn(`Task ${taskId} (${task.system}) attempt ${info.attempt} failed (${e.kind}); will retry`);
        throw e;
      }
      await this.end(taskId, 'failed', { outcome: 'failed', lastError: message });
      this.logger.warn(`Task ${taskId} (${task.system}) failed (${e.kind}) after ${info.attempt} attempt(s)`);
      return 'ended';
    }
  }

  /**
   * Records a task's end and, if it was the request's last open task, queues the final step. The
   * request row is locked so that two tasks ending at once cannot both miss (or both see) the end.
   */
  async end(
    taskId: string,
    status: Extract<TaskStatus, 'done' | 'skipped' | 'failed'>,
    data: { outcome: string; lastError: string | null; result?: unknown },
  ): Promise<void> {
    const finalize = await this.prisma.$transaction(async (tx) => {
      const task = await tx.dsarTask.findUniqueOrThrow({ where: { id: taskId }, select: { requestId: true, status: true, system: true } });
      const request = await lockRequest(tx, task.requestId);
      if (!request || TERMINAL_TASK_STATUSES.includes(task.status)) return null;
      await tx.dsarTask.update({
        where: { id: taskId },
        data: {
          status,
          outcome: data.outcome,
          lastError: data.lastError,
          result: data.result === undefined ? undefined : (data.result as Prisma.InputJsonValue),
          finishedAt: new Date(),
          nextRetryAt: null,
        },
      });
      await audit(tx, {
        requestId: task.requestId,
        taskId,
        actor: 'system',
        action: 'task_ended',
        fromStatus: task.status,
        toStatus: status,
        details: { system: task.system, outcome: data.outcome },
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
  return new DataSystemError('transient', `unexpected ${name}`);
}
