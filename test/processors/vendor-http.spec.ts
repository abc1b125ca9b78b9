import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { createProcessorSystems, loadVendorConfig } from '../../src/processors/index.js';
import { VendorHttpClient } from '../../src/processors/http/vendor-http.js';
import type { VendorGate } from '../../src/processors/http/vendor-limiter.js';
import { seedSubject, startVendorFakes, type VendorFakes } from '../../src/demo/fakes/index.js';
import { failure, makeCtx } from './support.js';

let fakes: VendorFakes;
beforeAll(async () => {
  fakes = await startVendorFakes();
});
afterAll(() => fakes.stop());
beforeEach(() => fakes.reset());

const im = (opts: Partial<ConstructorParameters<typeof VendorHttpClient>[0]> = {}) =>
  new VendorHttpClient({
    vendor: 'Inline Manual',
    baseUrl: fakes.inlineManual.url,
    timeoutMs: 2000,
    baseDelayMs: 20,
    headers: { authorization: `Bearer ${fakes.inlineManual.apiToken}` },
    ...opts,
  });

describe('VendorHttpClient', () => {
  test('query params are encoded, okStatuses are handed back, other 4xx are permanent', async () => {
    fakes.inlineManual.addProfile({ id: 'p1', email: 'a+b@example.com' });
    const hit = await im().request<{ data: { id: string }[] }>({ path: '/people', query: { search: 'a+b@example.com', unused: undefined } });
    expect(hit.body.data.map((p) => p.id)).toEqual(['p1']);
    const miss = await im().request({ path: '/people/nope', okStatuses: [404] });
    expect(miss.status).toBe(404);
    const err = await failure(im().request({ path: '/people/nope' }));
    expect([err.kind, err.status, err.message]).toEqual(['permanent', 404, 'Inline Manual GET /people/nope answered HTTP 404']);
  });

  test('a short Retry-After is honoured, a long one is handed back with the wait', async () => {
    fakes.inlineManual.rateLimitNext(1, 1);
    const t0 = Date.now();
    expect((await im().request({ path: '/people', query: { search: 'x' } })).status).toBe(200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);

    fakes.inlineManual.rateLimitNext(1, 10);
    const err = await failure(im().request({ path: '/people' }));
    expect(err.kind).toBe('rate_limited');
    // X-RateLimit-style whole seconds: the fake's reset lands 10 to 11 s ahead.
    expect(err.retryAfterMs).toBeGreaterThanOrEqual(10_000);
    expect(err.retryAfterMs).toBeLessThanOrEqual(11_000);
  });

  test('at most two quick retries for transient failures', async () => {
    fakes.inlineManual.failNext(5, 503);
    const err = await failure(im().request({ path: '/people' }));
    expect(err.kind).toBe('transient');
    expect(fakes.inlineManual.log).toHaveLength(3);
    expect(await failure(im({ maxRetries: 0 }).request({ path: '/people' }))).toMatchObject({ kind: 'transient', status: 503 });
    expect(fakes.inlineManual.log).toHaveLength(4);
  });

  test('timeouts are transient and retried; an aborted task stops at once', async () => {
    fakes.inlineManual.slowNext(3, 400);
    const err = await failure(im({ timeoutMs: 100 }).request({ path: '/people' }));
    expect(err.kind).toBe('transient');
    expect(err.message).toBe('Inline Manual GET /people timed out');

    const ac = new AbortController();
    fakes.inlineManual.slowNext(1, 300);
    setTimeout(() => ac.abort(), 50);
    const t0 = Date.now();
    const aborted = await failure(im().request({ path: '/people', signal: ac.signal }));
    expect(aborted.message).toBe('Inline Manual GET /people was aborted');
    expect(Date.now() - t0).toBeLessThan(250);
  });

  test('a network failure is transient and the message holds no e-mail', async () => {
    const dead = new VendorHttpClient({ vendor: 'SendGrid', baseUrl: 'http://127.0.0.1:9', timeoutMs: 500, baseDelayMs: 10 });
    const err = await failure(dead.request({ path: '/v3/asm/suppressions/global/jane%40example.com' }));
    expect(err.kind).toBe('transient');
    expect(err.message).toBe('SendGrid GET /v3/asm/suppressions/global/[redacted] failed (network error)');
  });

  test('jsonAtSend builds the body once the rate-limit slot is granted; the timeout starts after the wait', async () => {
    const order: string[] = [];
    const gate: VendorGate = {
      acquire: async () => {
        order.push('slot wait');
        await new Promise((r) => setTimeout(r, 300)); // longer than the timeout below
        order.push('slot granted');
        return () => void order.push('released');
      },
      penalize: async () => undefined,
    };
    const client = im({ gate, timeoutMs: 200 });
    const res = await client.request({
      method: 'POST',
      path: '/people',
      okStatuses: [405], // the search takes no POST: only what was sent matters here
      jsonAtSend: () => {
        order.push('body built');
        return { built: true };
      },
    });
    expect(res.status).toBe(405);
    expect(order).toEqual(['slot wait', 'slot granted', 'body built', 'released']);
    const call = fakes.inlineManual.calls.at(-1)!;
    expect([call.rawBody, call.headers['content-type']]).toEqual(['{"built":true}', 'application/json']);

    // Throwing from it cancels the request: nothing is sent and the slot is given back.
    order.length = 0;
    const sent = fakes.inlineManual.log.length;
    await expect(client.request({ method: 'POST', path: '/people', jsonAtSend: () => { throw new Error('nothing to send'); } })).rejects.toThrow('nothing to send');
    expect(order).toEqual(['slot wait', 'slot granted', 'released']);
    expect(fakes.inlineManual.log).toHaveLength(sent);
  });

  test('form bodies are form-encoded (Hotjar token endpoint rejects anything else)', async () => {
    const hj = new VendorHttpClient({ vendor: 'Hotjar', baseUrl: fakes.hotjar.url, timeoutMs: 1000 });
    const form = { grant_type: 'client_credentials', client_id: fakes.hotjar.clientId, client_secret: fakes.hotjar.clientSecret };
    expect((await hj.request<{ token_type: string }>({ method: 'POST', path: '/v1/oauth/token', form })).body.token_type).toBe('Bearer');
    expect((await failure(hj.request({ method: 'POST', path: '/v1/oauth/token', json: form }))).kind).toBe('permanent');
  });
});

