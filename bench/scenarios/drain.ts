// 2–4. Fulfilment drains: N verified erasure requests through our worker(s), and the same work
// through a bare BullMQ worker (baseline).
import { WORKER_NODE_FLAGS } from '../../src/worker-flags.js';
import { laneConcurrency, loadConfig } from '../../src/config/config.js';
import { SYSTEM_KEYS } from '../../src/systems/keys.js';
import { Queue } from 'bullmq';
import { loadavg } from 'node:os';
import type { QueryCounts } from '../lib/count-queries.js';
import { emptyTables, insertPlannedErasures, insertVerifiedErasures, requestCounts, subjects, taskCounts, waitUntil } from '../lib/db.js';
import { Child } from '../lib/ipc.js';
import { CHILD, deletePrefix, limitEnvName, log, newPrefix, seedFakes, serviceEnv, type BenchContext } from '../lib/context.js';
import type { FakeVendorServer } from '../../src/demo/fakes/index.js';
import { JOB, REQUESTS_QUEUE, jobId, requestJobOptions } from '../../src/queues/queues.js';

export const SYSTEMS = ['product-db', 'auth0', 'amplitude', 'azure-app-insights', 'hotjar', 'intercom', 'pardot', 'sendgrid', 'inline-manual'];

/** Which fake serves a limiter bucket of the service. */
export type FakeKey = 'auth0' | 'intercom' | 'amplitude' | 'hotjar' | 'pardot' | 'salesforce' | 'sendgrid' | 'inlineManual' | 'appInsights' | 'azureManagement';

/**
 * One limit of the vendor-limited drain: the service's limiter bucket (src/processors/http/
 * vendor-limiter.ts, env RATE_LIMIT_<BUCKET>) and the same limit enforced by the fake on the
 * group of endpoints that bucket covers.
 */
export interface VendorLimit {
  /** The service's bucket: 'auth0', 'amplitude:deletions' … */
  vendor: string;
  fake: FakeKey;
  /** The fake's limit group (`limitGroup`) for the bucket's calls. */
  group: string;
  /** The rate, per second (the service's RATE_LIMIT_<BUCKET> says it in `window`'s unit). */
  perSecond?: number;
  /**
   * How the fake counts it, as the vendor documents it: a rolling window ('s', 'm': per second,
   * per minute) or a token bucket ('bucket': Auth0's burst + sustained rate, burst = one second's).
   */
  window?: 's' | 'm' | 'bucket';
  maxConcurrent?: number;
  /** Added latency per call (ms), so that a concurrency limit bounds the rate. */
  latencyMs?: number;
  /** The service keeps its own default for this bucket (set on purpose under the vendor's limit). */
  serviceDefault?: boolean;
}

export interface VendorFigures {
  vendor: string;
  limit: string;
  /** The least time the bucket's accepted calls need at its limit (s). */
  lowerBoundSec: number;
  calls: number;
  accepted: number;
  rateLimited: number;
  callsPerSubject: number;
  windowSec: number;
  achievedPerSec: number;
  allowedPerSec: number;
  utilisation: number;
}

export interface DrainFigures {
  n: number;
  workers: number;
  tasks: number;
  seconds: number;
  tasksPerSec: number;
  msPerTask: number;
  requestsCompleted: number;
  requestsFailed: number;
  timedOut: boolean;
  queriesPerTask: number;
  txPerTask: number;
  topQueriesPerTask: [string, number][];
  peakRssMb: number[];
  /** Our worker(s): memoryUsage() at the highest RSS sampled (MB). */
  memoryAtPeak?: Record<string, number>[];
  vendorCallsPerTask: number;
  /** Mean PostgreSQL sessions of the bench database, sampled during the drain, by state. */
  pgSessions: { lockWait: number; active: number; idleInTx: number; samples: number };
  /** 1-minute load average at the start and the end (other work on the machine shows here). */
  loadAvg: [number, number];
  vendors?: VendorFigures[];
  /** 429s sent by any fake during the drain. */
  all429: number;
}

