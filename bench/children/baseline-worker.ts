// Drain baseline: a bare BullMQ Worker with the same concurrency doing the irreducible work of one
// task: the same vendor HTTP calls against the same fakes (our adapters' erase(), with refs kept in
// memory instead of saved) or, for the product database, one DELETE of the account; then ONE
// PostgreSQL UPDATE of the task row. Job data carries what the task needs (no reads).
import { Worker, type Job } from 'bullmq';
import pg from 'pg';
import { queryCounts, resetQueryCounts } from '../lib/count-queries.js';
import { serveParent } from '../lib/ipc.js';
import { createProcessorSystems, loadVendorConfig } from '../../src/processors/index.js';
import type { SystemRefs } from '../../src/systems/data-system.js';

export interface BaselineTaskData {
  taskId: string;
  requestId: string;
  system: string;
  email: string;
  userId: string;
}

const env = process.env;
const pool = new pg.Pool({ connectionString: env.DATABASE_URL, max: 10 });
const systems = new Map(createProcessorSystems(loadVendorConfig(env)).map((s) => [s.key, s]));
const shutdown = new AbortController();

async function run(job: Job<BaselineTaskData>): Promise<void> {
  const d = job.data;
  let status = 'done';
  let outcome: string;
  let result: unknown;
  try {
    if (d.system === 'product-db') {
      const r = await pool.query('DELETE FROM accounts WHERE email = $1', [d.email]);
      outcome = r.rowCount ? 'erased' : 'not_found';
      result = { outcome };
    } else {
      const system = systems.get(d.system);
      if (!system) throw new Error(`unknown system ${d.system}`);
      const refs: SystemRefs = {};
      const res = await system.erase({
        receivedAt: new Date(),
        requestId: d.requestId,
        taskId: d.taskId,
        subject: { email: d.email, userId: d.userId },
        refs,
        saveRefs: async (more) => void Object.assign(refs, more),
        signal: shutdown.signal,
      });
      outcome = res.outcome;
      result = res;
    }
  } catch (err) {
    if (job.attemptsMade + 1 < (job.opts.attempts ?? 1)) throw err;
    status = 'failed';
    outcome = 'failed';
    result = { error: (err as Error).message };
  }
  await pool.query(
    'UPDATE dsar_tasks SET status = $2::task_status, outcome = $3, result = $4::jsonb, finished_at = now(), updated_at = now() WHERE id = $1::uuid',
    [d.taskId, status, outcome, JSON.stringify(result)],
  );
}

const worker = new Worker<BaselineTaskData>(env.BASELINE_QUEUE ?? 'baseline-tasks', run, {
  connection: { url: env.REDIS_URL ?? 'redis://127.0.0.1:6379', maxRetriesPerRequest: null },
  prefix: env.QUEUE_PREFIX,
  concurrency: Number(env.WORKER_CONCURRENCY ?? 20),
});
await worker.waitUntilReady();

serveParent({
  stats: () => ({ queries: queryCounts(), rssMb: process.memoryUsage().rss / 1048576 }),
  reset: () => resetQueryCounts(),
  stop: async () => {
    shutdown.abort();
    await worker.close();
    await pool.end();
  },
});
