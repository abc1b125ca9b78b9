import { Logger } from '@nestjs/common';
import { createWorker } from './bootstrap.js';
import { ConfigError, loadConfig, loadDotEnv } from './config/config.js';

async function main(): Promise<void> {
  loadDotEnv();
  const config = loadConfig();
  await createWorker(config);
  new Logger('Worker').log(`Worker running (concurrency ${config.workerConcurrency})`);
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? err.message : `Worker failed to start: ${(err as Error).message}`);
  process.exit(1);
});
