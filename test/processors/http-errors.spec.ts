import { describe, expect, test } from '@jest/globals';
import {
  errorFromNetwork,
  errorFromResponse,
  kindForStatus,
  parseRateLimitReset,
  parseRetryAfter,
  redactUrl,
  retryAfterFromHeaders,
  vendorErrorCode,
} from '../../src/processors/http/http-errors.js';

const NOW = Date.UTC(2026, 10, 22, 12, 0, 0);

describe('rate-limit header parsing', () => {
  test('Retry-After in seconds and as an HTTP-date', () => {
    expect(parseRetryAfter('7', NOW)).toBe(7000);
    expect(parseRetryAfter('1.5', NOW)).toBe(1500);
    expect(parseRetryAfter(new Date(NOW + 30_000).toUTCString(), NOW)).toBe(30_000);
    expect(parseRetryAfter(new Date(NOW - 30_000).toUTCString(), NOW)).toBe(0);
    expect(parseRetryAfter('soon', NOW)).toBeUndefined();
    expect(parseRetryAfter(undefined, NOW)).toBeUndefined();
  });

  test('X-RateLimit-Reset as epoch seconds or as seconds to wait', () => {
    expect(parseRateLimitReset(String(NOW / 1000 + 42), NOW)).toBe(42_000);
    expect(parseRateLimitReset(String(NOW / 1000 - 5), NOW)).toBe(0);
    expect(parseRateLimitReset('30', NOW)).toBe(30_000); // SendGrid erasure API form
    expect(parseRateLimitReset('999999999', NOW)).toBe(999_999_999_000);
    expect(parseRateLimitReset('x', NOW)).toBeUndefined();
  });

  test('Retry-After wins over X-RateLimit-Reset; header names are case-insensitive', () => {
    const h = new Headers({ 'Retry-After': '3', 'X-RateLimit-Reset': String(NOW / 1000 + 60) });
    expect(retryAfterFromHeaders(h, NOW)).toBe(3000);
    expect(retryAfterFromHeaders({ 'X-RateLimit-Reset': String(NOW / 1000 + 60) }, NOW)).toBe(60_000);
    expect(retryAfterFromHeaders({}, NOW)).toBeUndefined();
  });
});

describe('error mapping', () => {
  test('status to failure kind', () => {
    expect([429, 401, 403, 500, 502, 503, 408, 400, 404, 405, 409].map(kindForStatus)).toEqual([
      'rate_limited', 'auth', 'auth', 'transient', 'transient', 'transient', 'transient', 'permanent', 'permanent', 'permanent', 'permanent',
    ]);
  });

  test('a 429 carries the wait; the message names vendor, method, path and code only', () => {
    const err = errorFromResponse({
      vendor: 'Intercom',
      method: 'POST',
      url: 'https://api.intercom.io/contacts/search?token=abc',
      status: 429,
      headers: { 'x-ratelimit-reset': String(NOW / 1000 + 9) },
      body: { type: 'error.list', errors: [{ code: 'rate_limit_exceeded', message: 'Exceeded rate limit' }] },
      now: NOW,
    });
    expect(err.kind).toBe('rate_limited');
    expect(err.retryAfterMs).toBe(9000);
    expect(err.status).toBe(429);
    expect(err.message).toBe('Intercom POST /contacts/search answered HTTP 429 (rate_limit_exceeded)');
  });

  test('e-mail addresses in path segments and query strings never reach the message', () => {
    expect(redactUrl('https://api.sendgrid.com/v3/suppression/bounces/jane.doe%40example.com')).toBe('/v3/suppression/bounces/[redacted]');
    expect(redactUrl('https://x.test/v3/asm/suppressions/jane@example.com?x=1')).toBe('/v3/asm/suppressions/[redacted]');
    expect(redactUrl('https://t.auth0.com/api/v2/users-by-email?email=jane%40example.com')).toBe('/api/v2/users-by-email');
    const err = errorFromResponse({
      vendor: 'SendGrid', method: 'GET', url: 'https://api.sendgrid.com/v3/suppression/blocks/jane%40example.com', status: 400,
      headers: {}, body: { errors: [{ message: 'jane@example.com is not valid' }] },
    });
    expect(err.kind).toBe('permanent');
    expect(err.message).not.toMatch(/jane|example\.com/);
    expect(err.message).toBe('SendGrid GET /v3/suppression/blocks/[redacted] answered HTTP 400');
  });

  test('vendor error codes are taken only when they are plain codes', () => {
    expect(vendorErrorCode({ code: 66, message: 'limit' })).toBe('66');
    expect(vendorErrorCode({ statusCode: 404, errorCode: 'inexistent_user' })).toBe('inexistent_user');
    expect(vendorErrorCode({ error: 'invalid_client' })).toBe('invalid_client');
    expect(vendorErrorCode({ error: 'user jane@example.com unknown' })).toBeUndefined();
    expect(vendorErrorCode('plain text')).toBeUndefined();
  });

  test('network failures and timeouts are transient and keep the query out', () => {
    const timeout = Object.assign(new Error('The operation was aborted due to timeout'), { name: 'TimeoutError' });
    const e = errorFromNetwork('Auth0', 'GET', 'https://t.auth0.com/api/v2/users-by-email?email=jane%40example.com', timeout);
    expect(e.kind).toBe('transient');
    expect(e.message).toBe('Auth0 GET /api/v2/users-by-email timed out');
    expect(errorFromNetwork('Auth0', 'GET', 'https://t/x', new TypeError('fetch failed')).message).toBe('Auth0 GET /x failed (network error)');
  });
});
