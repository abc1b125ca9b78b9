import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { INestApplication, INestApplicationContext, LoggerService, LogLevel } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import cookieParser from 'cookie-parser';
import { AppModule } from './app.module.js';
import type { AppConfig } from './config/config.js';
import { MaintenanceService } from './fulfilment/maintenance.service.js';
import { ReconcilerService } from './fulfilment/reconciler.service.js';
import { RequestsProcessor } from './fulfilment/requests.processor.js';
import { LaneWorkers } from './fulfilment/lanes.service.js';
import { WorkerModule } from './worker.module.js';

const LEVELS: Record<AppConfig['logLevel'], LogLevel[]> = {
  error: ['fatal', 'error'],
  warn: ['fatal', 'error', 'warn'],
  log: ['fatal', 'error', 'warn', 'log'],
  debug: ['fatal', 'error', 'warn', 'log', 'debug'],
};

export async function createApi(config: AppConfig, logger?: LoggerService | LogLevel[] | false): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), {
    bodyParser: false,
    logger: logger ?? LEVELS[config.logLevel],
  });
  app.disable('x-powered-by');
  // The console's session cookie (parsed only; nothing is signed with it).
  app.use(cookieParser());
  // TRUST_PROXY: behind one reverse proxy, req.ip is the address that proxy saw (the last
  // X-Forwarded-For entry); otherwise X-Forwarded-For is ignored. The rate limiter keys on req.ip.
  app.set('trust proxy', config.trustProxy ? 1 : false);
  app.enableShutdownHooks();
  return app;
}

export async function createWorker(config: AppConfig, logger?: LoggerService | LogLevel[] | false): Promise<INestApplicationContext> {
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config), {
    logger: logger ?? LEVELS[config.logLevel],
  });
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
