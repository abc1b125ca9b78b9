import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { Prisma, PrismaClient } from '../generated/prisma/client.js';

export type Tx = Prisma.TransactionClient;

@Injectable()
export class PrismaService extends PrismaClient implements OnModuleDestroy {
  /** The connection pool Prisma's adapter uses; `sql()` runs hot-path statements on it directly. */
  readonly pool: pg.Pool;
  private ended = false;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    // pg's pool reconnects by itself after a PostgreSQL restart; queries in flight then fail and
    // are retried by the job layer. A worker needs about one connection per concurrent job.
    const pool = new pg.Pool({ connectionString: config.databaseUrl, max: config.databasePoolSize });
    // Idle connections broken by a server restart emit 'error'; the pool drops them.
    pool.on('error', () => undefined);
    super({ adapter: new PrismaPg(pool) });
    this.pool = pool;
  }

  /**
   * One statement straight through pg, on the same pool, skipping Prisma's query compiler: for the
   * few statements run for every task or every submission (they dominate the CPU profile).
   * Parameters are $1, $2 … and always bound, never interpolated.
   */
  async sql<T>(text: string, values: unknown[]): Promise<T[]> {
    return (await this.pool.query(text, values)).rows as T[];
  }

  /** Several hot-path statements in one transaction on one pooled connection (`q` runs each). */
  async sqlTx<T>(fn: (q: <R>(text: string, values: unknown[]) => Promise<R[]>) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const out = await fn(async <R>(text: string, values: unknown[]) => (await client.query(text, values)).rows as R[]);
      await client.query('COMMIT');
      return out;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  async onModuleDestroy(): Promise<void> {
    await this.$disconnect();
    if (!this.ended) {
      this.ended = true;
      await this.pool.end().catch(() => undefined);
    }
  }
}
