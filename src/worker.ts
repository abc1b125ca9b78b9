import { Logger } from '@nestjs/common';
import { createWorker } from './bootstrap.js';
import { ConfigError, loadConfig, loadDotEnv } from './config/config.js';

async function main(): Promise<void> {
  loadDotEnv();
  const config = loadConfig();
  const app = await createWorker(config);
  const logger = new Logger('Worker');
  logger.log(`Worker running (concurrency ${config.workerConcurrency})`);
  // SIGTERM (a redeploy) or Ctrl-C: stop taking jobs, let the active ones finish, then exit.
  // A second signal exits at once; stalled-job recovery then hands those jobs to another worker.
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) process.exit(1);
    stopping = true;
    logger.log(`${signal}: finishing active jobs before exit`);
    app
      .close()
      .then(() => {
        logger.log('Worker stopped');
        process.exit(0);
      })
      .catch((err: Error) => {
        logger.error(`Shutdown failed: ${err.name}`);
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? err.message : `Worker failed to start: ${(err as Error).message}`);
  process.exit(1);
});
