// Our HTTP API, exactly as src/main.ts starts it (createApi), on an ephemeral loopback port, plus a
// statement counter and an IPC channel for the bench.
import type { AddressInfo } from 'node:net';
import { queryCounts, resetQueryCounts } from '../lib/count-queries.js';
import { serveParent } from '../lib/ipc.js';
import { createApi } from '../../src/bootstrap.js';
import { loadConfig } from '../../src/config/config.js';

const config = loadConfig({ ...process.env, PORT: '0' });
const app = await createApi(config);
await app.listen(0, '127.0.0.1');
const port = (app.getHttpServer().address() as AddressInfo).port;

serveParent(
  {
    stats: () => ({ queries: queryCounts(), rssMb: process.memoryUsage().rss / 1048576 }),
    reset: () => resetQueryCounts(),
    stop: async () => {
      await app.close();
    },
  },
  { port },
);
