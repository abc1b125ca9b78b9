// Per-vendor outbound rate limits, shared by every worker process through Redis, so that many
// requests at once never trip a vendor's limit. Two kinds of rule, combinable per vendor bucket:
//  - a rate ("1/s", "500/m", "360/h"): calls are spaced evenly (GCRA reservations in one Lua call,
//    on Redis' clock) at HEADROOM of the limit, so arrival jitter cannot push a window over it;
//  - a concurrency cap ("5c"): a lease in a sorted set, expiring by itself if a worker dies.
// A 429 from the vendor pushes the bucket's next slot past the wait the vendor asked for, which
// slows every worker for that vendor, not just the job that saw it.
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { DataSystemError } from '../../systems/data-system.js';
import { sleep } from './vendor-http.js';

export interface LimitRule {
  /** Minimum spacing between calls, in ms (from a rate). */
  intervalMs?: number;
  maxConcurrent?: number;
  /** The rule as written, for messages. */
  text: string;
}

export const HEADROOM = 0.93;
const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses "10/s", "500/m", "5c", "1/s,8c" or "off". */
export function parseLimit(text: string): LimitRule | undefined {
  const t = text.trim().toLowerCase();
  if (t === 'off' || t === '') return undefined;
  const rule: LimitRule = { text: t };
  for (const part of t.split(',').map((p) => p.trim())) {
    let m = /^(\d+(?:\.\d+)?)\/([smhd])$/.exec(part);
    if (m) {
      const perUnit = Number(m[1]);
      if (!(perUnit > 0)) throw new Error(`"${part}" must allow at least some calls`);
      // Spaced a little under the limit (HEADROOM): perUnit spacings then leave 7 % of the unit
      // (75 ms a second) for calls delayed on their way (a busy event loop, the network) before
      // perUnit + 1 of them could land in one window of a vendor that counts in rolling windows.
      rule.intervalMs = UNITS[m[2]!]! / (perUnit * HEADROOM);
      continue;
    }
    m = /^(\d+)c$/.exec(part);
    if (m && Number(m[1]) > 0) {
      rule.maxConcurrent = Number(m[1]);
      continue;
    }
    throw new Error(`"${part}" is not a rate ("10/s", "500/m", "360/h") or a concurrency ("5c")`);
  }
  return rule;
}

// Reserve the next slot: returns the wait in ms, or -wait when it is longer than allowed (no reservation).
const RESERVE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local wait = tat - now
if wait > tonumber(ARGV[2]) then return -wait end
redis.call('SET', KEYS[1], tostring(tat + tonumber(ARGV[1])), 'PX', math.ceil(wait + tonumber(ARGV[1]) + 60000))
return wait`;

// Push the next slot to now + ms (a vendor said "wait").
const PENALIZE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
local until_ = now + tonumber(ARGV[1])
if until_ > tat then redis.call('SET', KEYS[1], tostring(until_), 'PX', math.ceil(tonumber(ARGV[1]) + 60000)) end
return until_`;

const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[2])
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]))
  return 1
