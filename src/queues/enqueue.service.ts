import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import {
  JOB,
  REQUESTS_QUEUE,
  checkJobOptions,
  jobId,
  laneName,
  requestJobOptions,
  taskJobOptions,
  type RequestJobData,
  type TaskJobData,
} from './queues.js';

// How long the API waits for Redis before answering without it (the reconciler queues the work later).
const FAST_TIMEOUT_MS = 500;

export interface TaskRef {
  id: string;
  system: string;
}

/** Puts work on the queues. Called after the database transaction that decided it has committed. */
@Injectable()
export class EnqueueService implements OnModuleDestroy {
  private readonly logger = new Logger(EnqueueService.name);
  private readonly lanes = new Map<string, Queue<TaskJobData>>();
  private laneConnection?: Redis;

  constructor(
    @InjectQueue(REQUESTS_QUEUE) private readonly requests: Queue<RequestJobData>,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** The lane (queue) of one data system; every lane of this process shares one connection. */
  lane(system: string): Queue<TaskJobData> {
    let q = this.lanes.get(system);
    if (!q) {
      this.laneConnection ??= new Redis(this.config.redisUrl, { maxRetriesPerRequest: null, connectionName: 'dsar-lanes-producer' });
      q = new Queue<TaskJobData>(laneName(system), { connection: this.laneConnection, prefix: this.config.queuePrefix });
      this.lanes.set(system, q);
    }
    return q;
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.all([...this.lanes.values()].map((q) => q.close().catch(() => undefined)));
    if (this.laneConnection) await this.laneConnection.quit().catch(() => this.laneConnection?.disconnect());
  }

  async verification(requestId: string, tag: string, opts: { onlyIfUnsent?: boolean } = {}): Promise<void> {
    await this.requests.add(JOB.sendVerification, { requestId, ...(opts.onlyIfUnsent ? { onlyIfUnsent: true } : {}) }, { ...requestJobOptions(), jobId: jobId.verification(requestId, tag) });
  }

  /** From the API: never holds an answer to the subject hostage to Redis (the reconciler catches up). */
  async tryVerification(requestId: string, tag: string): Promise<boolean> {
    return this.fast('verification', () => this.verification(requestId, tag));
  }

  // `suffix` gives the reconciler a fresh job id when a finished job with the plain id is still kept.
  async plan(requestId: string, suffix = ''): Promise<void> {
    await this.requests.add(JOB.plan, { requestId }, { ...requestJobOptions(), jobId: jobId.plan(requestId) + suffix });
  }

  async tryPlan(requestId: string): Promise<boolean> {
    return this.fast('plan', () => this.plan(requestId));
  }

  async finalize(requestId: string, round: number, suffix = ''): Promise<void> {
    await this.requests.add(JOB.finalize, { requestId }, { ...requestJobOptions(), jobId: jobId.finalize(requestId, round) + suffix });
  }

  /** A notice to the subject (its outbox row exists already; the worker renders and sends it). */
  async notice(requestId: string, kind: 'extension' | 'denial' | 'resend_result', suffix = ''): Promise<void> {
    await this.requests.add(JOB.notice, { requestId, kind }, { ...requestJobOptions(), jobId: jobId.notice(requestId, kind) + suffix });
  }

  async tryNotice(requestId: string, kind: 'extension' | 'denial' | 'resend_result', suffix = ''): Promise<boolean> {
    return this.fast('notice', () => this.notice(requestId, kind, suffix));
  }

  async tryFinalize(requestId: string, round: number): Promise<boolean> {
    return this.fast('finalize', () => this.finalize(requestId, round));
  }

  /** Each task on its system's lane. */
  async tasksRun(tasks: TaskRef[], round: number): Promise<void> {
    if (tasks.length === 0) return;
    const opts = taskJobOptions(this.config.taskAttempts, this.config.taskBackoffMs);
    const bySystem = new Map<string, TaskRef[]>();
    for (const t of tasks) bySystem.set(t.system, [...(bySystem.get(t.system) ?? []), t]);
    await Promise.all(
      [...bySystem].map(([system, list]) =>
        this.lane(system).addBulk(list.map((t) => ({ name: JOB.runTask, data: { taskId: t.id }, opts: { ...opts, jobId: jobId.runTask(t.id, round) } }))),
      ),
    );
  }

  async tryTasksRun(tasks: TaskRef[], round: number): Promise<boolean> {
    return this.fast('tasks', () => this.tasksRun(tasks, round));
  }

  /**
   * Makes sure a task has a live job under its own deterministic id: nothing to do if it is
   * waiting, delayed or active; a finished job of that id is removed and the job added again.
   * Returns whether a job was (re-)added. Using the plain id (never a suffix) means the next
   * reconciliation sees this job alive instead of adding yet another one.
   */
  async ensureTaskJob(task: TaskRef, round: number): Promise<boolean> {
    const job = await this.lane(task.system).getJob(jobId.runTask(task.id, round));
    if (job) {
      const state = await job.getState();
      if (['waiting', 'delayed', 'active', 'prioritized', 'waiting-children'].includes(state)) return false;
      await job.remove();
    }
    await this.tasksRun([task], round);
    return true;
  }

  async taskChecks(tasks: (TaskRef & { dueAtMs: number })[]): Promise<void> {
    await Promise.all(
      tasks.map((t) => this.lane(t.system).add(JOB.checkTask, { taskId: t.id }, { ...checkJobOptions(), jobId: jobId.checkTask(t.id, t.dueAtMs) })),
    );
  }

  /** The daily officer reminder (a job scheduler at `hourUtc`:00 UTC every day). */
  async scheduleReminders(hourUtc: number): Promise<void> {
    await this.requests.upsertJobScheduler('officer-reminders', { pattern: `0 ${hourUtc} * * *`, tz: 'UTC' }, {
      name: JOB.reminders,
      data: { requestId: '' },
      opts: { removeOnComplete: true, removeOnFail: 100, stackTraceLimit: 0 },
    });
  }

  /** The maintenance job (a BullMQ job scheduler): idempotent, re-done after Redis loses its data. */
  async scheduleMaintenance(everyMs: number): Promise<void> {
    await this.requests.upsertJobScheduler('maintenance', { every: everyMs }, {
      name: JOB.maintenance,
      data: { requestId: '' },
      opts: { removeOnComplete: true, removeOnFail: 100, stackTraceLimit: 0 },
    });
  }

  private async fast(what: string, add: () => Promise<void>): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        add(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`Redis did not answer within ${FAST_TIMEOUT_MS} ms`)), FAST_TIMEOUT_MS);
        }),
      ]);
      return true;
    } catch (err) {
      this.logger.warn(`Could not queue ${what} now (${(err as Error).message.slice(0, 120)}); the reconciler will`);
      return false;
    } finally {
      clearTimeout(timer);
    }
  }
}
