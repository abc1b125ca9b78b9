import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { Redis } from 'ioredis';
import { createHash } from 'node:crypto';
import { APP_CONFIG, type AppConfig } from '../config/config.js';

export const RATE_LIMIT_WINDOW_MS = 60_000;

/** Fixed window, one atomic call: count the hit and start the window (its expiry) on the first one. */
const HIT_SCRIPT = `
local n = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {n, ttl}
`;

export interface RateLimitVerdict {
  allowed: boolean;
  /** Seconds until the window ends (at least 1). */
  retryAfterSeconds: number;
}

type ScriptedRedis = Redis & { rateLimitHit(key: string, windowMs: number): Promise<[number, number]> };

const WARN_EVERY_MS = 30_000;

/**
 * The rate limiter's own Redis connection (shared by every API process, so the limits hold across
 * them). Keys live under `<QUEUE_PREFIX>:ratelimit:` and hold a hash of the client address, never
 * the address itself; they expire with their window.
 *
 * Fail open: when Redis is down or slow, `hit` answers `undefined` and the request goes through,
 * with a (throttled) warning. Losing the limiter for a while is better than refusing data subjects
 * their statutory right because a cache is unavailable.
 */
@Injectable()
export class RateLimitStore implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('RateLimit');
  private readonly redis: ScriptedRedis;
  private readonly prefix: string;
  private readonly enabled: boolean;
  private lastWarningAt = 0;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.prefix = `${config.queuePrefix}:ratelimit`;
    this.enabled = Object.values(config.rateLimit).some((n) => n > 0);
    this.redis = new Redis(config.redisUrl, {
      lazyConnect: true,
      // While disconnected, commands fail at once (and the request goes through) instead of
      // queueing behind the reconnection; a slow Redis costs a request at most commandTimeout.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: 500,
      retryStrategy: (times) => Math.min(times * 200, 5_000),
      connectionName: 'dsar-rate-limit',
    }) as ScriptedRedis;
    this.redis.defineCommand('rateLimitHit', { numberOfKeys: 1, lua: HIT_SCRIPT });
    this.redis.on('error', (err: Error) => this.warn(`Redis error (${err.message}); rate limits are not enforced meanwhile`));
  }

  async onModuleInit(): Promise<void> {
    if (!this.enabled) return;
    // Connect before the first request so that the first requests are counted. If Redis is down at
    // start-up the API starts anyway; ioredis keeps reconnecting in the background.
    await this.redis.connect().catch((err: Error) => this.warn(`Cannot reach Redis (${err.message}); rate limits are not enforced until it answers`));
  }

  async onModuleDestroy(): Promise<void> {
    if (this.redis.status === 'ready') {
      await this.redis.quit().catch(() => this.redis.disconnect());
    } else {
      this.redis.disconnect();
    }
  }

  private key(routeClass: string, client: string): string {
    return `${this.prefix}:${routeClass}:${createHash('sha256').update(client).digest('base64url').slice(0, 22)}`;
  }

  /** The count of the current window without adding to it; `undefined` when Redis could not answer. */
  async peek(routeClass: string, client: string): Promise<{ count: number; retryAfterSeconds: number } | undefined> {
    try {
      const key = this.key(routeClass, client);
      const [count, ttl] = await Promise.all([this.redis.get(key), this.redis.pttl(key)]);
      return { count: Number(count ?? 0), retryAfterSeconds: Math.max(1, Math.ceil(Number(ttl) / 1000)) };
    } catch (err) {
      this.warn(`Rate limit check failed (${(err as Error).message}); request let through`);
      return undefined;
    }
  }

  /** Counts one request of `routeClass` from `client`; `undefined` when Redis could not answer. */
  async hit(routeClass: string, client: string, limit: number): Promise<RateLimitVerdict | undefined> {
    const key = this.key(routeClass, client);
    try {
      const [count, ttlMs] = await this.redis.rateLimitHit(key, RATE_LIMIT_WINDOW_MS);
      return { allowed: Number(count) <= limit, retryAfterSeconds: Math.max(1, Math.ceil(Number(ttlMs) / 1000)) };
    } catch (err) {
      this.warn(`Rate limit check failed (${(err as Error).message}); request let through`);
      return undefined;
    }
  }

  private warn(message: string): void {
    const now = Date.now();
    if (now - this.lastWarningAt < WARN_EVERY_MS) return;
    this.lastWarningAt = now;
    this.logger.warn(message);
  }
}
