// Our worker, exactly as src/worker.ts starts it (createWorker with the configuration from the
// environment), plus a statement counter and an IPC channel for the bench.
import { queryCounts, resetQueryCounts } from '../lib/count-queries.js';
import { serveParent } from '../lib/ipc.js';
import { createWorker } from '../../src/bootstrap.js';
import { loadConfig } from '../../src/config/config.js';

const config = loadConfig(process.env);
const app = await createWorker(config);

serveParent({
  stats: () => ({ queries: queryCounts(), rssMb: process.memoryUsage().rss / 1048576 }),
  reset: () => resetQueryCounts(),
  stop: async () => {
    await app.close();
  },
});
