// Intake baseline: the irreducible work of POST /v1/requests on the same stack, through its fastest
// path. A minimal NestJS app on @nestjs/platform-express with its default JSON body parser and one
// controller that parses the same body and does ONE INSERT of the same row (id, type, status,
// email, open_key, received_at, due_at, updated_at) straight through pg, on a pool of the same size
// as ours (DATABASE_POOL_SIZE, default 20), and answers the same 202 body. No validation, no
// normalisation, no audit row, no queue, no rate limit, no security headers.
import 'reflect-metadata';
import { Body, Controller, HttpCode, Inject, Module, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { queryCounts, resetQueryCounts } from '../lib/count-queries.js';
import { serveParent } from '../lib/ipc.js';
import { loadConfig } from '../../src/config/config.js';
import { dueDate } from '../../src/requests/deadline.js';
import { RECEIVED } from '../../src/requests/requests.service.js';

const POOL = Symbol('POOL');

@Controller('v1/requests')
class BareRequestsController {
  constructor(@Inject(POOL) private readonly pool: pg.Pool) {}

  @Post()
  @HttpCode(202)
  async create(@Body() body: { type: 'access' | 'erasure'; email: string }): Promise<typeof RECEIVED> {
    const now = new Date();
    await this.pool.query(
      `INSERT INTO dsar_requests (id, type, status, email, open_key, received_at, due_at, updated_at)
       VALUES (gen_random_uuid(), $1::request_type, 'awaiting_verification', $2, $3, $4, $5, $4)`,
      [body.type, body.email, `${body.type}:${body.email}`, now, dueDate(now)],
    );
    return RECEIVED;
  }
}

// The same pool size as ours, read the same way.
const { databasePoolSize } = loadConfig({ ...process.env, NODE_ENV: 'development' });
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL!, max: databasePoolSize });

@Module({ controllers: [BareRequestsController], providers: [{ provide: POOL, useValue: pool }] })
class BareModule {}

const app = await NestFactory.create<NestExpressApplication>(BareModule, { logger: ['error'] });
app.disable('x-powered-by');
await app.listen(0, '127.0.0.1');
const port = (app.getHttpServer().address() as AddressInfo).port;

serveParent(
  {
    stats: () => ({ queries: queryCounts(), rssMb: process.memoryUsage().rss / 1048576, poolSize: databasePoolSize }),
    reset: () => resetQueryCounts(),
    stop: async () => {
      await app.close();
      await pool.end();
    },
  },
  { port, poolSize: databasePoolSize },
);
