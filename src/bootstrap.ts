import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { INestApplication, INestApplicationContext, LogLevel } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module.js';
import type { AppConfig } from './config/config.js';
import { ReconcilerService } from './fulfilment/reconciler.service.js';
import { EnqueueService } from './queues/enqueue.service.js';
import { WorkerModule } from './worker.module.js';

const LEVELS: Record<AppConfig['logLevel'], LogLevel[]> = {
  error: ['fatal', 'error'],
  warn: ['fatal', 'error', 'warn'],
  log: ['fatal', 'error', 'warn', 'log'],
  debug: ['fatal', 'error', 'warn', 'log', 'debug'],
};

export async function createApi(config: AppConfig, logger?: LogLevel[] | false): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), {
    bodyParser: false,
    logger: logger ?? LEVELS[config.logLevel],
  });
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.enableShutdownHooks();
  return app;
}

export async function createWorker(
  config: AppConfig,
  logger?: LogLevel[] | false,
  opts: { reconcileEveryMs?: number } = {},
): Promise<INestApplicationContext> {
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config), {
    logger: logger ?? LEVELS[config.logLevel],
  });
  app.enableShutdownHooks();
  await app.init();
  // Recover whatever the database says is unfinished (for example after Redis lost its data).
  await app.get(ReconcilerService).reconcile();
  await app.get(EnqueueService).scheduleReconciler(opts.reconcileEveryMs ?? 60_000);
  return app;
}
