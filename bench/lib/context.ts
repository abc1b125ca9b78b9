// What every scenario shares: the bench database, the vendor fakes, the SMTP catcher, Redis, the
// paths of the compiled child processes, and the settings from the command line.
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import type pg from 'pg';
import { randomBytes } from 'node:crypto';
import { seedSubject, type VendorFakes } from '../../src/demo/fakes/index.js';
import { DEFAULT_LIMITS } from '../../src/processors/http/vendor-limiter.js';
import type { SmtpCatcher } from '../../test/support/smtp.js';
import type { Subject } from './db.js';

export interface BenchArgs {
  n: number;
  runs: number;
  scalingRuns: number;
  only: Set<string>;
  scaling: number[];
  twoWorkersN: number;
  limitedN: number;
  accessN: number;
  accessRuns: number;
  amplitudeEvents: number;
  duration: number;
  warmup: number;
  connections: number;
  concurrency: number;
  logLevel: string;
  timeoutSec: number;
  cpuProf: boolean;
  mailCheck: boolean;
}

export interface BenchContext {
  args: BenchArgs;
  runId: string;
  databaseUrl: string;
  redisUrl: string;
  pool: pg.Pool;
  fakes: VendorFakes;
  smtp: SmtpCatcher;
  redis: Redis;
  prefixes: Set<string>;
  profileDir: string;
}

export const CHILD = {
  api: fileURLToPath(new URL('../children/api.js', import.meta.url)),
  baselineApi: fileURLToPath(new URL('../children/baseline-api.js', import.meta.url)),
  worker: fileURLToPath(new URL('../children/worker.js', import.meta.url)),
  baselineWorker: fileURLToPath(new URL('../children/baseline-worker.js', import.meta.url)),
  bareMailer: fileURLToPath(new URL('../children/bare-mailer.js', import.meta.url)),
};

/** The env name of a limiter bucket ('amplitude:deletions' → RATE_LIMIT_AMPLITUDE_DELETIONS). */
export const limitEnvName = (bucket: string) => `RATE_LIMIT_${bucket.replace(/[-:]/g, '_').toUpperCase()}`;

/** Every outbound limiter bucket of the service (src/processors/http/vendor-limiter.ts) switched off. */
export const UNLIMITED_VENDORS: Record<string, string> = Object.fromEntries(Object.keys(DEFAULT_LIMITS).map((b) => [limitEnvName(b), 'off']));

const OFFICER_KEY = randomBytes(24).toString('base64url');

export function newPrefix(ctx: BenchContext, what: string): string {
  const p = `bench-${ctx.runId}-${what}-${randomUUID().slice(0, 6)}`;
  ctx.prefixes.add(p);
  return p;
}

/** Environment of our API and worker children. */
export function serviceEnv(ctx: BenchContext, prefix: string, extra: Record<string, string> = {}): Record<string, string> {
  const passThrough = Object.fromEntries(
    Object.entries(process.env).filter(([k, v]) => v !== undefined && /^(PATH|HOME|TZ|LANG|DATABASE_POOL_SIZE|SMTP_MAX_CONNECTIONS|BENCH_SNAPSHOT_RSS_MB|BENCH_SNAPSHOT_PATH|NODE_OPTIONS)$/.test(k)),
  ) as Record<string, string>;
  return {
    ...passThrough,
    NODE_ENV: 'production',
    DATABASE_URL: ctx.databaseUrl,
    REDIS_URL: ctx.redisUrl,
    SMTP_URL: ctx.smtp.url,
    MAIL_FROM: 'Privacy Team <privacy@bench.local>',
    PUBLIC_BASE_URL: 'http://dsar.bench.local',
    // What production requires: the controller's identity for reports, and a real officer key.
    CONTROLLER_NAME: 'Bench Ltd',
    CONTROLLER_CONTACT: 'privacy@bench.local',
    DPO_CONTACT: 'dpo@bench.local',
    SUPERVISORY_AUTHORITY: 'Bench Data Protection Authority',
    OFFICER_API_KEY: OFFICER_KEY,
    QUEUE_PREFIX: prefix,
    WORKER_CONCURRENCY: String(ctx.args.concurrency),
    LOG_LEVEL: ctx.args.logLevel,
    // Several workers on one machine: no metrics port each (it would be taken by the first).
    WORKER_METRICS_PORT: '0',
    // The fakes' vendor deletion jobs (Amplitude, SendGrid) only finish on demand: do not wait for
    // them (a request completes with those tasks "scheduled"), else a drain never ends.
    VENDOR_JOB_MAX_WAIT_HOURS: '0',
    VENDOR_JOB_MAX_WAIT_SECONDS: '0',
    // Intake: the per-client limit (default 10/min) would turn a load test from one address into
    // 429s. Set so high it never triggers, so its cost is still measured.
    RATE_LIMIT_INTAKE_PER_MINUTE: '100000',
    RATE_LIMIT_VERIFY_PER_MINUTE: '100000',
    RATE_LIMIT_STATUS_PER_MINUTE: '100000',
    // Unlimited drains: the service's own vendor limiter is off (the fakes have no limits);
    // the limited drain overrides these.
    ...UNLIMITED_VENDORS,
    ...ctx.fakes.env,
    ...extra,
  };
}

/** Deletes every Redis key under a prefix this run created. */
export async function deletePrefix(ctx: BenchContext, prefix: string): Promise<number> {
  let deleted = 0;
  let cursor = '0';
  do {
    const [next, keys] = await ctx.redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) deleted += await ctx.redis.unlink(...keys);
  } while (cursor !== '0');
  ctx.prefixes.delete(prefix);
  return deleted;
}

/** Empties the fakes (store, logs, limits, tokens) and seeds every subject at every vendor. */
export function seedFakes(ctx: BenchContext, list: Subject[], opts: { amplitudeEvents?: number } = {}): void {
  ctx.fakes.reset();
  for (const s of list) {
    seedSubject(ctx.fakes, { email: s.email, userId: s.userId, firstName: 'Bench', lastName: 'Subject', country: 'PT', company: 'Bench Ltd', ...opts });
  }
}

/** min, median and max of the runs' values (NaNs left out). */
export function spread(xs: number[]): { min: number; median: number; max: number } {
  const v = xs.filter((x) => Number.isFinite(x));
  return { min: v.length ? Math.min(...v) : NaN, median: median(v), max: v.length ? Math.max(...v) : NaN };
}

export function median(xs: number[]): number {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const m = Math.floor(v.length / 2);
  return v.length % 2 ? v[m]! : (v[m - 1]! + v[m]!) / 2;
}

export function log(msg: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}