end
return 0`;

export interface VendorGate {
  /** Waits for a slot; returns a release function. Throws rate_limited when the wait is too long. */
  acquire(bucket: string | undefined, signal?: AbortSignal): Promise<() => void>;
  /** The vendor answered 429: hold every worker back for `ms`. */
  penalize(bucket: string | undefined, ms: number): Promise<void>;
}

export interface VendorLimiterOptions {
  prefix: string;
  /** Rules by "<vendor>" or "<vendor>:<bucket>"; a bucket without its own rule uses the vendor's. */
  rules: Record<string, LimitRule | undefined>;
  /**
   * Longer waits go back to the job layer (default 250 ms). Lanes wait much longer (VENDOR_MAX_WAIT_SECONDS):
   * a task waiting in its own lane holds up no other system, and keeps its progress.
   */
  maxWaitMs?: number;
  /** Lease of a concurrency slot, so a dead worker's slot comes back (default 120 s). */
  leaseMs?: number;
}

export class VendorLimiter {
  private readonly maxWaitMs: number;
  private readonly leaseMs: number;
  /** This process's callers waiting for a concurrency slot, per key, first come first woken. */
  private readonly waiters = new Map<string, (() => void)[]>();

  constructor(private readonly redis: Redis, private readonly opts: VendorLimiterOptions) {
    this.maxWaitMs = opts.maxWaitMs ?? 250;
    this.leaseMs = opts.leaseMs ?? 120_000;
  }

  gate(vendor: string): VendorGate {
    return {
      acquire: (bucket, signal) => this.acquire(vendor, bucket, signal),
      penalize: (bucket, ms) => this.penalize(vendor, bucket, ms),
    };
  }

  private rule(vendor: string, bucket?: string): { key: string; rule: LimitRule } | undefined {
    const own = bucket ? this.opts.rules[`${vendor}:${bucket}`] : undefined;
    if (own) return { key: `${vendor}:${bucket}`, rule: own };
    const base = this.opts.rules[vendor];
    return base ? { key: vendor, rule: base } : undefined;
  }

  private async acquire(vendor: string, bucket: string | undefined, signal?: AbortSignal): Promise<() => void> {
    const r = this.rule(vendor, bucket);
    if (!r) return () => undefined;
    const { key, rule } = r;
    let release: () => void = () => undefined;
    if (rule.maxConcurrent !== undefined) {
      const token = randomUUID();
      const zkey = `${this.opts.prefix}:limit:${key}:inflight`;
      const deadline = Date.now() + this.maxWaitMs;
      // Poll for a free lease, quickly at first, then less often (many tasks may wait in a lane).
      // A slot freed in this process wakes its next waiter at once; slots freed by other workers
      // are seen by polling (20 ms, growing to 250 ms).
      for (let pause = 20; ; pause = Math.min(pause * 1.5, 250)) {
        const ok = await this.redis.eval(ACQUIRE, 1, zkey, rule.maxConcurrent, token, this.leaseMs);
        if (ok === 1) break;
        if (Date.now() > deadline) {
          throw new DataSystemError('rate_limited', `${vendor}: ${rule.maxConcurrent} calls already in flight`, 1000);
        }
        await this.waitForSlot(zkey, pause + Math.random() * pause, signal);
      }
      release = () =>
        void this.redis
          .zrem(zkey, token)
          .catch(() => undefined)
          .then(() => this.waiters.get(zkey)?.shift()?.());
    }
    if (rule.intervalMs !== undefined) {
      try {
        const wait = Number(await this.redis.eval(RESERVE, 1, `${this.opts.prefix}:limit:${key}:tat`, rule.intervalMs.toFixed(3), this.maxWaitMs));
        if (wait < 0) throw new DataSystemError('rate_limited', `${vendor}: over its configured rate (${rule.text})`, -wait);
        if (wait > 0) await sleep(wait, signal);
      } catch (err) {
        release();
        throw err;
      }
    }
    return release;
  }

  private async waitForSlot(zkey: string, ms: number, signal?: AbortSignal): Promise<void> {
    let wake: () => void = () => undefined;
    const woken = new Promise<void>((resolve) => (wake = resolve));
    const queue = this.waiters.get(zkey) ?? [];
    queue.push(wake);
    this.waiters.set(zkey, queue);
    try {
      await Promise.race([woken, sleep(ms, signal)]);
    } finally {
      const q = this.waiters.get(zkey);
      const i = q?.indexOf(wake) ?? -1;
      if (q && i >= 0) q.splice(i, 1);
      if (q && q.length === 0) this.waiters.delete(zkey);
    }
  }

  private async penalize(vendor: string, bucket: string | undefined, ms: number): Promise<void> {
    const r = this.rule(vendor, bucket);
    const key = r?.key ?? vendor;
    await this.redis.eval(PENALIZE, 1, `${this.opts.prefix}:limit:${key}:tat`, Math.ceil(ms));
  }
}

/** Defaults from each vendor's documented limits (lowest plan where plans differ). */
export const DEFAULT_LIMITS: Record<string, string> = {
  auth0: '2/s', // Management API, Free plan 2/s (paid plans: e.g. 500/min reads, 200/min deletes)
  intercom: '150/s', // 10,000 calls/min per app, spread over 10-second windows
  amplitude: '360/h,10c', // Dashboard REST usersearch/useractivity: 360 queries/hour, 10 concurrent
  // User Privacy API: 1 request/s, 8 in parallel. Paced at 50/m (one call every 1.3 s): a call
  // delayed on its way cannot land in the same second as the next one, and each call carries up
  // to 100 users, so the slower pace costs nothing.
  'amplitude:deletions': '50/m,8c',
  hotjar: '50/s', // 3,000 requests/min
  pardot: '5c', // 5 concurrent requests per business unit (plus a daily quota, not paced here)
  'pardot:salesforce': '25c', // Salesforce REST, same connected app: 25 long-running requests at once (daily quota not paced)
  sendgrid: '10/s', // per-endpoint limits unpublished; X-RateLimit-* headers tell the truth
  'sendgrid:erasure': '100/m', // POST /v3/recipients/erasejob: 100 requests a minute (sendgrid-erasure.json)
  'inline-manual': '5/s', // unpublished
  // Azure Monitor query throttling: 200 queries per 30 s and 5 concurrent per user (azure-docs
  // azure-monitor-limits-log-queries.md, Log Analytics; the Application Insights query API's own
  // limits are not published). Token requests share this bucket.
  'azure-app-insights': '6/s,5c',
  'azure-app-insights:purge': '50/h', // purge requests are throttled at 50 per hour (components_API.json, personal-data-mgmt.md)
  'azure-app-insights:arm': '10/s', // purge status reads; ARM allows far more reads per principal
};

/** Reads RATE_LIMIT_<VENDOR>[_<BUCKET>] (e.g. RATE_LIMIT_AMPLITUDE_DELETIONS=1/s) over the defaults. */
export function limitRulesFromEnv(env: Record<string, string | undefined>): Record<string, LimitRule | undefined> {
  const out: Record<string, LimitRule | undefined> = {};
  for (const [key, fallback] of Object.entries(DEFAULT_LIMITS)) {
    const name = `RATE_LIMIT_${key.replace(/[-:]/g, '_').toUpperCase()}`;
    const raw = env[name]?.trim() || fallback;
    try {
      out[key] = parseLimit(raw);
    } catch (err) {
      throw new Error(`Invalid configuration: ${name} ${(err as Error).message}`);
    }
  }
  return out;
}
