import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { HealthCheckService, HealthIndicatorService, type HealthCheckResult } from '@nestjs/terminus';
import { Redis } from 'ioredis';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { PrismaService } from '../prisma/prisma.service.js';

const TIMEOUT_MS = 2000;

/**
 * Liveness and readiness (@nestjs/terminus), shared by the API's /health routes and each worker's
 * metrics port. Ready: PostgreSQL answers `SELECT 1` and Redis answers PING, each within 2 s.
 * Failures say which dependency is down, never a connection string or an address.
 */
@Injectable()
export class Readiness implements OnModuleDestroy {
  // A connection of its own that fails at once while Redis is away (no offline queue), so that a
  // probe answers "down" instead of waiting for the reconnection.
  private readonly redis: Redis;

  constructor(
    private readonly health: HealthCheckService,
    private readonly indicator: HealthIndicatorService,
    private readonly prisma: PrismaService,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.redis = new Redis(config.redisUrl, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: TIMEOUT_MS,
      retryStrategy: (times) => Math.min(times * 200, 2_000),
      connectionName: 'dsar-health',
    });
    // Reported by the readiness check; not worth a log line per reconnection attempt.
    this.redis.on('error', () => undefined);
  }

  /** The process is up and its event loop turns. */
  live(): Promise<HealthCheckResult> {
    return this.health.check([() => this.indicator.check('process').up({ uptimeSeconds: Math.round(process.uptime()) })]);
  }

  /** Throws ServiceUnavailableException (with the result as its body) when a dependency is down. */
  ready(): Promise<HealthCheckResult> {
    return this.health.check([
      () =>
        this.indicator
          .check('database')
          .attempt(async () => {
            await this.prisma.$queryRaw`SELECT 1`.catch(() => Promise.reject(new Error('PostgreSQL did not answer')));
          })
          .withTimeout(TIMEOUT_MS),
      () =>
        this.indicator
          .check('redis')
          .attempt(async () => {
            const pong = await this.redis.ping().catch(() => Promise.reject(new Error('Redis did not answer')));
            if (pong !== 'PONG') throw new Error('Redis answered PING wrongly');
          })
          .withTimeout(TIMEOUT_MS),
    ]);
  }

  onModuleDestroy(): void {
    this.redis.disconnect();
  }
}
