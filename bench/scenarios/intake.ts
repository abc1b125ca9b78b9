// 1. Intake: POST /v1/requests with unique bodies at N connections, ours vs the bare baseline.
import { WORKER_NODE_FLAGS } from '../../src/worker-flags.js';
import autocannon from 'autocannon';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { QueryCounts } from '../lib/count-queries.js';
import { emptyTables, waitUntil } from '../lib/db.js';
import { Child } from '../lib/ipc.js';
import { CHILD, deletePrefix, log, newPrefix, serviceEnv, type BenchContext } from '../lib/context.js';

export interface IntakeFigures {
  requestsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
  total2xx: number;
  queriesPerRequest: number;
  topQueries: [string, number][];
  apiPeakRssMb: number;
}

export interface MailFigures {
  expected: number;
  delivered: number;
  /** Addresses that received more than one message (a subject mailed twice). */
  twice: number;
  /** First to last message accepted by the SMTP catcher. */
  seconds: number;
  perSec: number;
}

export interface IntakeRun {
  ours: IntakeFigures;
  baseline: IntakeFigures;
  throughputRatio: number;
  p99Ratio: number;
  mails?: { ours: MailFigures; bare: MailFigures; ratio: number };
}

function mailFigures(ctx: BenchContext, expected: number): MailFigures {
  const at = ctx.smtp.messages.map((m) => m.at);
  const seconds = at.length > 1 ? (Math.max(...at) - Math.min(...at)) / 1000 : NaN;
  const seen = new Map<string, number>();
  for (const m of ctx.smtp.messages) for (const to of m.to) seen.set(to, (seen.get(to) ?? 0) + 1);
  const twice = [...seen.values()].filter((n) => n > 1).length;
  return { expected, delivered: at.length, twice, seconds, perSec: (at.length - 1) / seconds };
}

let seq = 0;

async function load(ctx: BenchContext, url: string, tag: string, duration: number): Promise<autocannon.Result> {
  return autocannon({
    url,
    connections: ctx.args.connections,
    duration,
    timeout: 30,
    requests: [
      {
        method: 'POST',
        path: '/v1/requests',
        headers: { 'content-type': 'application/json' },
        // A unique address per request: no request is the "already open" shortcut.
        setupRequest: (req) => ({ ...req, body: JSON.stringify({ type: 'access', email: `intake-${tag}-${++seq}@example.com` }) }),
      },
    ],
  });
}

async function measure(ctx: BenchContext, child: Child, tag: string): Promise<IntakeFigures> {
  const url = `http://127.0.0.1:${String(child.info.port)}`;
  if (ctx.args.warmup > 0) await load(ctx, url, `${tag}w`, ctx.args.warmup);
  await child.request('reset');
  const r = await load(ctx, url, tag, ctx.args.duration);
  const stats = await child.request<{ queries: QueryCounts }>('stats');
  const answered = r['2xx'] + r.non2xx;
  return {
    requestsPerSec: r['2xx'] / r.duration,
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
    total2xx: r['2xx'],
    queriesPerRequest: stats.queries.total / Math.max(1, answered),
    topQueries: Object.entries(stats.queries.byText).sort((a, b) => b[1] - a[1]).slice(0, 8),
    apiPeakRssMb: child.peakRssMb(),
  };
}

export async function runIntake(ctx: BenchContext, runNo: number, checkMails: boolean): Promise<IntakeRun> {
  const profile = ctx.args.cpuProf ? ctx.profileDir : undefined;

  // Ours. The worker is NOT running while the API is measured: intake is the HTTP path (validate,
  // transaction, audit row, enqueue of the verification job). The queued verification jobs are
  // then drained by a worker against the SMTP catcher, outside the measured window (run 1 only).
  await emptyTables(ctx.pool);
  const prefix = newPrefix(ctx, `intake${runNo}`);
  log(`intake run ${runNo}: ours (${ctx.args.duration}s at ${ctx.args.connections} connections)`);
  const api = await Child.start(CHILD.api, { env: serviceEnv(ctx, prefix), cpuProfDir: profile });
  const ours = await measure(ctx, api, `o${ctx.runId}${runNo}`);
  await api.stop();

  let mails: IntakeRun['mails'];
  if (checkMails) {
    // The burst's verification e-mails: our worker sends them (rate from the first to the last
    // one the catcher accepted), then a bare pooled nodemailer sender sends the same messages.
    const { rows } = await ctx.pool.query<{ n: string }>("SELECT count(*) AS n FROM dsar_requests WHERE status = 'awaiting_verification'");
    const expected = Number(rows[0]!.n);
    ctx.smtp.messages.length = 0;
    log(`intake run ${runNo}: draining ${expected} verification e-mails through our worker to the SMTP catcher`);
    const worker = await Child.start(CHILD.worker, { env: serviceEnv(ctx, prefix), nodeFlags: WORKER_NODE_FLAGS });
    // Every address served (a duplicate must not stand in for a missing one).
    await waitUntil(async () => new Set(ctx.smtp.messages.flatMap((m) => m.to)).size >= expected, ctx.args.timeoutSec * 1000, 200);
    const ours = mailFigures(ctx, expected);
    await worker.stop();
    const file = join(tmpdir(), `bench-mails-${ctx.runId}-${runNo}.json`);
    writeFileSync(file, JSON.stringify(ctx.smtp.messages.map(({ to, subject, text, html }) => ({ to, subject, text, html }))));
    ctx.smtp.messages.length = 0;
    log(`intake run ${runNo}: the same ${ours.delivered} e-mails through a bare pooled sender`);
    const bareMailer = await Child.start(CHILD.bareMailer, { env: serviceEnv(ctx, prefix, { MAILS_FILE: file }) });
    await bareMailer.request('send');
    await waitUntil(async () => ctx.smtp.messages.length >= ours.delivered, ctx.args.timeoutSec * 1000, 200);
    const bare = mailFigures(ctx, ours.delivered);
    await bareMailer.stop();
    rmSync(file, { force: true });
    ctx.smtp.messages.length = 0;
    mails = { ours, bare, ratio: ours.perSec / bare.perSec };
  }
  await deletePrefix(ctx, prefix);

  await emptyTables(ctx.pool);
  log(`intake run ${runNo}: baseline`);
  const bare = await Child.start(CHILD.baselineApi, {
    env: { PATH: process.env.PATH ?? '', DATABASE_URL: ctx.databaseUrl, NODE_ENV: 'production', ...(process.env.DATABASE_POOL_SIZE ? { DATABASE_POOL_SIZE: process.env.DATABASE_POOL_SIZE } : {}) },
    cpuProfDir: profile,
  });
  const baseline = await measure(ctx, bare, `b${ctx.runId}${runNo}`);
  await bare.stop();

  return { ours, baseline, throughputRatio: ours.requestsPerSec / baseline.requestsPerSec, p99Ratio: ours.p99Ms / baseline.p99Ms, mails };
}
