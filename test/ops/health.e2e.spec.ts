// Liveness and readiness (@nestjs/terminus): readiness answers 503 naming the dependency that is
// down — Redis stopped under a running API, Redis or PostgreSQL unreachable from the start — and
// 200 again once it is back. Only a redis-server of this test's own is ever stopped.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { startHarness, waitFor, type Harness } from '../support/harness.js';
import { freePort, startRedis, type Proc } from '../support/processes.js';

let redisPort: number;
let redis: Proc | undefined;
let h: Harness;

beforeAll(async () => {
  redisPort = await freePort();
  redis = await startRedis(redisPort);
  h = await startHarness({ worker: false, env: { REDIS_URL: `redis://127.0.0.1:${redisPort}` } });
});
afterAll(async () => {
  await h?.stop();
  redis?.child.kill('SIGKILL');
});

async function probe(baseUrl: string, path: string) {
  const res = await fetch(`${baseUrl}${path}`);
  return { status: res.status, body: (await res.json()) as any, cache: res.headers.get('cache-control') };
}

async function stopRedis(): Promise<void> {
  const p = redis!;
  redis = undefined;
  p.child.kill('SIGKILL');
  await p.exited;
}

describe('health', () => {
  test('ready while PostgreSQL and Redis answer; 503 naming Redis once it stops; ready again when it is back', async () => {
    const ready = await probe(h.baseUrl, '/health/ready');
    expect(ready).toMatchObject({ status: 200, body: { status: 'ok', info: { database: { status: 'up' }, redis: { status: 'up' } } } });
    expect(ready.cache).toMatch(/no-store/);
    expect((await probe(h.baseUrl, '/health')).status).toBe(200);

    await stopRedis();
    const down = await waitFor(async () => {
      const r = await probe(h.baseUrl, '/health/ready');
      return r.status === 503 ? r : undefined;
    }, 10_000, 'readiness to fail');
    expect(down.body).toMatchObject({ status: 'error', info: { database: { status: 'up' } }, error: { redis: { status: 'down', message: 'Redis did not answer' } } });
    // No address, port or connection string in what it says.
    expect(JSON.stringify(down.body)).not.toMatch(/127\.0\.0\.1|redis:\/\/|postgres/);
    expect((await probe(h.baseUrl, '/health')).status).toBe(503);
    // Liveness is about the process only.
    expect(await probe(h.baseUrl, '/health/live')).toMatchObject({ status: 200, body: { status: 'ok', info: { process: { status: 'up' } } } });

    redis = await startRedis(redisPort);
    const back = await waitFor(async () => {
      const r = await probe(h.baseUrl, '/health/ready');
      return r.status === 200 ? r : undefined;
    }, 15_000, 'readiness to recover');
    expect(back.body.info.redis.status).toBe('up');
  });

  test('an API started with Redis unreachable is live but not ready', async () => {
    const nothing = await freePort();
    const api = await startHarness({ worker: false, env: { REDIS_URL: `redis://127.0.0.1:${nothing}` } });
    try {
      expect((await probe(api.baseUrl, '/health/live')).status).toBe(200);
      const r = await probe(api.baseUrl, '/health/ready');
      expect(r).toMatchObject({ status: 503, body: { status: 'error', error: { redis: { status: 'down' } }, info: { database: { status: 'up' } } } });
    } finally {
      await api.stop();
    }
  });

  test('an API whose PostgreSQL is unreachable is not ready, naming the database', async () => {
    const nothing = await freePort();
    const api = await startHarness({ worker: false, env: { DATABASE_URL: `postgresql://postgres@127.0.0.1:${nothing}/dsar` } });
    try {
      const r = await probe(api.baseUrl, '/health/ready');
      expect(r).toMatchObject({ status: 503, body: { status: 'error', error: { database: { status: 'down', message: 'PostgreSQL did not answer' } }, info: { redis: { status: 'up' } } } });
      expect(JSON.stringify(r.body)).not.toContain(String(nothing));
    } finally {
      await api.stop();
    }
  });
});
