// The per-vendor limits hold across processes: two limiters with their own Redis connections
// (as two workers would have) share each vendor's budget, and the fakes, enforcing the vendor's
// limit, never have to answer 429.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { startVendorFakes, type VendorFakes } from '../../src/demo/fakes/index.js';
import { HEADROOM } from '../../src/processors/http/vendor-limiter.js';
import { Auth0Adapter, loadVendorConfig, PardotAdapter, parseLimit, VendorLimiter } from '../../src/processors/index.js';
import { TEST_REDIS_URL } from '../support/env.js';
import { makeCtx } from './support.js';

let fakes: VendorFakes;
const redis: Redis[] = [];

beforeAll(async () => {
  fakes = await startVendorFakes();
});
afterAll(async () => {
  await Promise.all(redis.map((r) => r.quit()));
  await fakes.stop();
});

function limiters(n: number, rules: Record<string, string>) {
  const prefix = `test-limit-${randomUUID().slice(0, 8)}`;
  const parsed = Object.fromEntries(Object.entries(rules).map(([k, v]) => [k, parseLimit(v)]));
  return Array.from({ length: n }, () => {
    const r = new Redis(TEST_REDIS_URL);
    redis.push(r);
    // Waits up to 10 s in the call itself, as there is no job layer here to hand the task back to.
    return new VendorLimiter(r, { prefix, rules: parsed, maxWaitMs: 10_000 });
  });
}

describe('limit rules', () => {
  test('parse rates and concurrency, with headroom below the vendor limit', () => {
    expect(parseLimit('1/s')).toEqual({ text: '1/s', intervalMs: 1000 / HEADROOM });
    expect(parseLimit('360/h,10c')).toEqual({ text: '360/h,10c', intervalMs: 10_000 / HEADROOM, maxConcurrent: 10 });
    expect(HEADROOM).toBeGreaterThanOrEqual(0.9);
    expect(HEADROOM).toBeLessThan(1);
    expect(parseLimit('5c')).toEqual({ text: '5c', maxConcurrent: 5 });
    expect(parseLimit('off')).toBeUndefined();
    expect(() => parseLimit('fast')).toThrow('is not a rate');
    expect(() => parseLimit('0/s')).toThrow('at least some calls');
  });
});

describe('shared across processes', () => {
  test('two workers calling one vendor stay under its rate: no 429, and the rate is used', async () => {
    const vendors = loadVendorConfig(fakes.env);
    fakes.auth0.reset();
    fakes.auth0.setRateLimit({ perSecond: 10 });
    const [a, b] = limiters(2, { auth0: '10/s' });
    const adapters = [new Auth0Adapter(vendors.auth0, 5000, a!.gate('auth0')), new Auth0Adapter(vendors.auth0, 5000, b!.gate('auth0'))];
    // Warm the token caches so that only lookups are counted (two per access: users-by-email and the search).
    await Promise.all(adapters.map((x) => x.access(makeCtx({ email: 'warm@example.com' }).ctx)));
    const before = fakes.auth0.log.length;
    const started = Date.now();
    await Promise.all(Array.from({ length: 15 }, (_, i) => adapters[i % 2]!.access(makeCtx({ email: `nobody-${i}@example.com` }).ctx)));
    const seconds = (Date.now() - started) / 1000;
    const calls = fakes.auth0.log.length - before;
    expect(calls).toBe(30);
    expect(fakes.auth0.rateLimited).toBe(0);
    // 30 calls at 10/s (with the headroom) take about 3 s: limited, but not by much.
    expect(seconds).toBeGreaterThan(2.5);
    expect(calls / seconds).toBeGreaterThan(10 * 0.85);
    fakes.auth0.setRateLimit({});
  });

  test('a concurrency cap holds across workers', async () => {
    const vendors = loadVendorConfig(fakes.env);
    fakes.pardot.reset();
    fakes.pardot.setRateLimit({ maxConcurrent: 2 });
    fakes.pardot.slowNext(1000, 60);
    const [a, b] = limiters(2, { pardot: '2c' });
    const adapters = [new PardotAdapter(vendors.pardot, 5000, a!.gate('pardot')), new PardotAdapter(vendors.pardot, 5000, b!.gate('pardot'))];
    await Promise.all(Array.from({ length: 12 }, (_, i) => adapters[i % 2]!.access(makeCtx({ email: `p-${i}@example.com` }).ctx)));
    expect(fakes.pardot.rateLimited).toBe(0);
    expect(fakes.pardot.log.filter((l) => l.path.startsWith('/api/v5/objects/prospects')).length).toBe(12);
    fakes.pardot.reset();
  });

  test('a 429 seen by one worker holds back the other until the vendor\'s reset', async () => {
    const vendors = loadVendorConfig(fakes.env);
    fakes.auth0.reset();
    const [a, b] = limiters(2, { auth0: '100/s' });
    const one = new Auth0Adapter(vendors.auth0, 5000, a!.gate('auth0'));
    const two = new Auth0Adapter(vendors.auth0, 5000, b!.gate('auth0'));
    await Promise.all([one, two].map((x) => x.access(makeCtx({ email: 'warm@example.com' }).ctx)));
    fakes.auth0.rateLimitNext(1, 2); // X-RateLimit-Reset two seconds ahead
    const first = one.access(makeCtx({ email: 'r1@example.com' }).ctx).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 150));
    const started = Date.now();
    await two.access(makeCtx({ email: 'r2@example.com' }).ctx);
    expect(Date.now() - started).toBeGreaterThan(800);
    await first;
  });
});
