// Our worker, exactly as src/worker.ts starts it (createWorker with the configuration from the
// environment), plus a statement counter and an IPC channel for the bench.
import { writeHeapSnapshot } from 'node:v8';
import { queryCounts, resetQueryCounts } from '../lib/count-queries.js';
import { serveParent } from '../lib/ipc.js';
import { createWorker } from '../../src/bootstrap.js';
import { loadConfig } from '../../src/config/config.js';

const config = loadConfig(process.env);
const app = await createWorker(config);

// Where the memory is at the highest RSS seen (sampled every 250 ms): heap vs everything else.
let peak = process.memoryUsage();
// BENCH_SNAPSHOT_RSS_MB: one heap snapshot the first time RSS passes it (to BENCH_SNAPSHOT_PATH).
let snapshotAt = Number(process.env.BENCH_SNAPSHOT_RSS_MB ?? 0);
setInterval(() => {
  const m = process.memoryUsage();
  if (m.rss > peak.rss) peak = m;
  if (snapshotAt > 0 && m.rss / 1048576 > snapshotAt) {
    snapshotAt = 0;
    writeHeapSnapshot(process.env.BENCH_SNAPSHOT_PATH ?? 'worker.heapsnapshot');
  }
}, 250).unref();
const mb = (x: number) => Math.round(x / 1048576);

serveParent({
  stats: () => ({
    queries: queryCounts(),
    rssMb: process.memoryUsage().rss / 1048576,
    atPeakMb: { rss: mb(peak.rss), heapTotal: mb(peak.heapTotal), heapUsed: mb(peak.heapUsed), external: mb(peak.external), arrayBuffers: mb(peak.arrayBuffers) },
  }),
  reset: () => resetQueryCounts(),
  heapSnapshot: (msg) => writeHeapSnapshot(String(msg.path)),
  stop: async () => {
    await app.close();
  },
});
