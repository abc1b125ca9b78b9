import { getQueueToken } from '@nestjs/bullmq';
import { Inject, Injectable, Logger, type Provider } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { Counter, Gauge } from 'prom-client';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { PrismaService } from '../prisma/prisma.service.js';
import { laneName, REQUESTS_QUEUE } from '../queues/queues.js';
import { REQUEST_STATUSES, REQUEST_TYPES } from '../requests/requests.dto.js';
import { OPEN_STATUSES } from '../requests/request-state.js';
import { atRiskWhere } from '../requests/risk.js';
import { SYSTEM_KEYS } from '../systems/keys.js';
import { newRegistry } from './metrics.js';

/** Days-left buckets of open requests, as `daysLeft` counts them (whole days until the due date). */
export const DAYS_LEFT_BUCKETS = [
  { label: 'overdue', below: 0 },
  { label: '0-2', below: 3 },
  { label: '3-5', below: 6 },
  { label: '6-10', below: 11 },
  { label: '11-20', below: 21 },
  { label: '21+', below: Infinity },
] as const;

export const QUEUE_STATES = ['waiting', 'prioritized', 'active', 'delayed', 'failed', 'waiting-children'] as const;

/** The request queue and every lane, as the API sees them (to count their jobs and show them). */
export const ALL_QUEUES = Symbol('ALL_QUEUES');
export const QUEUE_NAMES = [REQUESTS_QUEUE, ...SYSTEM_KEYS.map(laneName)];
export const allQueuesProvider: Provider = {
  provide: ALL_QUEUES,
  useFactory: (...queues: Queue[]) => queues,
  inject: QUEUE_NAMES.map((name) => getQueueToken(name)),
};

/**
 * The service's state for the API's /metrics, read from PostgreSQL and Redis when Prometheus
 * scrapes (a few grouped counts on indexed columns, and each queue's counts): requests by type
 * and status, open requests by days left, overdue and at-risk counts, tasks by system, status and
 * outcome, open officer actions, and per queue its job counts and oldest waiting job.
 */
@Injectable()
export class ApiMetrics {
  readonly registry = newRegistry();
  private readonly logger = new Logger('Metrics');
  private readonly failures = new Counter({
    name: 'dsar_metrics_collect_errors_total',
    help: 'Scrapes in which a collector could not read its source (its series are then missing)',
    labelNames: ['collector'] as const,
    registers: [this.registry],
  });

  constructor(
    private readonly prisma: PrismaService,
    @Inject(ALL_QUEUES) private readonly queues: Queue[],
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    // Queues report lost Redis connections as 'error' events (printed to stderr when nobody
    // listens): one warning per queue every 30 s, naming no address. /health/ready says it too.
    for (const queue of queues) {
      let last = 0;
      queue.on('error', (err: Error & { code?: string }) => {
        if (Date.now() - last < 30_000) return;
        last = Date.now();
        this.logger.warn(`Queue ${queue.name}: Redis error (${err.code ?? err.name})`);
      });
    }
    const open = [...OPEN_STATUSES];
    this.gauge('dsar_requests', 'Requests by type and status (every request the database holds)', ['type', 'status'], async (g) => {
      for (const type of REQUEST_TYPES) for (const status of REQUEST_STATUSES) g.set({ type, status }, 0);
      const rows = await this.prisma.sql<{ type: string; status: string; n: number }>(
        'SELECT type::text AS type, status::text AS status, count(*)::int AS n FROM dsar_requests GROUP BY 1, 2',
        [],
      );
      for (const r of rows) g.set({ type: r.type, status: r.status }, r.n);
    });
    this.gauge('dsar_requests_open_by_days_left', 'Open requests by whole days left until their due date (overdue: past it)', ['days_left'], async (g) => {
      for (const b of DAYS_LEFT_BUCKETS) g.set({ days_left: b.label }, 0);
      const rows = await this.prisma.sql<{ days: number; n: number }>(
        `SELECT floor(extract(epoch FROM (due_at - now())) / 86400)::int AS days, count(*)::int AS n
           FROM dsar_requests WHERE status::text = ANY($1::text[]) GROUP BY 1`,
        [open],
      );
      for (const r of rows) {
        const b = DAYS_LEFT_BUCKETS.find((x) => r.days < x.below)!;
        g.inc({ days_left: b.label }, r.n);
      }
    });
    this.gauge('dsar_requests_overdue', 'Open requests past their due date', [], async (g) => {
      g.set(await this.prisma.dsarRequest.count({ where: { status: { in: open }, dueAt: { lt: new Date() } } }));
    });
    this.gauge('dsar_requests_at_risk', 'Open requests at risk (failed tasks or open officer actions near the due date; as the console flags them)', [], async (g) => {
      g.set(await this.prisma.dsarRequest.count({ where: { AND: [{ status: { in: open } }, atRiskWhere(new Date(), this.config.atRiskMs)] } }));
    });
    this.gauge('dsar_tasks', 'Tasks by data system, status and outcome (outcome "none" until one is recorded)', ['system', 'status', 'outcome'], async (g) => {
      const rows = await this.prisma.sql<{ system: string; status: string; outcome: string; n: number }>(
        `SELECT system, status::text AS status, COALESCE(outcome, 'none') AS outcome, count(*)::int AS n FROM dsar_tasks GROUP BY 1, 2, 3`,
        [],
      );
      for (const r of rows) g.set({ system: r.system, status: r.status, outcome: r.outcome }, r.n);
    });
    this.gauge('dsar_officer_actions_open', 'Open officer actions by data system, and whether past their own due date', ['system', 'overdue'], async (g) => {
      const rows = await this.prisma.sql<{ system: string; overdue: boolean; n: number }>(
        `SELECT system, due_at < now() AS overdue, count(*)::int AS n FROM officer_actions WHERE status = 'open' GROUP BY 1, 2`,
        [],
      );
      for (const r of rows) g.set({ system: r.system, overdue: String(r.overdue) }, r.n);
    });
    this.gauge('dsar_queue_jobs', 'Jobs per queue and state (waiting = the queue depth)', ['queue', 'state'], async (g) => {
      for (const queue of this.queues) {
        const counts = await queue.getJobCounts(...QUEUE_STATES);
        for (const state of QUEUE_STATES) g.set({ queue: queue.name, state }, counts[state] ?? 0);
      }
    });
    this.gauge('dsar_queue_oldest_waiting_seconds', 'Age of the oldest job waiting in each queue (since it was added or last became due); 0 when none waits', ['queue'], async (g) => {
      for (const queue of this.queues) {
        const [oldest] = await queue.getJobs(['wait'], 0, 0, true);
        const readyAt = oldest ? Math.max(oldest.timestamp + (oldest.delay ?? 0), oldest.processedOn ?? 0) : Date.now();
        g.set({ queue: queue.name }, Math.max(0, (Date.now() - readyAt) / 1000));
      }
    });
  }

  // Read on every scrape; series of a failed read are left out (and the failure counted) so that
  // the rest of the scrape still answers.
  private gauge<L extends string>(name: string, help: string, labelNames: L[], read: (g: Gauge<L>) => Promise<void>): void {
    const collector = name.replace(/^dsar_/, '');
    const g: Gauge<L> = new Gauge<L>({
      name,
      help,
      labelNames,
      registers: [this.registry],
      collect: async () => {
        g.reset();
        try {
          await read(g);
        } catch (err) {
          g.reset();
          this.failures.inc({ collector });
          this.logger.warn(`Metrics: ${collector} could not be read (${(err as Error).name})`);
        }
      },
    });
  }
}
