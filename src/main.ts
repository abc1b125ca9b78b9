import { Logger } from '@nestjs/common';
import { createApi } from './bootstrap.js';
import { ConfigError, loadConfig, loadDotEnv } from './config/config.js';

async function main(): Promise<void> {
  loadDotEnv();
  const config = loadConfig();
  const app = await createApi(config);
  await app.listen(config.port, '0.0.0.0');
  new Logger('API').log(`Listening on port ${config.port}`);
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? err.message : `API failed to start: ${(err as Error).message}`);
  process.exit(1);
});