describe('fakes + adapters together', () => {
  test('seedSubject puts one person in every fake and every configured adapter finds them', async () => {
    seedSubject(fakes, { email: 'Jane.Doe@example.com', userId: 'u-42', firstName: 'Jane', lastName: 'Doe', phone: '+351900000001', company: 'Acme', country: 'Portugal', businessRole: 'CTO', businessType: 'Agency' });
    const systems = createProcessorSystems(loadVendorConfig(fakes.env));
    expect(systems.every((s) => s.isConfigured())).toBe(true);
    const subject = { email: 'jane.doe@example.com', userId: 'u-42' };
    const outcomes: Record<string, string> = {};
    for (const s of systems) outcomes[s.key] = (await s.access(makeCtx(subject).ctx)).outcome;
    expect(outcomes).toEqual({ auth0: 'found', amplitude: 'found', hotjar: 'action_required', intercom: 'found', pardot: 'found', sendgrid: 'found', 'inline-manual': 'found', 'azure-app-insights': 'found' });
    const erased: Record<string, string> = {};
    for (const s of systems) erased[s.key] = (await s.erase(makeCtx(subject).ctx)).outcome;
    // Auth0 keeps its tenant logs, Intercom can restore for 7 days, SendGrid's recipient erasure has no status.
    expect(erased).toEqual({ auth0: 'retained', amplitude: 'scheduled', hotjar: 'scheduled', intercom: 'restorable', pardot: 'action_required', sendgrid: 'scheduled', 'inline-manual': 'erased', 'azure-app-insights': 'scheduled' });
    const after: Record<string, unknown> = {};
    fakes.amplitude.runDeletionJobs();
    fakes.azureManagement.completePurges();
    for (const s of systems.filter((x) => x.key !== 'hotjar')) {
      const r = await s.access(makeCtx(subject).ctx);
      after[s.key] = r.outcome === 'found' ? { outcome: r.outcome, items: r.items.length, records: r.records?.length } : r.outcome;
    }
    // SendGrid never says "no data held": the history of e-mails sent to the address cannot be read back.
    expect(after).toEqual({
      auth0: 'not_found', amplitude: 'not_found', intercom: 'not_found', pardot: 'not_found', 'inline-manual': 'not_found', 'azure-app-insights': 'not_found',
      sendgrid: { outcome: 'found', items: 0, records: 0 },
    });
  });

  test('an enforced requests-per-second limit answers the vendor 429 and counts it', async () => {
    fakes.intercom.setRateLimit({ perSecond: 2 });
    const client = new VendorHttpClient({ vendor: 'Intercom', baseUrl: fakes.intercom.url, timeoutMs: 1000, maxRetries: 0, headers: { authorization: `Bearer ${fakes.intercom.accessToken}`, 'intercom-version': '2.14' } });
    const statuses = await Promise.all(
      Array.from({ length: 4 }, () => client.request({ method: 'POST', path: '/contacts/search', json: { query: { field: 'email', operator: '=', value: 'a@b.c' } }, okStatuses: [429] }).then((r) => r.status)),
    );
    expect(statuses.filter((s) => s === 429)).toHaveLength(2);
    expect(fakes.intercom.rateLimited).toBe(2);
    const limited = fakes.intercom.log.find((r) => r.status === 429);
    expect(limited).toBeDefined();
  });
});
