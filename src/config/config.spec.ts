import { describe, expect, test } from '@jest/globals';
import { loadConfig } from './config.js';

describe('configuration', () => {
  test('has a working local default for everything', () => {
    const c = loadConfig({});
    expect(c.port).toBe(3000);
    expect(c.databaseUrl).toBe('postgresql://postgres@127.0.0.1:5432/dsar');
    expect(c.redisUrl).toBe('redis://127.0.0.1:6379');
    expect(c.smtpUrl).toBe('smtp://127.0.0.1:1025');
    expect(c.verificationTtlMs).toBe(24 * 3_600_000);
    expect(c.officerApiKey).toBeUndefined();
    expect(c.logFormat).toBe('pretty');
    expect(c.metricsToken).toBeUndefined();
    expect(c.workerMetricsPort).toBe(9464);
  });

  test('logs JSON lines outside development unless told otherwise', () => {
    expect(loadConfig({ NODE_ENV: 'test' }).logFormat).toBe('json');
    expect(loadConfig({ LOG_FORMAT: 'json' }).logFormat).toBe('json');
    expect(loadConfig({ NODE_ENV: 'test', LOG_FORMAT: 'pretty' }).logFormat).toBe('pretty');
  });

  test.each([
    [{ PORT: 'eighty' }, /PORT must be a whole number/],
    [{ PORT: '70000' }, /PORT must be between 0 and 65535/],
    [{ DATABASE_URL: 'mysql://x@y/z' }, /DATABASE_URL must use postgresql:/],
    [{ REDIS_URL: 'not a url' }, /REDIS_URL must be a URL/],
    [{ SMTP_URL: 'http://mail' }, /SMTP_URL must use smtp:/],
    [{ PUBLIC_BASE_URL: 'ftp://x' }, /PUBLIC_BASE_URL must use http:/],
    [{ MAIL_FROM: 'nobody' }, /MAIL_FROM must contain an e-mail address/],
    [{ OFFICER_API_KEY: 'short' }, /OFFICER_API_KEY must be at least 24/],
    [{ VERIFICATION_TTL_HOURS: '0' }, /VERIFICATION_TTL_HOURS must be between/],
    [{ LOG_LEVEL: 'verbose' }, /LOG_LEVEL must be one of/],
    [{ LOG_FORMAT: 'xml' }, /LOG_FORMAT must be one of json, pretty/],
    [{ METRICS_TOKEN: 'short' }, /METRICS_TOKEN must be 16 to 256 characters/],
    [{ METRICS_TOKEN: 'has spaces in it, sixteen+' }, /METRICS_TOKEN must be 16 to 256/],
    [{ WORKER_METRICS_PORT: '70000' }, /WORKER_METRICS_PORT must be between 0 and 65535/],
  ])('refuses %o naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });

  test('trims a trailing slash from the public base URL', () => {
    expect(loadConfig({ PUBLIC_BASE_URL: 'https://privacy.example.com/' }).publicBaseUrl).toBe('https://privacy.example.com');
  });
});