export function limitText(l: Pick<VendorLimit, 'perSecond' | 'maxConcurrent' | 'window'>): string {
  if (l.perSecond === undefined) return `${l.maxConcurrent}c`;
  return l.window === 'm' ? `${l.perSecond * 60}/m` : `${l.perSecond}/s`;
}

function applyLimits(ctx: BenchContext, limits: VendorLimit[]): void {
  for (const l of limits) {
    const f: FakeVendorServer = ctx.fakes[l.fake];
    const r = l.perSecond;
    f.setRateLimit(
      r === undefined
        ? { maxConcurrent: l.maxConcurrent }
        : l.window === 'm'
          ? { perMinute: r * 60 }
          : l.window === 'bucket'
            ? { tokenBucket: { size: r, perSecond: r } }
            : { perSecond: r },
      l.group,
    );
    if (l.latencyMs) f.slowNext(1e12, l.latencyMs);
  }
}

async function vendorFigures(ctx: BenchContext, n: number, limits: VendorLimit[]): Promise<VendorFigures[]> {
  // When fewer tasks than a concurrency limit's slots remain at a system, its slots cannot all be
  // busy any more (each task's calls are sequential): that tail is not counted as "having work".
  const tailStart = async (system: string, slots: number): Promise<number> => {
    const { rows } = await ctx.pool.query<{ t: Date }>('SELECT finished_at AS t FROM dsar_tasks WHERE system = $1 AND finished_at IS NOT NULL ORDER BY finished_at', [system]);
    const at = rows[rows.length - slots]?.t;
    return at ? at.getTime() : Infinity;
  };
  const tails = new Map<string, number>();
  for (const l of limits) if (l.maxConcurrent !== undefined) tails.set(l.vendor, await tailStart(l.vendor.split(':')[0]!, l.maxConcurrent));
  return limits.map((l) => {
    const f: FakeVendorServer = ctx.fakes[l.fake];
    const mine = f.log.filter((r) => f.limitGroup(r.method, r.path) === l.group);
    const ok = mine.filter((r) => r.status !== 429);
    const first = mine[0]?.at ?? 0;
    const last = ok.length ? ok[ok.length - 1]!.at : first;
    const windowSec = Math.max(0.001, (last - first) / 1000);
    const achieved = ok.length > 1 ? (ok.length - 1) / windowSec : 0;
    const allowed = l.perSecond ?? (l.maxConcurrent! * 1000) / (l.latencyMs ?? 1);
    // A concurrency limit is used as far as its slots are held at the vendor: the calls' time in
    // the fake over (window × slots). A rate: calls per second over the allowed rate.
    const lastEnd = Math.min(ok.length ? Math.max(...ok.map((r) => r.at + r.ms)) : first, tails.get(l.vendor) ?? Infinity);
    const busy = ok.reduce((a, r) => a + Math.max(0, Math.min(r.at + r.ms, lastEnd) - r.at), 0) / 1000;
    const utilisation = l.perSecond !== undefined ? achieved / allowed : busy / (Math.max(0.001, (lastEnd - first) / 1000) * l.maxConcurrent!);
    if (l.maxConcurrent !== undefined && process.env.BENCH_DEBUG_SLOTS) {
      // Share of the window spent at each number of calls in flight.
      const ev = ok.flatMap((r) => [[r.at, 1], [r.at + r.ms, -1]] as [number, number][]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
      const at: number[] = new Array(l.maxConcurrent + 2).fill(0);
      let c = 0;
      let t = first;
      for (const [time, d] of ev) {
        if (time > lastEnd) break;
        at[Math.min(c, l.maxConcurrent + 1)]! += time - t;
        t = time;
        c += d;
      }
      log(`${l.vendor} in flight: ${at.map((x, i) => `${i}:${((x / (lastEnd - first)) * 100).toFixed(0)}%`).join(' ')}; mean call ${(ok.reduce((a, r) => a + r.ms, 0) / ok.length).toFixed(0)} ms`);
    }
    // A rate: the first call is free, each further one needs 1/rate. Concurrency: every call
    // holds a slot for the fake's latency.
    // (A token bucket lets its first `size` calls through at once.)
    const free = l.window === 'bucket' ? l.perSecond! : 1;
    const lowerBoundSec = l.perSecond !== undefined ? Math.max(0, ok.length - free) / l.perSecond : (ok.length * (l.latencyMs ?? 0)) / 1000 / l.maxConcurrent!;
    return {
      vendor: l.vendor,
      limit: limitText(l) + (l.latencyMs ? ` @${l.latencyMs}ms` : ''),
      lowerBoundSec,
      calls: mine.length,
      accepted: ok.length,
      rateLimited: mine.length - ok.length,
      callsPerSubject: ok.length / n,
      windowSec,
      achievedPerSec: achieved,
      allowedPerSec: allowed,
      utilisation,
    };
  });
}

function totalVendorCalls(ctx: BenchContext): number {
  return ctx.fakes.all.reduce((s, f) => s + f.log.length, 0);
}

function perTask(counts: QueryCounts[], tasks: number): { q: number; tx: number; top: [string, number][] } {
  const total = counts.reduce((s, c) => s + c.total, 0);
  const tx = counts.reduce((s, c) => s + c.begin, 0);
  const merged: Record<string, number> = {};
  for (const c of counts) for (const [k, v] of Object.entries(c.byText)) merged[k] = (merged[k] ?? 0) + v;
  const top = Object.entries(merged)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 12)
    .map(([k, v]) => [k, Math.round((v / tasks) * 1000) / 1000] as [string, number]);
  return { q: total / tasks, tx: tx / tasks, top };
}

