import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { randomUUID } from 'node:crypto';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import {
  JOB,
  REQUESTS_QUEUE,
  TASKS_QUEUE,
  jobId,
  requestJobOptions,
  taskJobOptions,
  type RequestJobData,
  type TaskJobData,
} from './queues.js';

/** Puts work on the queues. Called after the database transaction that decided it has committed. */
@Injectable()
export class EnqueueService {
  constructor(
    @InjectQueue(REQUESTS_QUEUE) private readonly requests: Queue<RequestJobData>,
    @InjectQueue(TASKS_QUEUE) private readonly tasks: Queue<TaskJobData>,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async verification(requestId: string, nonce: string = randomUUID()): Promise<void> {
    await this.requests.add(JOB.sendVerification, { requestId }, {
      ...requestJobOptions(),
      jobId: jobId.verification(requestId, nonce),
    });
  }

  // `suffix` gives the reconciler a fresh job id when a finished job with the plain id is still kept.
  async plan(requestId: string, suffix = ''): Promise<void> {
    await this.requests.add(JOB.plan, { requestId }, { ...requestJobOptions(), jobId: jobId.plan(requestId) + suffix });
  }

  async finalize(requestId: string, round: number, suffix = ''): Promise<void> {
    await this.requests.add(JOB.finalize, { requestId }, {
      ...requestJobOptions(),
      jobId: jobId.finalize(requestId, round) + suffix,
    });
  }

  async tasksRun(taskIds: string[], round: number): Promise<void> {
    if (taskIds.length === 0) return;
    const opts = taskJobOptions(this.config.taskAttempts, this.config.taskBackoffMs);
    await this.tasks.addBulk(
      taskIds.map((taskId) => ({
        name: JOB.runTask,
        data: { taskId },
        opts: { ...opts, jobId: jobId.runTask(taskId, round) },
      })),
    );
  }

  /**
   * Makes sure a task has a live job under its own deterministic id: nothing to do if it is
   * waiting, delayed or active; a finished job of that id is removed and the job added again.
   * Returns whether a job was (re-)added. Using the plain id (never a suffix) means the next
   * reconciliation sees this job alive instead of adding yet another one.
   */
  async ensureTaskJob(taskId: string, round: number): Promise<boolean> {
    const job = await this.tasks.getJob(jobId.runTask(taskId, round));
    if (job) {
      const state = await job.getState();
      if (['waiting', 'delayed', 'active', 'prioritized', 'waiting-children'].includes(state)) return false;
      await job.remove();
    }
    await this.tasksRun([taskId], round);
    return true;
  }

  async taskChecks(tasks: { id: string; checks: number }[]): Promise<void> {
    if (tasks.length === 0) return;
    await this.tasks.addBulk(
      tasks.map((t) => ({
        name: JOB.checkTask,
        data: { taskId: t.id },
        opts: { ...requestJobOptions(), attempts: 1, jobId: jobId.checkTask(t.id, t.checks) },
      })),
    );
  }

  /** The maintenance job (a BullMQ job scheduler): idempotent, re-done after Redis loses its data. */
  async scheduleMaintenance(everyMs: number): Promise<void> {
    await this.requests.upsertJobScheduler('maintenance', { every: everyMs }, {
      name: JOB.maintenance,
      data: { requestId: '' },
      opts: { removeOnComplete: true, removeOnFail: 100 },
    });
  }
}
