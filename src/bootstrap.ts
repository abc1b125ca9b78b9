import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { INestApplication, INestApplicationContext } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import cookieParser from 'cookie-parser';
import { Logger } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import { AppModule } from './app.module.js';
import type { AppConfig } from './config/config.js';
import { MaintenanceService } from './fulfilment/maintenance.service.js';
import { ReconcilerService } from './fulfilment/reconciler.service.js';
import { RequestsProcessor } from './fulfilment/requests.processor.js';
import { LaneWorkers } from './fulfilment/lanes.service.js';
import { createRootLogger } from './ops/logging.js';
import { setupOpenApi } from './ops/openapi.js';
import { queueBoardImports } from './ops/queue-board.js';
import { WorkerModule } from './worker.module.js';

export interface ProcessOptions {
  /** Where log lines go instead of stdout (tests read them). */
  logStream?: DestinationStream;
}

export async function createApi(config: AppConfig, opts: ProcessOptions = {}): Promise<INestApplication> {
  const logger = await createRootLogger(config, opts.logStream);
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config, logger, await queueBoardImports()), {
    bodyParser: false,
    // Held until pino takes over (below), so that start-up lines come out in the same format.
    bufferLogs: true,
  });
  app.useLogger(app.get(Logger));
  app.disable('x-powered-by');
  // The console's session cookie (parsed only; nothing is signed with it).
  app.use(cookieParser());
  // TRUST_PROXY: behind one reverse proxy, req.ip is the address that proxy saw (the last
  // X-Forwarded-For entry); otherwise X-Forwarded-For is ignored. The rate limiter keys on req.ip.
  app.set('trust proxy', config.trustProxy ? 1 : false);
  setupOpenApi(app);
  app.enableShutdownHooks();
  return app;
}

export async function createWorker(config: AppConfig, opts: ProcessOptions = {}): Promise<INestApplicationContext> {
  const logger = await createRootLogger(config, opts.logStream);
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config, logger), { bufferLogs: true });
  app.useLogger(app.get(Logger));
  // No enableShutdownHooks: src/worker.ts handles SIGTERM/SIGINT itself (finish active jobs, exit 0).
  await app.init();
  // Recover whatever the database says is unfinished (for example after Redis lost its data).
  await app.get(ReconcilerService).reconcile();
  const maintenance = app.get(MaintenanceService);
  await maintenance.ensureScheduled();
  // Redis keeps nothing on disk here: if it restarts empty, the job scheduler is gone with it.
  // Re-asserting it now and then (an idempotent upsert) brings maintenance, and so recovery, back.
  const timer = setInterval(
    () => void maintenance.ensureScheduled().catch(() => undefined),
    Math.max(config.maintenanceIntervalMs, 5000),
  );
  timer.unref();
  const close = app.close.bind(app);
  app.close = async () => {
    clearInterval(timer);
    // The consumers first, waiting for their active jobs, while the database, Redis and the vendor
    // limiter they use are still open; then everything else.
    await Promise.all([app.get(LaneWorkers).close(), app.get(RequestsProcessor).worker.close()]);
    await close();
  };
  return app;
}