/** Our service: plan jobs enqueued for N verified erasures, drained by `workers` worker processes. */
export async function drainOurs(
  ctx: BenchContext,
  opts: { n: number; workers?: number; limits?: VendorLimit[]; label: string; env?: Record<string, string> },
): Promise<DrainFigures> {
  const { n } = opts;
  const workers = opts.workers ?? 1;
  const tag = `${ctx.runId}${opts.label}`.replace(/[^a-z0-9]/gi, '');
  await emptyTables(ctx.pool);
  const ids = await insertVerifiedErasures(ctx.pool, tag, n);
  seedFakes(ctx, subjects(tag, n));
  if (opts.limits) applyLimits(ctx, opts.limits);
  ctx.smtp.messages.length = 0;

  const prefix = newPrefix(ctx, opts.label);
  const limitEnv: Record<string, string> = {};
  for (const l of opts.limits ?? []) limitEnv[limitEnvName(l.vendor)] = l.serviceDefault ? '' : limitText(l);
  const env = serviceEnv(ctx, prefix, { ...limitEnv, ...opts.env });
  log(`${opts.label}: ours, N=${n} (${n * SYSTEMS.length} tasks), ${workers} worker process(es) × concurrency ${ctx.args.concurrency}`);
  const children = await Promise.all(
    Array.from({ length: workers }, () => Child.start(CHILD.worker, { env, nodeFlags: WORKER_NODE_FLAGS, cpuProfDir: ctx.args.cpuProf ? ctx.profileDir : undefined, showStdout: process.env.BENCH_SHOW_STDOUT === '1' })),
  );
  const callsBefore = totalVendorCalls(ctx);
  await Promise.all(children.map((c) => c.request('reset')));

  const queue = new Queue(REQUESTS_QUEUE, { connection: { url: ctx.redisUrl, maxRetriesPerRequest: null }, prefix });
  const sampler = samplePg(ctx);
  const load0 = loadavg()[0]!;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < ids.length; i += 500) {
    await queue.addBulk(
      ids.slice(i, i + 500).map((requestId) => ({
        name: JOB.plan,
        data: { requestId },
        opts: { ...requestJobOptions(), jobId: jobId.plan(requestId) },
      })),
    );
  }
  let counts: Record<string, number> = {};
  const finished = await waitUntil(async () => {
    counts = await requestCounts(ctx.pool);
    // Ended: answered (completed), some system to retry (failed), or answered with an officer's
    // step left (awaiting_action: Pardot's recycle bin after an erasure).
    return (counts.completed ?? 0) + (counts.failed ?? 0) + (counts.awaiting_action ?? 0) >= n;
  }, ctx.args.timeoutSec * 1000, 100);
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  log(`${opts.label}: bench process (fakes, SMTP, poller) CPU ${(((cpu.user + cpu.system) / 1e6 / seconds) * 100).toFixed(0)} % of one core over ${seconds.toFixed(1)} s`);
  const pgSessions = await sampler.stop();

  if (process.env.BENCH_HEAP_SNAPSHOT) await children[0]!.request('heapSnapshot', { path: `${process.env.BENCH_HEAP_SNAPSHOT}-${opts.label}.heapsnapshot` });
  const stats = await Promise.all(children.map((c) => c.request<{ queries: QueryCounts; atPeakMb?: Record<string, number> }>('stats')));
  const memoryAtPeak = stats.map((s) => s.atPeakMb ?? {});
  const peakRssMb = children.map((c) => c.peakRssMb());
  const tc = await taskCounts(ctx.pool);
  const tasks = (tc.done ?? 0) + (tc.failed ?? 0) + (tc.skipped ?? 0);
  const calls = totalVendorCalls(ctx) - callsBefore;
  const vendors = opts.limits ? await vendorFigures(ctx, n, opts.limits) : undefined;
  const all429 = ctx.fakes.all.reduce((s, f) => s + f.rateLimited, 0);
  await Promise.all(children.map((c) => c.stop()));
  await queue.close();
  await deletePrefix(ctx, prefix);
  const q = perTask(stats.map((s) => s.queries), Math.max(1, tasks));
  if (!finished) log(`${opts.label}: TIMED OUT after ${seconds.toFixed(0)} s: ${JSON.stringify(counts)} tasks ${JSON.stringify(tc)}`);
  return {
    n,
    workers,
    tasks,
    seconds,
    tasksPerSec: tasks / seconds,
    msPerTask: (seconds * 1000) / Math.max(1, tasks),
    requestsCompleted: (counts.completed ?? 0) + (counts.awaiting_action ?? 0),
    requestsFailed: counts.failed ?? 0,
    timedOut: !finished,
    queriesPerTask: q.q,
    txPerTask: q.tx,
    topQueriesPerTask: q.top,
    peakRssMb,
    memoryAtPeak,
    vendorCallsPerTask: calls / Math.max(1, tasks),
    vendors,
    all429,
    pgSessions,
    loadAvg: [load0, loadavg()[0]!],
  };
}

