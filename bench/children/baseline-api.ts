// Intake baseline: the irreducible work of POST /v1/requests on the same HTTP stack. A minimal
// NestJS app on @nestjs/platform-express with its default JSON body parser and one controller that
// parses the same body and does ONE INSERT of the same row (id, type, email, open_key,
// received_at, due_at, updated_at) through the same generated Prisma client and pg adapter (same
// pool size). No validation, no transaction, no audit row, no queue.
import 'reflect-metadata';
import { Body, Controller, HttpCode, Inject, Module, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { PrismaPg } from '@prisma/adapter-pg';
import type { AddressInfo } from 'node:net';
import { queryCounts, resetQueryCounts } from '../lib/count-queries.js';
import { serveParent } from '../lib/ipc.js';
import { PrismaClient } from '../../src/generated/prisma/client.js';
import { dueDate } from '../../src/requests/deadline.js';
import { publicView, type PublicRequestView } from '../../src/requests/requests.service.js';

const PRISMA = Symbol('PRISMA');

@Controller('v1/requests')
class BareRequestsController {
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  @Post()
  @HttpCode(202)
  async create(@Body() body: { type: 'access' | 'erasure'; email: string }): Promise<PublicRequestView> {
    const now = new Date();
    const r = await this.prisma.dsarRequest.create({
      data: { type: body.type, email: body.email, openKey: `${body.type}:${body.email}`, receivedAt: now, dueAt: dueDate(now) },
    });
    return publicView(r);
  }
}

const prisma = new PrismaClient({
  adapter: new PrismaPg({ connectionString: process.env.DATABASE_URL!, max: 10 }),
});

@Module({ controllers: [BareRequestsController], providers: [{ provide: PRISMA, useValue: prisma }] })
class BareModule {}

const app = await NestFactory.create<NestExpressApplication>(BareModule, { logger: ['error'] });
app.disable('x-powered-by');
await app.listen(0, '127.0.0.1');
const port = (app.getHttpServer().address() as AddressInfo).port;

serveParent(
  {
    stats: () => ({ queries: queryCounts(), rssMb: process.memoryUsage().rss / 1048576 }),
    reset: () => resetQueryCounts(),
    stop: async () => {
      await app.close();
      await prisma.$disconnect();
    },
  },
  { port },
);
