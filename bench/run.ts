// `npm run bench`: intake, fulfilment drain, vendor-limited drain and scaling figures for the DSAR
// service against local PostgreSQL (database dsar_bench), Redis (a fresh key prefix per
// measurement, deleted afterwards), the vendor fakes and an SMTP catcher. See bench/README.md.
import { execSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { prepareDatabase } from './lib/db.js';
import { deletePrefix, log, median, type BenchArgs, type BenchContext } from './lib/context.js';
import { runIntake, type IntakeRun } from './scenarios/intake.js';
import { drainBaseline, drainOurs, limitText, type DrainFigures, type VendorLimit } from './scenarios/drain.js';
import { startVendorFakes } from '../src/demo/fakes/index.js';
import { SmtpCatcher } from '../test/support/smtp.js';

/**
 * Vendor limits for the limited drain: each vendor's documented limit, scaled down so the run is
 * short (see the table in bench/README.md). Overridden by RATE_LIMIT_<VENDOR> in the environment
 * ("20/s" = requests per second, "5c" = requests in flight; with "c", RATE_LIMIT_<VENDOR>_LATENCY_MS
 * sets the fake's per-call latency, default 200 ms).
 */
export const DEFAULT_LIMITS: VendorLimit[] = [
  { vendor: 'AUTH0', perSecond: 10 },
  { vendor: 'INTERCOM', perSecond: 25 },
  { vendor: 'AMPLITUDE', perSecond: 20 },
  { vendor: 'HOTJAR', perSecond: 15 },
  { vendor: 'PARDOT', maxConcurrent: 5, latencyMs: 200 },
  { vendor: 'SENDGRID', perSecond: 30 },
  { vendor: 'INLINE_MANUAL', perSecond: 20 },
];

function limitsFromEnv(): VendorLimit[] {
  return DEFAULT_LIMITS.map((d) => {
    const raw = process.env[`RATE_LIMIT_${d.vendor}`]?.trim();
    if (!raw) return d;
    const m = /^(\d+)\s*(\/s|c)$/.exec(raw);
    if (!m) throw new Error(`RATE_LIMIT_${d.vendor} must look like 20/s or 5c (got "${raw}")`);
    const v = Number(m[1]);
    if (m[2] === '/s') return { vendor: d.vendor, perSecond: v };
    const latency = Number(process.env[`RATE_LIMIT_${d.vendor}_LATENCY_MS`] ?? d.latencyMs ?? 200);
    return { vendor: d.vendor, maxConcurrent: v, latencyMs: latency };
  });
}

function parseArgs(argv: string[]): BenchArgs {
  const a: BenchArgs = {
    n: 250,
    runs: 3,
    scalingRuns: 1,
    only: new Set(['intake', 'drain', 'limited', 'scaling']),
    scaling: [100, 200, 400],
    twoWorkersN: 200,
    limitedN: 100,
    duration: 10,
    warmup: 2,
    connections: 50,
    concurrency: 20,
    logLevel: 'log',
    timeoutSec: 600,
    cpuProf: false,
    mailCheck: true,
  };
  const num = (flag: string, v: string | undefined): number => {
    const n = Number(v);
    if (!v || !Number.isFinite(n) || n <= 0) throw new Error(`${flag} needs a positive number`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const [name, inline] = flag.includes('=') ? [flag.slice(0, flag.indexOf('=')), flag.slice(flag.indexOf('=') + 1)] : [flag, undefined];
    const value = () => inline ?? argv[++i];
    switch (name) {
      case '--n': a.n = Math.round(num(name, value())); break;
      case '--runs': a.runs = Math.round(num(name, value())); break;
      case '--only': a.only = new Set(value()!.split(',')); break;
      case '--scaling-runs': a.scalingRuns = Math.round(num(name, value())); break;
      case '--scaling': a.scaling = value()!.split(',').map((s) => Math.round(num(name, s))); break;
      case '--two-workers-n': a.twoWorkersN = Math.round(num(name, value())); break;
      case '--limited-n': a.limitedN = Math.round(num(name, value())); break;
      case '--duration': a.duration = num(name, value()); break;
      case '--warmup': a.warmup = Number(value()); break;
      case '--connections': a.connections = Math.round(num(name, value())); break;
      case '--concurrency': a.concurrency = Math.round(num(name, value())); break;
      case '--log-level': a.logLevel = value()!; break;
      case '--timeout': a.timeoutSec = num(name, value()); break;
      case '--cpu-prof': a.cpuProf = true; break;
      case '--no-mail-check': a.mailCheck = false; break;
      case '--help':
        console.log('npm run bench -- [--n 250] [--runs 3] [--only intake,drain,limited,scaling] [--scaling 100,200,400]\n' +
          '  [--scaling-runs 1] [--two-workers-n 200] [--limited-n 100] [--duration 10] [--warmup 2] [--connections 50] [--concurrency 20]\n' +
          '  [--log-level log] [--timeout 600] [--cpu-prof] [--no-mail-check]');
        process.exit(0);
      default:
        throw new Error(`Unknown option ${flag} (try --help)`);
    }
  }
  for (const s of a.only) if (!['intake', 'drain', 'limited', 'scaling'].includes(s)) throw new Error(`--only: unknown scenario ${s}`);
  return a;
}

interface Row {
  section: string;
  figure: string;
  value: string;
  target: string;
  pass?: boolean;
}

const f1 = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : 'n/a');
const f2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : 'n/a');
const pct = (x: number) => (Number.isFinite(x) ? `${(x * 100).toFixed(0)} %` : 'n/a');