/** Tasks our worker can hold at once: every lane's concurrency, as the service configures them. */
export function totalLaneSlots(concurrency: number): number {
  const config = loadConfig({ WORKER_CONCURRENCY: String(concurrency) });
  return SYSTEM_KEYS.reduce((sum, k) => sum + laneConcurrency(config, k), 0);
}

/** Baseline: the same tasks' irreducible work through a bare BullMQ worker. */
export async function drainBaseline(ctx: BenchContext, opts: { n: number; label: string }): Promise<DrainFigures> {
  const { n } = opts;
  const tag = `${ctx.runId}${opts.label}`.replace(/[^a-z0-9]/gi, '');
  await emptyTables(ctx.pool);
  const rows = await insertPlannedErasures(ctx.pool, tag, n, SYSTEMS);
  seedFakes(ctx, subjects(tag, n));
  const prefix = newPrefix(ctx, opts.label);
  const queueName = 'baseline-tasks';
  // The same number of tasks in flight as our worker: the sum of its lanes' concurrencies.
  const slots = totalLaneSlots(ctx.args.concurrency);
  log(`${opts.label}: baseline, ${rows.length} tasks, bare BullMQ worker × concurrency ${slots} (our lanes' total)`);
  const child = await Child.start(CHILD.baselineWorker, {
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'production',
      DATABASE_URL: ctx.databaseUrl,
      REDIS_URL: ctx.redisUrl,
      QUEUE_PREFIX: prefix,
      BASELINE_QUEUE: queueName,
      WORKER_CONCURRENCY: String(slots),
      ...ctx.fakes.env,
    },
    cpuProfDir: ctx.args.cpuProf ? ctx.profileDir : undefined,
  });
  const callsBefore = totalVendorCalls(ctx);
  await child.request('reset');
  const queue = new Queue(queueName, { connection: { url: ctx.redisUrl, maxRetriesPerRequest: null }, prefix });
  const keep = { removeOnComplete: { age: 24 * 3600, count: 5000 }, removeOnFail: { age: 14 * 24 * 3600 } };
  const sampler = samplePg(ctx);
  const load0 = loadavg()[0]!;
  const t0 = performance.now();
  for (let i = 0; i < rows.length; i += 1000) {
    await queue.addBulk(
      rows.slice(i, i + 1000).map((r) => ({
        name: 'run-task',
        data: r,
        opts: { attempts: 3, backoff: { type: 'fixed', delay: 200 }, jobId: `task-${r.taskId}-r0`, ...keep },
      })),
    );
  }
  let tc: Record<string, number> = {};
  const finished = await waitUntil(async () => {
    tc = await taskCounts(ctx.pool);
    return (tc.done ?? 0) + (tc.failed ?? 0) >= rows.length;
  }, ctx.args.timeoutSec * 1000, 100);
  const seconds = (performance.now() - t0) / 1000;
  const pgSessions = await sampler.stop();
  const stats = await child.request<{ queries: QueryCounts }>('stats');
  const peak = child.peakRssMb();
  const calls = totalVendorCalls(ctx) - callsBefore;
  await child.stop();
  await queue.close();
  await deletePrefix(ctx, prefix);
  const tasks = (tc.done ?? 0) + (tc.failed ?? 0);
  const q = perTask([stats.queries], Math.max(1, tasks));
  if (!finished) log(`${opts.label}: baseline TIMED OUT: ${JSON.stringify(tc)}`);
  return {
    n,
    workers: 1,
    tasks,
    seconds,
    tasksPerSec: tasks / seconds,
    msPerTask: (seconds * 1000) / Math.max(1, tasks),
    requestsCompleted: 0,
    requestsFailed: tc.failed ?? 0,
    timedOut: !finished,
    queriesPerTask: q.q,
    txPerTask: q.tx,
    topQueriesPerTask: q.top,
    peakRssMb: [peak],
    vendorCallsPerTask: calls / Math.max(1, tasks),
    all429: ctx.fakes.all.reduce((s, f) => s + f.rateLimited, 0),
    pgSessions,
    loadAvg: [load0, loadavg()[0]!],
  };
}

/** Samples pg_stat_activity for the bench database every 100 ms until stopped. */
function samplePg(ctx: BenchContext): { stop: () => Promise<DrainFigures['pgSessions']> } {
  const acc = { lockWait: 0, active: 0, idleInTx: 0, samples: 0 };
  let running = true;
  const loop = (async () => {
    while (running) {
      const { rows } = await ctx.pool.query<{ lock: string; active: string; idle_tx: string }>(
        `SELECT count(*) FILTER (WHERE wait_event_type = 'Lock') AS lock,
                count(*) FILTER (WHERE state = 'active') - 1 AS active,
                count(*) FILTER (WHERE state = 'idle in transaction') AS idle_tx
         FROM pg_stat_activity WHERE datname = current_database()`,
      );
      acc.lockWait += Number(rows[0]!.lock);
      acc.active += Number(rows[0]!.active);
      acc.idleInTx += Number(rows[0]!.idle_tx);
      acc.samples++;
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      const k = Math.max(1, acc.samples);
      return { lockWait: acc.lockWait / k, active: acc.active / k, idleInTx: acc.idleInTx / k, samples: acc.samples };
    },
  };
}
