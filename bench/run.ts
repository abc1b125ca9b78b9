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
import { deletePrefix, limitEnvName, log, median, spread, type BenchArgs, type BenchContext } from './lib/context.js';
import { runIntake, type IntakeRun } from './scenarios/intake.js';
import { drainBaseline, drainOurs, limitText, SYSTEMS, type DrainFigures, type VendorLimit } from './scenarios/drain.js';
import { runAccess, type AccessFigures } from './scenarios/access.js';
import { startVendorFakes } from '../src/demo/fakes/index.js';
import { SmtpCatcher } from '../test/support/smtp.js';

/**
 * Limits of the vendor-limited drain: each vendor's documented limit, scaled so the run is short
 * (the table in bench/README.md), enforced by the fake on the group of endpoints the service's
 * bucket covers, and given to the service as RATE_LIMIT_<BUCKET>. Amplitude's deletions keep their
 * documented 1/s (the service batches them). Overridden by RATE_LIMIT_<BUCKET> in the environment
 * ("20/s" = requests per second, "5c" = requests in flight; with "c",
 * RATE_LIMIT_<BUCKET>_LATENCY_MS sets the fake's per-call latency, default 200 ms).
 */
export const DEFAULT_LIMITS: VendorLimit[] = [
  // Token bucket (documented): free tenants 2 burst, 2/s; here 10 burst, 10/s.
  { vendor: 'auth0', fake: 'auth0', group: 'default', perSecond: 10, window: 'bucket' },
  // 10,000 a minute (in 10-second windows); here 1,500 a minute.
  { vendor: 'intercom', fake: 'intercom', group: 'default', perSecond: 25, window: 'm' },
  // "1 request per second", as documented; the service keeps its default (50/m: under it on
  // purpose, each request carries up to 100 users).
  { vendor: 'amplitude:deletions', fake: 'amplitude', group: 'deletions', perSecond: 1, window: 's', serviceDefault: true },
  // 3,000 a minute; here 900.
  { vendor: 'hotjar', fake: 'hotjar', group: 'default', perSecond: 15, window: 'm' },
  // 5 concurrent requests, as documented (each held 200 ms by the fake).
  { vendor: 'pardot', fake: 'pardot', group: 'default', maxConcurrent: 5, latencyMs: 200 },
  // 600 a minute (X-RateLimit-Limit); here 1,800. The erasure API: 100 a minute; here 600.
  { vendor: 'sendgrid', fake: 'sendgrid', group: 'default', perSecond: 30, window: 'm' },
  { vendor: 'sendgrid:erasure', fake: 'sendgrid', group: 'erasure', perSecond: 10, window: 'm' },
  // Unpublished; here 1,200 a minute.
  { vendor: 'inline-manual', fake: 'inlineManual', group: 'default', perSecond: 20, window: 'm' },
  // Queries: 200 per 30 s (Log Analytics); here 600 a minute. Purges: 50 an hour; here 120 a minute.
  { vendor: 'azure-app-insights', fake: 'appInsights', group: 'default', perSecond: 10, window: 'm' },
  { vendor: 'azure-app-insights:purge', fake: 'azureManagement', group: 'purge', perSecond: 2, window: 'm' },
];

/** Buckets whose calls carry many subjects each: their call rate is not a measure of use. */
const BATCHED = new Set(['amplitude:deletions', 'azure-app-insights:purge']);

function limitsFromEnv(): VendorLimit[] {
  return DEFAULT_LIMITS.map((d) => {
    const name = limitEnvName(d.vendor);
    const raw = process.env[name]?.trim();
    if (!raw) return d;
    const m = /^(\d+)\s*(\/s|\/m|c)$/.exec(raw);
    if (!m) throw new Error(`${name} must look like 20/s, 600/m or 5c (got "${raw}")`);
    const v = Number(m[1]);
    const base = { vendor: d.vendor, fake: d.fake, group: d.group };
    if (m[2] === '/s') return { ...base, perSecond: v, window: d.window === 'bucket' ? 'bucket' : 's' };
    if (m[2] === '/m') return { ...base, perSecond: v / 60, window: 'm' };
    const latency = Number(process.env[`${name}_LATENCY_MS`] ?? d.latencyMs ?? 200);
    return { ...base, maxConcurrent: v, latencyMs: latency };
  });
}

