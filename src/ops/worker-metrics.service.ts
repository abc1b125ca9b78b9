import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { Counter, Histogram } from 'prom-client';
import { vendorCallChannel, type VendorCallEvent } from '../processors/http/vendor-http.js';
import { newRegistry, statusClass } from './metrics.js';

/** The vendor's name as adapters give it ("Inline Manual"), as a label value ("inline-manual"). */
export const vendorLabel = (name: string) => name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');

export interface JobReport {
  queue: string;
  job: string;
  requestId?: string;
  taskId?: string;
  system?: string;
  /** The task's outcome (erased, not_found, failed…) or what became of the job (done, retry, deferred, error). */
  outcome: string;
  durationMs: number;
}

/**
 * What a worker does, for its /metrics (WORKER_METRICS_PORT): jobs by queue, name and outcome with
 * their duration, task runs by system and outcome, and every vendor call (duration by vendor and
 * status class, 429s by vendor) as VendorHttpClient reports them. Also writes each job's log line.
 */
@Injectable()
export class WorkerMetrics implements OnModuleInit, OnModuleDestroy {
  readonly registry = newRegistry();
  private readonly logger = new Logger('Jobs');
  private readonly vendorDuration = new Histogram({
    name: 'dsar_vendor_call_duration_seconds',
    help: 'Duration of calls to processors (vendors), by vendor and HTTP status class (or timeout/network/aborted)',
    labelNames: ['vendor', 'status_class'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  private readonly rateLimited = new Counter({
    name: 'dsar_vendor_rate_limited_total',
    help: 'Vendor answers with HTTP 429 (rate limited), by vendor',
    labelNames: ['vendor'] as const,
    registers: [this.registry],
  });
  private readonly jobs = new Counter({
    name: 'dsar_jobs_total',
    help: 'Jobs this worker finished, by queue, job name and outcome',
    labelNames: ['queue', 'name', 'outcome'] as const,
    registers: [this.registry],
  });
  private readonly jobDuration = new Histogram({
    name: 'dsar_job_duration_seconds',
    help: 'Time this worker spent on a job, by queue and job name',
    labelNames: ['queue', 'name'] as const,
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300],
    registers: [this.registry],
  });
  private readonly taskRuns = new Counter({
    name: 'dsar_task_runs_total',
    help: 'Task runs and vendor-job checks by data system and the outcome they recorded (retry/deferred/error: none yet)',
    labelNames: ['system', 'outcome'] as const,
    registers: [this.registry],
  });
  private readonly onVendorCall = (message: unknown) => {
    const e = message as VendorCallEvent;
    const vendor = vendorLabel(e.vendor);
    this.vendorDuration.observe({ vendor, status_class: statusClass(e.status, e.failure) }, e.durationMs / 1000);
    if (e.status === 429) this.rateLimited.inc({ vendor });
  };

  onModuleInit(): void {
    vendorCallChannel.subscribe(this.onVendorCall);
  }

  onModuleDestroy(): void {
    vendorCallChannel.unsubscribe(this.onVendorCall);
  }

  /** One log line and the metrics of a job that ended (or was put back). Ids only: no personal data. */
  jobFinished(r: JobReport): void {
    this.jobs.inc({ queue: r.queue, name: r.job, outcome: r.outcome });
    this.jobDuration.observe({ queue: r.queue, name: r.job }, r.durationMs / 1000);
    if (r.system) this.taskRuns.inc({ system: r.system, outcome: r.outcome });
    const line = { msg: `job ${r.queue}/${r.job} ${r.outcome}`, ...r, durationMs: Math.round(r.durationMs) };
    if (r.outcome === 'error') this.logger.warn(line);
    else this.logger.log(line);
  }
}
