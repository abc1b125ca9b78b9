// 5. Access at Amplitude's real limit: verified access requests for subjects present at Amplitude,
// every fake enforcing its vendor's documented limit (Amplitude: 360 queries/hour, 10 concurrent)
// and the service on its default settings. Every request must be answered in about (Amplitude
// calls needed × 10 s), without a 429 and without a task attempt spent on waiting.
import { WORKER_NODE_FLAGS } from '../../src/worker-flags.js';
import { Queue } from 'bullmq';
import { enforceDocumentedLimits } from '../../src/demo/fakes/index.js';
import { JOB, REQUESTS_QUEUE, jobId, requestJobOptions } from '../../src/queues/queues.js';
import { emptyTables, insertVerifiedRequests, subjects, waitUntil } from '../lib/db.js';
import { Child } from '../lib/ipc.js';
import { CHILD, deletePrefix, log, newPrefix, seedFakes, serviceEnv, UNLIMITED_VENDORS, type BenchContext } from '../lib/context.js';

/** 360 queries an hour, spread evenly. */
export const AMPLITUDE_SPACING_SEC = 10;

export interface AccessFigures {
  n: number;
  seconds: number;
  /** usersearch + useractivity calls Amplitude accepted. */
  amplitudeCalls: number;
  /** 1.2 × calls × 10 s: the target. */
  boundSec: number;
  /** 429s sent by any fake. */
  rateLimited: number;
  answered: number;
  /** The most attempts any Amplitude task took. */
  amplitudeAttempts: number;
  timedOut: boolean;
}

export async function runAccess(ctx: BenchContext, opts: { n: number; label: string; amplitudeEvents: number }): Promise<AccessFigures> {
  const tag = `${ctx.runId}${opts.label}`.replace(/[^a-z0-9]/gi, '');
  await emptyTables(ctx.pool);
  const ids = await insertVerifiedRequests(ctx.pool, tag, opts.n, 'access');
  seedFakes(ctx, subjects(tag, opts.n), { amplitudeEvents: opts.amplitudeEvents });
  enforceDocumentedLimits(ctx.fakes);
  ctx.smtp.messages.length = 0;
  const prefix = newPrefix(ctx, opts.label);
  // The service's own defaults for every vendor limit ('' falls back to the documented default).
  const defaults = Object.fromEntries(Object.keys(UNLIMITED_VENDORS).map((k) => [k, '']));
  const env = serviceEnv(ctx, prefix, { ...defaults, RATE_LIMIT_AZURE_APP_INSIGHTS_PURGE: '' });
  log(`${opts.label}: ${opts.n} access request(s) at the documented limits (Amplitude 360/h)`);
  const worker = await Child.start(CHILD.worker, { env, nodeFlags: WORKER_NODE_FLAGS, showStdout: process.env.BENCH_SHOW_STDOUT === '1' });
  const queue = new Queue(REQUESTS_QUEUE, { connection: { url: ctx.redisUrl, maxRetriesPerRequest: null }, prefix });
  const t0 = performance.now();
  await queue.addBulk(ids.map((requestId) => ({ name: JOB.plan, data: { requestId }, opts: { ...requestJobOptions(), jobId: jobId.plan(requestId) } })));
  let answered = 0;
  const finished = await waitUntil(async () => {
    const { rows } = await ctx.pool.query<{ n: string }>("SELECT count(*) AS n FROM dsar_requests WHERE result_sent_at IS NOT NULL AND status IN ('completed', 'awaiting_action')");
    answered = Number(rows[0]!.n);
    return answered >= opts.n;
  }, ctx.args.timeoutSec * 1000, 200);
  const seconds = (performance.now() - t0) / 1000;
  const { rows } = await ctx.pool.query<{ max: number | null }>("SELECT max(attempts) AS max FROM dsar_tasks WHERE system = 'amplitude'");
  const amp = ctx.fakes.amplitude;
  const amplitudeCalls = amp.log.filter((r) => amp.limitGroup(r.method, r.path) === 'dashboard' && r.status !== 429).length;
  const rateLimited = ctx.fakes.all.reduce((s, f) => s + f.rateLimited, 0);
  await worker.stop();
  await queue.close();
  await deletePrefix(ctx, prefix);
  if (!finished) log(`${opts.label}: TIMED OUT after ${seconds.toFixed(0)} s, ${answered}/${opts.n} answered`);
  return {
    n: opts.n,
    seconds,
    amplitudeCalls,
    boundSec: 1.2 * amplitudeCalls * AMPLITUDE_SPACING_SEC,
    rateLimited,
    answered,
    amplitudeAttempts: rows[0]?.max ?? 0,
    timedOut: !finished,
  };
}