function machine(): Record<string, string> {
  const sh = (c: string) => {
    try {
      return execSync(c, { encoding: 'utf8' }).trim();
    } catch {
      return 'n/a';
    }
  };
  return {
    nproc: sh('nproc'),
    cpu: cpus()[0]?.model ?? 'n/a',
    memory: `${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
    free: sh('free -h'),
    node: process.version,
    postgres: sh("psql -h 127.0.0.1 -U postgres -Atc 'show server_version' 2>/dev/null"),
    redis: sh("redis-cli -h 127.0.0.1 info server 2>/dev/null | grep redis_version | cut -d: -f2"),
  };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const runId = randomUUID().slice(0, 6);
  const databaseUrl = process.env.BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/dsar_bench';
  const redisUrl = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
  const resultsDir = fileURLToPath(new URL('../../bench/results/', import.meta.url));
  const profileDir = `${resultsDir}profiles/${runId}`;
  mkdirSync(resultsDir, { recursive: true });
  if (args.cpuProf) mkdirSync(profileDir, { recursive: true });

  log(`run ${runId}: ${JSON.stringify({ ...args, only: [...args.only] })}`);
  const pool = await prepareDatabase(databaseUrl);
  const fakes = await startVendorFakes();
  const smtp = new SmtpCatcher();
  await smtp.start();
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const ctx: BenchContext = { args, runId, databaseUrl, redisUrl, pool, fakes, smtp, redis, prefixes: new Set(), profileDir };

  // Interrupted: still delete this run's Redis keys (children exit when the IPC channel closes).
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      log(`${sig}: deleting this run's Redis keys`);
      void Promise.all([...ctx.prefixes].map((p) => deletePrefix(ctx, p).catch(() => undefined))).finally(() => process.exit(130));
    });
  }

  const rows: Row[] = [];
  const out: Record<string, unknown> = { runId, at: new Date().toISOString(), args: { ...args, only: [...args.only] }, machine: machine() };
  const started = Date.now();
  const savePartial = () => writeFileSync(`${resultsDir}latest.json`, JSON.stringify({ ...out, table: rows, partial: true }, null, 2));

  try {
    if (args.only.has('intake')) {
      const runs: IntakeRun[] = [];
      for (let r = 1; r <= args.runs; r++) runs.push(await runIntake(ctx, r, r === 1 && args.mailCheck));
      const m = (g: (x: IntakeRun) => number) => median(runs.map(g));
      const ratio = m((x) => x.throughputRatio);
      const p99 = m((x) => x.ours.p99Ms);
      const non2xx = runs.reduce((s, x) => s + x.ours.non2xx + x.ours.errors, 0);
      rows.push(
        { section: 'intake', figure: 'ours: 2xx requests/s', value: f1(m((x) => x.ours.requestsPerSec)), target: '' },
        { section: 'intake', figure: 'baseline: 2xx requests/s', value: f1(m((x) => x.baseline.requestsPerSec)), target: '' },
        { section: 'intake', figure: 'ours / baseline throughput', value: f2(ratio), target: '>= 0.70', pass: ratio >= 0.7 },
        { section: 'intake', figure: `ours: p50 latency (ms) @${args.connections}`, value: f1(m((x) => x.ours.p50Ms)), target: '' },
        { section: 'intake', figure: `ours: p99 latency (ms) @${args.connections}`, value: f1(p99), target: '< 50', pass: p99 < 50 },
        { section: 'intake', figure: 'baseline: p50 / p99 latency (ms)', value: `${f1(m((x) => x.baseline.p50Ms))} / ${f1(m((x) => x.baseline.p99Ms))}`, target: '' },
        { section: 'intake', figure: 'ours: non-2xx + errors (all runs)', value: String(non2xx), target: '0', pass: non2xx === 0 },
        { section: 'intake', figure: 'DB round trips / request: ours (baseline)', value: `${f1(m((x) => x.ours.queriesPerRequest))} (${f1(m((x) => x.baseline.queriesPerRequest))})`, target: '' },
      );
      const mails = runs[0]?.mails;
      if (mails) {
        rows.push({ section: 'intake', figure: 'verification e-mails delivered (run 1, after)', value: `${mails.delivered}/${mails.expected} in ${f1(mails.seconds)} s`, target: 'all', pass: mails.delivered >= mails.expected });
      }
      out.intake = { runs, medians: { ratio, p99 } };
      savePartial();
    }

    if (args.only.has('drain')) {
      const runs: { ours: DrainFigures; baseline: DrainFigures; ratio: number }[] = [];
      for (let r = 1; r <= args.runs; r++) {
        const ours = await drainOurs(ctx, { n: args.n, label: `drain${r}` });
        const baseline = await drainBaseline(ctx, { n: args.n, label: `drainb${r}` });
        runs.push({ ours, baseline, ratio: ours.tasksPerSec / baseline.tasksPerSec });
        log(`drain run ${r}: ours ${f1(ours.tasksPerSec)} tasks/s, baseline ${f1(baseline.tasksPerSec)} tasks/s`);
      }
      const m = (g: (x: (typeof runs)[number]) => number) => median(runs.map(g));
      const ratio = m((x) => x.ratio);
      const failed = runs.reduce((s, x) => s + x.ours.requestsFailed + (x.ours.timedOut ? 1 : 0), 0);
      rows.push(
        { section: 'drain', figure: `ours: tasks/s (N=${args.n}, ${args.n * 8} tasks)`, value: f1(m((x) => x.ours.tasksPerSec)), target: '' },
        { section: 'drain', figure: 'baseline: tasks/s', value: f1(m((x) => x.baseline.tasksPerSec)), target: '' },
        { section: 'drain', figure: 'ours / baseline throughput', value: f2(ratio), target: '>= 0.50', pass: ratio >= 0.5 },
        { section: 'drain', figure: 'DB round trips / task: ours (baseline)', value: `${f1(m((x) => x.ours.queriesPerTask))} (${f1(m((x) => x.baseline.queriesPerTask))})`, target: '' },
        { section: 'drain', figure: 'DB transactions / task: ours', value: f2(m((x) => x.ours.txPerTask)), target: '' },
        { section: 'drain', figure: 'vendor HTTP calls / task: ours (baseline)', value: `${f2(m((x) => x.ours.vendorCallsPerTask))} (${f2(m((x) => x.baseline.vendorCallsPerTask))})`, target: '' },
        { section: 'drain', figure: 'worker peak RSS (MB): ours (baseline)', value: `${f1(m((x) => x.ours.peakRssMb[0]!))} (${f1(m((x) => x.baseline.peakRssMb[0]!))})`, target: '' },
        { section: 'drain', figure: 'requests failed or timed out (all runs)', value: String(failed), target: '0', pass: failed === 0 },
      );
      out.drain = { runs, medians: { ratio } };
      savePartial();
    }

    if (args.only.has('limited')) {
      const limits = limitsFromEnv();
      const runs: DrainFigures[] = [];
      for (let r = 1; r <= args.runs; r++) {
        const d = await drainOurs(ctx, { n: args.limitedN, label: `limited${r}`, limits });
        runs.push(d);
        log(`limited run ${r}: ${f1(d.seconds)} s, 429s ${d.vendors!.reduce((s, v) => s + v.rateLimited, 0)}`);
      }
      rows.push({ section: 'limited', figure: `drain time (s), N=${args.limitedN}`, value: f1(median(runs.map((d) => d.seconds))), target: '' });
      for (const l of limits) {
        const vs = runs.map((d) => d.vendors!.find((v) => v.vendor === l.vendor)!);
        const u = median(vs.map((v) => v.utilisation));
        const r429 = median(vs.map((v) => v.rateLimited));
        rows.push({
          section: 'limited',
          figure: `${l.vendor} ${vs[0]!.limit}: utilisation (achieved ${f1(median(vs.map((v) => v.achievedPerSec)))}/s)`,
          value: pct(u),
          target: '>= 90 %',
          pass: u >= 0.9,
        });
        rows.push({ section: 'limited', figure: `${l.vendor}: 429s sent by the fake`, value: String(r429), target: '0', pass: r429 === 0 });
      }
      const failed = runs.reduce((s, d) => s + d.requestsFailed + (d.timedOut ? 1 : 0), 0);
      rows.push({ section: 'limited', figure: 'requests failed or timed out (all runs)', value: String(failed), target: '0', pass: failed === 0 });
      out.limited = { limits: limits.map((l) => ({ ...l, env: `RATE_LIMIT_${l.vendor}=${limitText(l)}` })), runs };
      savePartial();
    }

    if (args.only.has('scaling')) {
      const runs: { byN: DrainFigures[]; two: DrainFigures; one: DrainFigures; factor: number }[] = [];
      for (let r = 1; r <= args.scalingRuns; r++) {
        const byN: DrainFigures[] = [];
        for (const n of args.scaling) byN.push(await drainOurs(ctx, { n, label: `scale${r}n${n}` }));
        const one = byN.find((d) => d.n === args.twoWorkersN) ?? (await drainOurs(ctx, { n: args.twoWorkersN, label: `scale${r}one` }));
        const two = await drainOurs(ctx, { n: args.twoWorkersN, workers: 2, label: `scale${r}two` });
        runs.push({ byN, one, two, factor: two.tasksPerSec / one.tasksPerSec });
      }
      const perN = args.scaling.map((n, i) => ({
        n,
        msPerTask: median(runs.map((x) => x.byN[i]!.msPerTask)),
        qPerTask: median(runs.map((x) => x.byN[i]!.queriesPerTask)),
        rss: median(runs.map((x) => x.byN[i]!.peakRssMb[0]!)),
      }));
      for (const p of perN) {
        rows.push({ section: 'scaling', figure: `N=${p.n}: ms/task | DB round trips/task | peak RSS MB`, value: `${f2(p.msPerTask)} | ${f1(p.qPerTask)} | ${f1(p.rss)}`, target: '' });
      }
      const spread = median(runs.map((x) => Math.max(...x.byN.map((d) => d.msPerTask)) / Math.min(...x.byN.map((d) => d.msPerTask))));
      const qSpread = median(runs.map((x) => Math.max(...x.byN.map((d) => d.queriesPerTask)) / Math.min(...x.byN.map((d) => d.queriesPerTask))));
      const maxRss = Math.max(...perN.map((p) => p.rss));
      const rssGrowth = perN[perN.length - 1]!.rss / perN[0]!.rss;
      const factor = median(runs.map((x) => x.factor));
      rows.push(
        { section: 'scaling', figure: 'time/task max ÷ min across N', value: f2(spread), target: '<= 1.25', pass: spread <= 1.25 },
        { section: 'scaling', figure: 'DB round trips/task max ÷ min across N', value: f2(qSpread), target: '~1.00 (<= 1.05)', pass: qSpread <= 1.05 },
        { section: 'scaling', figure: 'worker peak RSS, max (MB)', value: f1(maxRss), target: '< 300', pass: maxRss < 300 },
        { section: 'scaling', figure: 'peak RSS largest N ÷ smallest N', value: f2(rssGrowth), target: '~1 (<= 1.15)', pass: rssGrowth <= 1.15 },
        { section: 'scaling', figure: `2 worker processes ÷ 1 (tasks/s, N=${args.twoWorkersN})`, value: f2(factor), target: 'report (2 cores!)' },
      );
      rows.push({ section: 'scaling', figure: `(scaling: median of ${args.scalingRuns} run(s))`, value: '', target: '' });
      out.scaling = { runs, perN, spread, qSpread, maxRss, rssGrowth, factor };
    }
  } finally {
    for (const p of [...ctx.prefixes]) await deletePrefix(ctx, p).catch(() => undefined);
    redis.disconnect();
    await smtp.stop();
    await fakes.stop();
    await pool.end();
  }

  out.table = rows;
  out.elapsedSec = (Date.now() - started) / 1000;
  writeFileSync(`${resultsDir}latest.json`, JSON.stringify(out, null, 2));
  printTable(rows, args, out.elapsedSec as number);
}

function printTable(rows: Row[], args: BenchArgs, elapsed: number): void {
  const w = [9, Math.max(...rows.map((r) => r.figure.length), 6), Math.max(...rows.map((r) => r.value.length), 5), Math.max(...rows.map((r) => r.target.length), 6)];
  const line = (c: string[]) => c.map((s, i) => (i < w.length ? s.padEnd(w[i]!) : s)).join('  ');
  console.log(`\nDSAR bench (median of ${args.runs} run(s); ratios taken within each run) — ${elapsed.toFixed(0)} s\n`);
  console.log(line(['section', 'figure', 'value', 'target', 'ok']));
  console.log(line(w.map((n) => '-'.repeat(n)).concat(['--'])));
  for (const r of rows) console.log(line([r.section, r.figure, r.value, r.target, r.pass === undefined ? '' : r.pass ? 'yes' : 'NO']));
  console.log('\nWritten to bench/results/latest.json');
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