const SCENARIOS = ['intake', 'drain', 'limited', 'access', 'scaling'];

function parseArgs(argv: string[]): BenchArgs {
  const a: BenchArgs = {
    n: 250,
    runs: 3,
    scalingRuns: 1,
    only: new Set(SCENARIOS),
    scaling: [100, 200, 400],
    twoWorkersN: 200,
    limitedN: 100,
    accessN: 6,
    accessRuns: 1,
    amplitudeEvents: 300,
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
      case '--access-n': a.accessN = Math.round(num(name, value())); break;
      case '--access-runs': a.accessRuns = Math.round(num(name, value())); break;
      case '--amplitude-events': a.amplitudeEvents = Math.round(num(name, value())); break;
      case '--duration': a.duration = num(name, value()); break;
      case '--warmup': a.warmup = Number(value()); break;
      case '--connections': a.connections = Math.round(num(name, value())); break;
      case '--concurrency': a.concurrency = Math.round(num(name, value())); break;
      case '--log-level': a.logLevel = value()!; break;
      case '--timeout': a.timeoutSec = num(name, value()); break;
      case '--cpu-prof': a.cpuProf = true; break;
      case '--no-mail-check': a.mailCheck = false; break;
      case '--help':
        console.log('npm run bench -- [--n 250] [--runs 3] [--only intake,drain,limited,access,scaling] [--scaling 100,200,400]\n' +
          '  [--scaling-runs 1] [--two-workers-n 200] [--limited-n 100] [--access-n 6] [--access-runs 1] [--amplitude-events 300]\n' +
          '  [--duration 10] [--warmup 2] [--connections 50] [--concurrency 20] [--log-level log] [--timeout 600] [--cpu-prof] [--no-mail-check]');
        process.exit(0);
      default:
        throw new Error(`Unknown option ${flag} (try --help)`);
    }
  }
  for (const s of a.only) if (!SCENARIOS.includes(s)) throw new Error(`--only: unknown scenario ${s}`);
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
/** "median (min–max)" over the runs, or the one value. */
function mmm(xs: number[], fmt: (x: number) => string = f2): string {
  const s = spread(xs);
  return xs.length > 1 ? `${fmt(s.median)} (${fmt(s.min)}–${fmt(s.max)})` : fmt(s.median);
}

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
  // No limit anywhere unless a scenario sets one (the limited drain and the access scenario do):
  // SendGrid's erasure API and Azure purges are otherwise limited by their fakes from the start.
  const fakes = await startVendorFakes({ azureManagement: { purgesPerHour: 100_000 }, sendgrid: { erasureRateLimitPerMinute: 0 } });
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
  // A target is met only if every run meets it.
  const every = <T>(runs: T[], ok: (r: T) => boolean) => runs.length > 0 && runs.every(ok);

  try {
    if (args.only.has('intake')) {
      const runs: IntakeRun[] = [];
      for (let r = 1; r <= args.runs; r++) runs.push(await runIntake(ctx, r, args.mailCheck));
      const non2xx = runs.reduce((s, x) => s + x.ours.non2xx + x.ours.errors, 0);
      rows.push(
        { section: 'intake', figure: 'ours: 2xx requests/s', value: mmm(runs.map((x) => x.ours.requestsPerSec), f1), target: '' },
        { section: 'intake', figure: 'baseline: 2xx requests/s', value: mmm(runs.map((x) => x.baseline.requestsPerSec), f1), target: '' },
        { section: 'intake', figure: 'ours ÷ baseline throughput', value: mmm(runs.map((x) => x.throughputRatio)), target: '>= 0.80 every run', pass: every(runs, (x) => x.throughputRatio >= 0.8) },
        { section: 'intake', figure: `ours: p50 / p99 latency (ms) @${args.connections}`, value: `${mmm(runs.map((x) => x.ours.p50Ms), f1)} / ${mmm(runs.map((x) => x.ours.p99Ms), f1)}`, target: '' },
        { section: 'intake', figure: 'baseline: p50 / p99 latency (ms)', value: `${mmm(runs.map((x) => x.baseline.p50Ms), f1)} / ${mmm(runs.map((x) => x.baseline.p99Ms), f1)}`, target: '' },
        { section: 'intake', figure: 'p99 ours ÷ p99 baseline', value: mmm(runs.map((x) => x.p99Ratio)), target: '<= 1.20 every run', pass: every(runs, (x) => x.p99Ratio <= 1.2) },
        { section: 'intake', figure: 'ours: non-2xx + errors (all runs)', value: String(non2xx), target: '0', pass: non2xx === 0 },
        { section: 'intake', figure: 'DB round trips / request: ours (baseline)', value: `${f1(median(runs.map((x) => x.ours.queriesPerRequest)))} (${f1(median(runs.map((x) => x.baseline.queriesPerRequest)))})`, target: '' },
      );
      const mailRuns = runs.flatMap((x) => (x.mails ? [x.mails] : []));
      if (mailRuns.length) {
        rows.push(
          { section: 'e-mail', figure: 'verification e-mails after the burst: delivered', value: mailRuns.map((m) => `${m.ours.delivered}/${m.ours.expected}`).join(', '), target: 'all', pass: every(mailRuns, (m) => m.ours.delivered >= m.ours.expected) },
          { section: 'e-mail', figure: 'addresses mailed twice, per run', value: mailRuns.map((m) => String(m.ours.twice)).join(', '), target: '0 every run', pass: every(mailRuns, (m) => m.ours.twice === 0) },
          { section: 'e-mail', figure: 'ours: e-mails/s', value: mmm(mailRuns.map((m) => m.ours.perSec), f1), target: '' },
          { section: 'e-mail', figure: 'bare pooled nodemailer sender: e-mails/s', value: mmm(mailRuns.map((m) => m.bare.perSec), f1), target: '' },
          { section: 'e-mail', figure: 'ours ÷ bare sender', value: mmm(mailRuns.map((m) => m.ratio)), target: '>= 0.50 every run', pass: every(mailRuns, (m) => m.ratio >= 0.5) },
        );
      }
      out.intake = { runs };
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
      const failed = runs.reduce((s, x) => s + x.ours.requestsFailed + (x.ours.timedOut ? 1 : 0), 0);
      rows.push(
        { section: 'drain', figure: `ours: tasks/s (N=${args.n}, ${args.n * SYSTEMS.length} tasks)`, value: mmm(runs.map((x) => x.ours.tasksPerSec), f1), target: '' },
        { section: 'drain', figure: 'baseline: tasks/s', value: mmm(runs.map((x) => x.baseline.tasksPerSec), f1), target: '' },
        { section: 'drain', figure: 'ours ÷ baseline throughput', value: mmm(runs.map((x) => x.ratio)), target: '>= 0.50 every run', pass: every(runs, (x) => x.ratio >= 0.5) },
        { section: 'drain', figure: 'DB round trips / task: ours (baseline)', value: `${f1(m((x) => x.ours.queriesPerTask))} (${f1(m((x) => x.baseline.queriesPerTask))})`, target: '' },
        { section: 'drain', figure: 'DB transactions / task: ours', value: f2(m((x) => x.ours.txPerTask)), target: '' },
        { section: 'drain', figure: 'vendor HTTP calls / task: ours (baseline)', value: `${f2(m((x) => x.ours.vendorCallsPerTask))} (${f2(m((x) => x.baseline.vendorCallsPerTask))})`, target: '' },
        { section: 'drain', figure: 'worker peak RSS (MB): ours (baseline)', value: `${mmm(runs.map((x) => x.ours.peakRssMb[0]!), f1)} (${f1(m((x) => x.baseline.peakRssMb[0]!))})`, target: '' },
        { section: 'drain', figure: 'requests failed or timed out (all runs)', value: String(failed), target: '0', pass: failed === 0 },
        { section: 'drain', figure: '429s sent by the fakes: ours (baseline), per run', value: runs.map((x) => `${x.ours.all429} (${x.baseline.all429})`).join(', '), target: '0', pass: every(runs, (x) => x.ours.all429 === 0 && x.baseline.all429 === 0) },
      );
      out.drain = { runs };
      savePartial();
    }

    if (args.only.has('limited')) {
      const limits = limitsFromEnv();
      const runs: (DrainFigures & { lowerBoundSec: number; timeRatio: number })[] = [];
      for (let r = 1; r <= args.runs; r++) {
        const d = await drainOurs(ctx, { n: args.limitedN, label: `limited${r}`, limits });
        const lowerBoundSec = Math.max(...d.vendors!.map((v) => v.lowerBoundSec));
        runs.push({ ...d, lowerBoundSec, timeRatio: d.seconds / lowerBoundSec });
        log(`limited run ${r}: ${f1(d.seconds)} s (lower bound ${f1(lowerBoundSec)} s), 429s ${d.vendors!.reduce((s, v) => s + v.rateLimited, 0)}`);
      }
      rows.push(
        { section: 'limited', figure: `drain time (s), N=${args.limitedN}`, value: mmm(runs.map((d) => d.seconds), f1), target: '' },
        { section: 'limited', figure: 'lower bound: max over buckets of calls ÷ limit (s)', value: mmm(runs.map((d) => d.lowerBoundSec), f1), target: '' },
        { section: 'limited', figure: 'drain time ÷ lower bound', value: mmm(runs.map((d) => d.timeRatio)), target: '<= 1.10 every run', pass: every(runs, (d) => d.timeRatio <= 1.1) },
      );
      // Per vendor, the bucket that sets its pace (the largest lower bound) must be used at >= 90 %
      // while it has work; a vendor's other buckets wait on that one and are shown without a target.
      // Batched buckets carry many subjects per call: their call count is the figure.
      for (const l of limits) {
        const vs = runs.map((d) => d.vendors!.find((v) => v.vendor === l.vendor)!);
        const limit = vs[0]!.limit;
        const siblings = limits.filter((x) => x.fake === l.fake);
        const binding = runs.map((d) => {
          const mine = d.vendors!.filter((v) => siblings.some((x) => x.vendor === v.vendor));
          return mine.reduce((a, b) => (b.lowerBoundSec > a.lowerBoundSec ? b : a)).vendor === l.vendor;
        });
        const calls = mmm(vs.map((v) => v.accepted), (x) => x.toFixed(0));
        if (BATCHED.has(l.vendor)) {
          rows.push({ section: 'limited', figure: `${l.vendor} ${limit}: calls for ${args.limitedN} subjects (batched)`, value: calls, target: '' });
        } else if (binding.every(Boolean)) {
          rows.push({
            section: 'limited',
            figure: `${l.vendor} ${limit}: use of the limit while it has work (${mmm(vs.map((v) => v.achievedPerSec), f1)}/s, ${calls} calls)`,
            value: mmm(vs.map((v) => v.utilisation), pct),
            target: '>= 90 % every run',
            pass: every(vs, (v) => v.utilisation >= 0.9),
          });
        } else {
          rows.push({ section: 'limited', figure: `${l.vendor} ${limit}: use (${calls} calls; paced by another ${l.fake} bucket)`, value: mmm(vs.map((v) => v.utilisation), pct), target: '' });
        }
      }
      const total429 = runs.map((d) => d.all429);
      rows.push({ section: 'limited', figure: '429s sent by the fakes, per run', value: total429.join(', '), target: '0 every run', pass: total429.every((x) => x === 0) });
      const failed = runs.reduce((s, d) => s + d.requestsFailed + (d.timedOut ? 1 : 0), 0);
      rows.push({ section: 'limited', figure: 'requests failed or timed out (all runs)', value: String(failed), target: '0', pass: failed === 0 });
      out.limited = { limits: limits.map((l) => ({ ...l, env: `${limitEnvName(l.vendor)}=${limitText(l)}` })), runs };
      savePartial();
    }

    if (args.only.has('access')) {
      const many: AccessFigures[] = [];
      const alone: AccessFigures[] = [];
      for (let r = 1; r <= args.accessRuns; r++) {
        alone.push(await runAccess(ctx, { n: 1, label: `access1r${r}`, amplitudeEvents: args.amplitudeEvents }));
        many.push(await runAccess(ctx, { n: args.accessN, label: `access${args.accessN}r${r}`, amplitudeEvents: args.amplitudeEvents }));
      }
      for (const [what, fs] of [['1 request', alone], [`${args.accessN} requests`, many]] as const) {
        rows.push(
          { section: 'access', figure: `${what}: answered`, value: fs.map((f) => `${f.answered}/${f.n}`).join(', '), target: 'all', pass: every(fs, (f) => f.answered >= f.n) },
          { section: 'access', figure: `${what}: time (s) | Amplitude calls | 1.2 × calls × 10 s`, value: fs.map((f) => `${f1(f.seconds)} | ${f.amplitudeCalls} | ${f1(f.boundSec)}`).join('; '), target: 'time <= bound', pass: every(fs, (f) => f.seconds <= f.boundSec && !f.timedOut) },
          { section: 'access', figure: `${what}: 429s (any fake) | most Amplitude attempts`, value: fs.map((f) => `${f.rateLimited} | ${f.amplitudeAttempts}`).join('; '), target: '0 | 1', pass: every(fs, (f) => f.rateLimited === 0 && f.amplitudeAttempts === 1) },
        );
      }
      out.access = { alone, many };
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
      for (const [i, n] of args.scaling.entries()) {
        const at = runs.map((x) => x.byN[i]!);
        rows.push({ section: 'scaling', figure: `N=${n}: ms/task | DB round trips/task | worker peak RSS MB`, value: `${mmm(at.map((d) => d.msPerTask))} | ${f1(median(at.map((d) => d.queriesPerTask)))} | ${mmm(at.map((d) => d.peakRssMb[0]!), f1)}`, target: '' });
      }
      const perRun = runs.map((x) => {
        const ms = x.byN.map((d) => d.msPerTask);
        const q = x.byN.map((d) => d.queriesPerTask);
        const rss = x.byN.map((d) => d.peakRssMb[0]!);
        return { spread: Math.max(...ms) / Math.min(...ms), qSpread: Math.max(...q) / Math.min(...q), maxRss: Math.max(...rss), rssGrowth: Math.max(...rss) / Math.min(...rss) };
      });
      rows.push(
        { section: 'scaling', figure: 'time/task max ÷ min across N', value: mmm(perRun.map((p) => p.spread)), target: '<= 1.25 every run', pass: every(perRun, (p) => p.spread <= 1.25) },
        { section: 'scaling', figure: 'DB round trips/task max ÷ min across N', value: mmm(perRun.map((p) => p.qSpread)), target: '<= 1.05 every run', pass: every(perRun, (p) => p.qSpread <= 1.05) },
        { section: 'scaling', figure: 'worker peak RSS, max over N (MB)', value: mmm(perRun.map((p) => p.maxRss), f1), target: '< 300 every run', pass: every(perRun, (p) => p.maxRss < 300) },
        { section: 'scaling', figure: 'worker peak RSS max ÷ min across N', value: mmm(perRun.map((p) => p.rssGrowth)), target: '<= 1.15 every run', pass: every(perRun, (p) => p.rssGrowth <= 1.15) },
        { section: 'scaling', figure: `2 worker processes ÷ 1 (tasks/s, N=${args.twoWorkersN})`, value: mmm(runs.map((x) => x.factor)), target: 'report (2 cores!)' },
      );
      out.scaling = { runs, perRun };
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
  console.log(`\nDSAR bench — ${args.runs} run(s) per figure (access: ${args.accessRuns}, scaling: ${args.scalingRuns}); values are median (min–max) over the runs, ratios taken within each run; a target is met only if every run meets it — ${elapsed.toFixed(0)} s\n`);
  console.log(line(['section', 'figure', 'value', 'target', 'ok']));
  console.log(line(w.map((n) => '-'.repeat(n)).concat(['--'])));
  for (const r of rows) console.log(line([r.section, r.figure, r.value, r.target, r.pass === undefined ? '' : r.pass ? 'yes' : 'NO']));
  console.log('\nWritten to bench/results/latest.json');
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
