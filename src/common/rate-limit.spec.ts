import { describe, expect, jest, test } from '@jest/globals';
import type { NextFunction, Request, Response } from 'express';
import { loadConfig } from '../config/config.js';
import { classifyRoute, clientKey, RateLimitMiddleware } from './rate-limit.js';
import { RateLimitStore } from './rate-limit.store.js';

describe('route classes', () => {
  test.each([
    ['POST', '/v1/requests', 'intake'],
    ['POST', '/v1/requests/', 'intake'],
    ['POST', '/V1/Requests?x=1', 'intake'],
    // Absolute-form request targets (RFC 9112 §3.2.2) are routed by their path, so counted by it.
    ['POST', 'http://dsar.example/v1/requests', 'intake'],
    ['POST', 'http://dsar.example:8080/v1/requests/?a=b', 'intake'],
    ['POST', 'https://x/v1/requests/abc/verify', 'verify'],
    ['GET', 'http://x/v1/requests/abc', 'status'],
    ['GET', '/v1/reports/abc?token=t', 'report'],
    ['GET', '/v1/reports/abc/report.json?token=t', 'report'],
    ['GET', '/v1/reports/abc/report.csv', 'report'],
    ['POST', '/v1/reports/abc', undefined],
    ['POST', '/v1/requests/abc/verify', 'verify'],
    ['GET', '/v1/requests/abc/verify?token=t', 'verify'],
    ['HEAD', '/v1/requests/abc/verify', 'verify'],
    ['GET', '/v1/requests/abc', 'status'],
    ['GET', '/v1/requests/abc/', 'status'],
    ['HEAD', '/v1/requests/abc', 'status'],
    ['GET', '/v1/requests', undefined],
    ['PUT', '/v1/requests/abc', undefined],
    ['GET', '/v1/admin/requests', undefined],
    ['GET', '/v1/admin/requests/abc', undefined],
    ['POST', '/v1/admin/requests/abc/retry', undefined],
    ['GET', '/health', undefined],
  ])('%s %s → %s', (method, url, expected) => {
    expect(classifyRoute(method, url)).toBe(expected);
  });
});

describe('client keys', () => {
  test.each([
    ['203.0.113.7', '203.0.113.7'],
    ['::ffff:203.0.113.7', '203.0.113.7'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['2001:DB8:1:2::99', '2001:db8:1:2::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['64:ff9b:1:2::192.0.2.1', '64:ff9b:1:2::/64'],
    ['', 'unknown'],
  ])('%s → %s', (address, key) => {
    expect(clientKey(address)).toBe(key);
  });
});

describe('settings', () => {
  test('defaults', () => {
    const c = loadConfig({});
    expect(c.rateLimit).toEqual({ intakePerMinute: 10, verifyPerMinute: 20, statusPerMinute: 60, reportPerMinute: 30, wrongTokensPerMinute: 10, authFailuresPerMinute: 10 });
    expect(c.trustProxy).toBe(false);
  });

  test('values, 0 = off, TRUST_PROXY true/false/1/0', () => {
    const c = loadConfig({ RATE_LIMIT_INTAKE_PER_MINUTE: '0', RATE_LIMIT_VERIFY_PER_MINUTE: '5', RATE_LIMIT_STATUS_PER_MINUTE: '100', TRUST_PROXY: 'TRUE' });
    expect(c.rateLimit).toEqual({ intakePerMinute: 0, verifyPerMinute: 5, statusPerMinute: 100, reportPerMinute: 30, wrongTokensPerMinute: 10, authFailuresPerMinute: 10 });
    expect(c.trustProxy).toBe(true);
    expect(loadConfig({ TRUST_PROXY: '1' }).trustProxy).toBe(true);
    expect(loadConfig({ TRUST_PROXY: '0' }).trustProxy).toBe(false);
  });

  test.each([
    [{ RATE_LIMIT_INTAKE_PER_MINUTE: '-1' }, /RATE_LIMIT_INTAKE_PER_MINUTE must be a whole number/],
    [{ RATE_LIMIT_VERIFY_PER_MINUTE: 'lots' }, /RATE_LIMIT_VERIFY_PER_MINUTE must be a whole number/],
    [{ RATE_LIMIT_STATUS_PER_MINUTE: '1000000' }, /RATE_LIMIT_STATUS_PER_MINUTE must be between 0 and 100000/],
    [{ TRUST_PROXY: 'yes please' }, /TRUST_PROXY must be true or false/],
  ])('refuses %o naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });
});

describe('when Redis is unavailable', () => {
  const req = { method: 'POST', originalUrl: '/v1/requests', ip: '203.0.113.7', socket: {} } as unknown as Request;
  const res = { setHeader: jest.fn() } as unknown as Response;

  test('the limiter fails open, quickly, with a warning', async () => {
    // Nothing listens on port 1.
    const config = loadConfig({ REDIS_URL: 'redis://127.0.0.1:1', RATE_LIMIT_INTAKE_PER_MINUTE: '1' });
    const store = new RateLimitStore(config);
    const warn = jest.spyOn((store as unknown as { logger: { warn: (m: string) => void } }).logger, 'warn').mockImplementation(() => undefined);
    try {
      await store.onModuleInit();
      const middleware = new RateLimitMiddleware(store, config);
      const started = Date.now();
      for (let i = 0; i < 5; i++) {
        const next = jest.fn() as unknown as NextFunction;
        await middleware.use(req, res, next);
        expect(next).toHaveBeenCalledTimes(1);
      }
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(warn).toHaveBeenCalled();
      expect(res.setHeader).not.toHaveBeenCalled();
    } finally {
      await store.onModuleDestroy();
    }
  });

  test('a limit of 0 never asks Redis', async () => {
    const config = loadConfig({ RATE_LIMIT_INTAKE_PER_MINUTE: '0' });
    const store = { hit: jest.fn() } as unknown as RateLimitStore;
    const next = jest.fn() as unknown as NextFunction;
    await new RateLimitMiddleware(store, config).use(req, res, next);
    expect(next).toHaveBeenCalledTimes(1);
    expect(store.hit).not.toHaveBeenCalled();
  });
});
