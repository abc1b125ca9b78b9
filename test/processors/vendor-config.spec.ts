import { describe, expect, test } from '@jest/globals';
import { createProcessorSystems } from '../../src/processors/index.js';
import { loadVendorConfig } from '../../src/processors/vendor-config.js';

describe('loadVendorConfig', () => {
  test('defaults with no environment: documented hosts, nothing configured', () => {
    const cfg = loadVendorConfig({});
    expect(cfg.timeoutMs).toBe(15000);
    expect(cfg.auth0.baseUrl).toBe('');
    expect(cfg.intercom.baseUrl).toBe('https://api.intercom.io');
    expect(cfg.intercom.version).toBe('2.14');
    expect(cfg.amplitude).toEqual({ baseUrl: 'https://amplitude.com', apiKey: undefined, secretKey: undefined, requester: 'privacy@localhost', maxEvents: 20000 });
    expect(cfg.hotjar.baseUrl).toBe('https://api.hotjar.io');
    expect(cfg.pardot.baseUrl).toBe('https://pi.pardot.com');
    expect(cfg.pardot.loginUrl).toBeUndefined(); // the org's My Domain URL: no default
    expect(cfg.sendgrid.baseUrl).toBe('https://api.sendgrid.com');
    expect(cfg.inlineManual.baseUrl).toBe('https://inlinemanual.com/api/v3');
    const systems = createProcessorSystems(cfg);
    expect(systems.map((s) => s.key)).toEqual(['auth0', 'amplitude', 'hotjar', 'intercom', 'pardot', 'sendgrid', 'inline-manual', 'azure-app-insights']);
    expect(systems.every((s) => s.recipient === s.key)).toBe(true);
    expect(systems.filter((s) => s.isConfigured())).toEqual([]);
  });

  test('Auth0 base URL derives from the domain; a vendor is configured only with all its credentials', () => {
    const env = { AUTH0_DOMAIN: 'acme.eu.auth0.com', AUTH0_CLIENT_ID: 'id', AUTH0_CLIENT_SECRET: 's', SENDGRID_API_KEY: 'k', AMPLITUDE_API_KEY: 'a' };
    const cfg = loadVendorConfig(env);
    expect(cfg.auth0.baseUrl).toBe('https://acme.eu.auth0.com');
    const configured = createProcessorSystems(cfg).filter((s) => s.isConfigured()).map((s) => s.key);
    expect(configured).toEqual(['auth0', 'sendgrid']); // Amplitude lacks its secret key
  });

  test.each([
    ['INTERCOM_BASE_URL', 'not a url'],
    ['SENDGRID_BASE_URL', 'ftp://x.test'],
    ['PARDOT_BASE_URL', 'https://pi.pardot.com/?x=1'],
    ['VENDOR_HTTP_TIMEOUT_MS', 'fast'],
    ['VENDOR_HTTP_TIMEOUT_MS', '0'],
    ['AUTH0_DOMAIN', 'https://acme.auth0.com'],
    ['HOTJAR_ORGANIZATION_ID', 'org-1'],
    ['AMPLITUDE_REQUESTER', 'nobody'],
    ['INLINE_MANUAL_PROFILE_PATH', '/people'],
  ])('%s=%s is refused with a message naming the variable', (name, value) => {
    expect(() => loadVendorConfig({ [name]: value })).toThrow(name);
  });

  test('overrides are read, trailing slashes dropped', () => {
    const cfg = loadVendorConfig({ INTERCOM_BASE_URL: 'https://api.eu.intercom.io/', VENDOR_HTTP_TIMEOUT_MS: '2500', INLINE_MANUAL_AUTH_SCHEME: '' });
    expect(cfg.intercom.baseUrl).toBe('https://api.eu.intercom.io');
    expect(cfg.timeoutMs).toBe(2500);
    expect(cfg.inlineManual.authScheme).toBe('');
  });
});
