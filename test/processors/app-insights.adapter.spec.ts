// Azure Application Insights, against fakes written from Microsoft's documents: Entra tokens per
// audience, the query API (classic names, KQL, dynamic columns as JSON text), and the ARM purge
// (components and workspaces, their own names and api-versions, 50 purges an hour, operations
// pending until Azure runs them).
import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { seedSubject, startVendorFakes, type VendorFakes } from '../../src/demo/fakes/index.js';
import { AppInsightsAdapter } from '../../src/processors/app-insights/app-insights.adapter.js';
import { kqlString, parseMatchColumns, workspaceColumn } from '../../src/processors/app-insights/app-insights.schema.js';
import { DEFAULT_LIMITS, parseLimit, type VendorGate, VendorLimiter } from '../../src/processors/http/vendor-limiter.js';
import { createProcessorSystems } from '../../src/processors/index.js';
import { loadVendorConfig, type VendorConfig } from '../../src/processors/vendor-config.js';
import type { TaskContext } from '../../src/systems/data-system.js';
import { TEST_REDIS_URL } from '../support/env.js';
import { failure, makeCtx, retryCtx } from './support.js';

const WORKSPACE = '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/product-rg/providers/Microsoft.OperationalInsights/workspaces/product-logs';
const COMPONENT = '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/product-rg/providers/Microsoft.Insights/components/product-web';
const OTHER_APP = { clientId: '0b7e4f1c-3d2a-4c5b-8e9f-1a2b3c4d5e6f', clientSecret: 'other~secret' };
const ANA = { email: 'ana.silva@example.test', userId: 'user-42' };

let fakes: VendorFakes;
let cfg: VendorConfig['appInsights'];
const adapter = (over: Partial<VendorConfig['appInsights']> = {}, gate?: VendorGate) =>
  new AppInsightsAdapter({ ...cfg, purgeBatchMs: 0, ...over }, 3000, gate);

beforeAll(async () => {
  fakes = await startVendorFakes({ azureLogin: { clients: [OTHER_APP] }, azureManagement: { resources: [WORKSPACE, COMPONENT] } });
  cfg = loadVendorConfig(fakes.env).appInsights;
});
afterAll(() => fakes.stop());
beforeEach(() => {
  fakes.reset();
  fakes.azureManagement.purgers = [fakes.azureLogin.clientId];
  fakes.appInsights.readers = [fakes.azureLogin.clientId];
});

/** Ana across every table (the product's SDK), a logged-out event carrying her address capitalised, and two strangers. */
function seed() {
  const ana = seedSubject(fakes, { email: ANA.email, userId: ANA.userId, country: 'Portugal' }).appInsights;
  const store = fakes.appInsights.store;
  const loggedOut = store.add('customEvents', { name: 'NewsletterSignup', customDimensions: { email: 'Ana.Silva@Example.test' }, client_IP: '198.51.100.20' });
  const bo = store.seedSubject({ userId: 'user-7', email: 'bo@example.test', ip: '198.51.100.9' });
  // Someone whose address ends with Ana's: KQL's `has` finds it, it is not hers.
  const lookalike = store.add('traces', { message: 'Invite sent to x.ana.silva@example.test', severityLevel: 1 });
  return { ana, loggedOut, bo, lookalike };
}

const purgeCalls = () => fakes.azureManagement.calls.filter((c) => c.method === 'POST' && c.path.endsWith('/purge'));
const shape = (p: { table: string; filters: { column: string; operator: string; value: unknown; key?: string }[] }) => [p.table, ...p.filters.flatMap((f) => [f.column, f.key ?? '', f.operator, f.value])];
const day = (offsetDays: number) => new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10);

describe('access', () => {
  test('reads every table by user id, custom dimension and message text, maps the items and keeps the rows as records', async () => {
    const { ana } = seed();
    const res = await adapter().access(makeCtx(ANA).ctx);
    expect(res.outcome).toBe('found');
    const records = res.records as Record<string, unknown>[];
    // 8 rows from the SDK, the logged-out event; not Bo's, not the look-alike address.
    expect(records.map((r) => r.table).sort()).toEqual(
      ['customEvents', 'customEvents', 'dependencies', 'exceptions', 'pageViews', 'requests', 'requests', 'traces', 'traces'].sort(),
    );
    expect(records.some((r) => JSON.stringify(r).includes('bo@example.test') || JSON.stringify(r).includes('x.ana.silva'))).toBe(false);
    const request = records.find((r) => r.table === 'requests' && r.name === 'POST /api/comments')!;
    expect(request).toMatchObject({
      user_AuthenticatedId: 'user-42', user_Id: ana.anonymousId, session_Id: ana.sessionId, client_IP: '203.0.113.7', client_City: 'Lisbon',
      resultCode: '500', duration: 812, customDimensions: { email: ANA.email, userCreatedAt: expect.any(String) },
    });
    // Empty cells are left out of a record (the union has every table's columns).
    expect(Object.values(request).some((v) => v === null || v === '')).toBe(false);

    const by = (item: string, where: string) => res.items.filter((i) => i.item === item && i.where === where).map((i) => i.value);
    expect(by('user_id', 'Application Insights requests (authenticated user id)')).toEqual(['user-42']);
    expect(by('email', 'Application Insights requests (custom dimension email)')).toEqual([ANA.email]);
    expect(new Set(by('email', 'Application Insights customEvents (custom dimension email)'))).toEqual(new Set([ANA.email, 'Ana.Silva@Example.test']));
    expect(by('email', 'Application Insights traces (message text)')).toEqual([ANA.email]);
    expect(by('ip_address', 'Application Insights requests')).toEqual(['203.0.113.7']);
    expect(by('ip_address', 'Application Insights customEvents').sort()).toEqual(['198.51.100.20', '203.0.113.7']);
    expect(by('geolocation', 'Application Insights pageViews')).toEqual([{ city: 'Lisbon', stateOrProvince: 'Lisbon', countryOrRegion: 'Portugal' }]);
    expect(by('browser', 'Application Insights dependencies')).toEqual(['Firefox 128.0']);
    expect(by('operating_system', 'Application Insights exceptions')).toEqual(['Linux']);
    expect(by('device_type', 'Application Insights requests')).toEqual(['PC']);
    expect(by('user_creation_date', 'Application Insights requests (custom dimension userCreatedAt)')).toEqual([expect.stringMatching(/^\d{4}-\d\d-\d\dT/)]);
    const activity = res.items.find((i) => i.item === 'activity' && i.where === 'Application Insights requests (2 telemetry item(s))')!;
    expect((activity.value as { name: string; type: string }[]).map((a) => [a.type, a.name]).sort()).toEqual([
      ['request', 'GET /api/projects'], ['request', 'POST /api/comments'],
    ]);
    // The default 0.0.0.0 (no IP kept) is not reported as an IP address.
    expect(res.items.some((i) => i.item === 'ip_address' && i.value === '0.0.0.0')).toBe(false);

    // One POST with JSON {query, timespan} covering the retention; one token, for the query API's audience.
    const q = fakes.appInsights.calls.filter((c) => c.path === `/v1/apps/${cfg.appId}/query`);
    expect(q).toHaveLength(1);
    expect([q[0]!.method, q[0]!.headers['content-type'], (q[0]!.body as { timespan: string }).timespan]).toEqual(['POST', 'application/json', 'P730D']);
    expect((q[0]!.body as { query: string }).query).toMatch(/^union withsource=SourceTable requests, pageViews, customEvents, traces, exceptions, dependencies \| where /);
    expect(fakes.azureLogin.issued.map((t) => [t.version, t.audience])).toEqual([['v2', 'https://api.applicationinsights.io']]);
  });

  test('a subject the telemetry does not hold → not_found, and nothing is purged for them', async () => {
    seed();
    const nobody = { email: 'nobody@example.test', userId: 'user-999' };
    const res = await adapter().access(makeCtx(nobody).ctx);
    expect([res.outcome, res.items, res.records]).toEqual(['not_found', [], []]);
    const t = makeCtx(nobody);
    const er = await adapter().erase(t.ctx);
    expect([er.outcome, er.actions]).toEqual(['not_found', []]);
    expect(t.saved).toMatchObject({ queryDone: true, pairs: [] });
    expect(fakes.azureManagement.calls).toHaveLength(0);
  });

  test("a row found by the e-mail but sent under someone else's login does not report that id as the subject's", async () => {
    fakes.appInsights.store.add('customEvents', { name: 'ProfileEditedByAdmin', user_AuthenticatedId: 'admin-1', customDimensions: { email: ANA.email } });
    const res = await adapter().access(makeCtx(ANA).ctx);
    expect(res.outcome).toBe('found');
    expect((res.records as { user_AuthenticatedId: string }[]).map((r) => r.user_AuthenticatedId)).toEqual(['admin-1']);
    expect(res.items.filter((i) => i.item === 'user_id')).toEqual([]);
    expect(res.items.filter((i) => i.item === 'email').map((i) => i.value)).toEqual([ANA.email]);
  });

  test('identifiers are escaped in KQL string literals', async () => {
    expect(kqlString('a"b\\c\nd\'e')).toBe('"a\\"b\\\\c\\nd\'e"');
    expect(() => kqlString('a\u0001b')).toThrow(/control character/);
    const odd = 'user-"7\\x';
    fakes.appInsights.store.add('requests', { user_AuthenticatedId: odd, name: 'GET /x' });
    fakes.appInsights.store.add('requests', { user_AuthenticatedId: 'user-7', name: 'GET /y' });
    const res = await adapter().access(makeCtx({ email: 'odd@example.test', userId: odd }).ctx);
    expect((res.records as { name: string }[]).map((r) => r.name)).toEqual(['GET /x']);
  });

  test('an answer without a result table is an error, never "not found"; 5xx → transient', async () => {
    seed();
    fakes.appInsights.failNext(1, 200, '');
    expect((await failure(adapter().access(makeCtx(ANA).ctx))).kind).toBe('transient');
    fakes.appInsights.failNext(3, 503);
    expect((await failure(adapter().access(makeCtx(ANA).ctx))).kind).toBe('transient');
  });

  test('a match column the telemetry does not have is a permanent error naming the setting', async () => {
    seed();
    const err = await failure(adapter({ matchColumns: [{ name: 'nope', column: 'nope' }] }).access(makeCtx(ANA).ctx));
    expect([err.kind, err.status]).toEqual(['permanent', 400]);
    expect(err.message).toMatch(/APPINSIGHTS_MATCH_COLUMNS/);
  });
});

describe('erasure', () => {
  test('workspace: saves what matched first, purges only those (table, column) pairs with `in` and workspace names, follows the operations to completed', async () => {
    const { bo } = seed();
    const a = adapter();
    const t = makeCtx(ANA, fakes.azureManagement);
    const r1 = await a.erase(t.ctx);

    expect(r1.outcome).toBe('scheduled');
    expect(r1.actions).toEqual([
      { what: 'Application Insights requests telemetry (rows matching by user_AuthenticatedId)', count: 2, how: 'requested' },
      { what: 'Application Insights pageViews telemetry (rows matching by user_AuthenticatedId)', count: 1, how: 'requested' },
      { what: 'Application Insights customEvents telemetry (rows matching by customDimensions.email)', count: 2, how: 'requested' },
      { what: 'Application Insights traces telemetry (rows matching by user_AuthenticatedId, message)', count: 2, how: 'requested' },
      { what: 'Application Insights exceptions telemetry (rows matching by user_AuthenticatedId)', count: 1, how: 'requested' },
      { what: 'Application Insights dependencies telemetry (rows matching by user_AuthenticatedId)', count: 1, how: 'requested' },
    ]);
    // One purge per pair: the fewest columns covering every matching row of a table.
    const sent = fakes.azureManagement.purges;
    expect(sent.map(shape)).toEqual([
      ['AppRequests', 'UserAuthenticatedId', '', 'in', ['user-42']],
      ['AppPageViews', 'UserAuthenticatedId', '', 'in', ['user-42']],
      ['AppEvents', 'Properties', 'email', 'in', ['Ana.Silva@Example.test', ANA.email]],
      ['AppTraces', 'UserAuthenticatedId', '', 'in', ['user-42']],
      ['AppTraces', 'Message', '', 'in', [`Password reset mail queued for ${ANA.email}`]],
      ['AppExceptions', 'UserAuthenticatedId', '', 'in', ['user-42']],
      ['AppDependencies', 'UserAuthenticatedId', '', 'in', ['user-42']],
    ]);
    expect(sent.every((p) => p.apiVersion === '2020-08-01' && p.resourceId === WORKSPACE && p.kind === 'workspace')).toBe(true);
    expect(purgeCalls().every((c) => c.query.some(([k, v]) => k === 'api-version' && v === '2020-08-01'))).toBe(true);
    expect(r1.vendorJob).toEqual({ id: sent.map((p) => p.operationId).join(','), expectedBy: day(30), status: 'pending' });
    expect(r1.note).toMatch(/formal SLA for a purge is 30 days/);
    expect(r1.remains).toBe('9 telemetry row(s) stay readable in Application Insights until Azure runs the purge(s), within 30 days');

    // The pairs were saved before the first purge went out; every purge id as it was accepted.
    expect(t.savedAtLogLength[0]).toBe(0);
    expect(t.saved).toMatchObject({ queryDone: true, rows: { requests: 2, pageViews: 1, customEvents: 2, traces: 2, exceptions: 1, dependencies: 1 } });
    expect(Object.values(t.saved.purges as Record<string, { purgeId: string }>).map((p) => p.purgeId).sort()).toEqual(sent.map((p) => p.purgeId).sort());
    // ARM got the ARM audience's token, the query API its own: two tokens in all.
    expect(fakes.azureLogin.issued.map((x) => x.audience)).toEqual(['https://api.applicationinsights.io', 'https://management.azure.com/']);

    // A retry (worker killed after the purges) reports the same and sends nothing again.
    const queries = fakes.appInsights.queries.length;
    const again = await a.erase(retryCtx(t, fakes.azureManagement).ctx);
    expect(again).toEqual(r1);
    expect(purgeCalls()).toHaveLength(7);
    expect(fakes.appInsights.queries).toHaveLength(queries);

    // Pending until Azure runs them; then completed, and the telemetry no longer answers the query.
    const follow = retryCtx(t);
    expect(await a.checkErasure(follow.ctx, r1.vendorJob!)).toEqual({ state: 'pending', status: '0 of 7 purge(s) completed' });
    fakes.azureManagement.completePurges(sent.slice(0, 3).map((p) => p.operationId));
    expect(await a.checkErasure(follow.ctx, r1.vendorJob!)).toEqual({ state: 'pending', status: '3 of 7 purge(s) completed' });
    fakes.azureManagement.completePurges();
    const done = await a.checkErasure(follow.ctx, r1.vendorJob!);
    expect(done.state).toBe('done');
    const final = (done as { finalResult: { outcome: string; actions: { how: string; count: number }[]; vendorJob: { status: string } } }).finalResult;
    expect(final.outcome).toBe('erased');
    expect(final.actions.map((x) => [x.how, x.count])).toEqual([['deleted', 2], ['deleted', 1], ['deleted', 2], ['deleted', 2], ['deleted', 1], ['deleted', 1]]);
    const statusReads = fakes.azureManagement.calls.filter((c) => c.method === 'GET');
    expect(statusReads.every((c) => /\/workspaces\/product-logs\/operations\/purge-[0-9a-f-]{36}$/.test(c.path) && c.query.some(([k, v]) => k === 'api-version' && v === '2020-08-01'))).toBe(true);

    expect((await a.access(makeCtx(ANA).ctx)).outcome).toBe('not_found');
    // Bo's telemetry and the look-alike address were not touched.
    expect(fakes.appInsights.store.find((r) => r.user_AuthenticatedId === bo.userId)).toHaveLength(7);
    expect(fakes.appInsights.store.find((r) => String(r.message).includes(bo.email))).toHaveLength(1);
    expect(fakes.appInsights.store.find((r) => String(r.message).includes('x.ana.silva'))).toHaveLength(1);
  });

  test('component: classic table and column names, api-version 2020-02-02', async () => {
    seed();
    const a = adapter({ resourceId: COMPONENT, resourceKind: 'component' });
    const t = makeCtx(ANA);
    const r = await a.erase(t.ctx);
    expect(r.outcome).toBe('scheduled');
    const sent = fakes.azureManagement.purges;
    expect(sent.map(shape)).toEqual([
      ['requests', 'user_AuthenticatedId', '', 'in', ['user-42']],
      ['pageViews', 'user_AuthenticatedId', '', 'in', ['user-42']],
      ['customEvents', 'customDimensions', 'email', 'in', ['Ana.Silva@Example.test', ANA.email]],
      ['traces', 'user_AuthenticatedId', '', 'in', ['user-42']],
      ['traces', 'message', '', 'in', [`Password reset mail queued for ${ANA.email}`]],
      ['exceptions', 'user_AuthenticatedId', '', 'in', ['user-42']],
      ['dependencies', 'user_AuthenticatedId', '', 'in', ['user-42']],
    ]);
    expect(sent.every((p) => p.apiVersion === '2020-02-02' && p.resourceId === COMPONENT && p.kind === 'component')).toBe(true);
    fakes.azureManagement.completePurges();
    const done = await a.checkErasure(retryCtx(t).ctx, r.vendorJob!);
    expect(done.state).toBe('done');
    expect(fakes.azureManagement.calls.filter((c) => c.method === 'GET').every((c) => c.path.startsWith(`${COMPONENT}/operations/purge-`))).toBe(true);
    expect(fakes.appInsights.store.find((row) => row.user_AuthenticatedId === 'user-42')).toHaveLength(0);
  });

  test('telemetry still found after the purges completed → the job failed and the next attempt starts over', async () => {
    seed();
    const a = adapter();
    const t = makeCtx(ANA);
    const r = await a.erase(t.ctx);
    fakes.azureManagement.completePurges();
    // New telemetry arrived under her id after the purges were requested.
    fakes.appInsights.store.add('pageViews', { user_AuthenticatedId: 'user-42', name: 'Late' });
    const follow = retryCtx(t);
    const state = await a.checkErasure(follow.ctx, r.vendorJob!);
    expect(state).toEqual({ state: 'failed', reason: '1 telemetry row(s) about the subject were still found after the purges completed; a new purge is needed' });
    expect(follow.saved).toMatchObject({ queryDone: false, pairs: [], purges: {} });
    const next = await a.erase(retryCtx(follow).ctx);
    expect(next.actions).toEqual([{ what: 'Application Insights pageViews telemetry (rows matching by user_AuthenticatedId)', count: 1, how: 'requested' }]);
    expect(fakes.azureManagement.purges.slice(-1).map(shape)).toEqual([['AppPageViews', 'UserAuthenticatedId', '', 'in', ['user-42']]]);
  });

  test('erasures pending together share one purge per (table, column); each task gets its own operation ids', async () => {
    const store = fakes.appInsights.store;
    const people = [1, 2, 3].map((i) => ({ email: `p${i}@example.test`, userId: `user-10${i}` }));
    for (const p of people.slice(0, 2)) store.seedSubject(p);
    // The third only ever made requests.
    store.add('requests', { user_AuthenticatedId: people[2]!.userId, name: 'GET /only' });
    const a = adapter({ purgeBatchMs: 400 });
    const ctxs = people.map((p) => makeCtx(p));
    const started = Date.now();
    const results = await Promise.all(ctxs.map((c, i) => new Promise((r) => setTimeout(r, i * 100)).then(() => a.erase(c.ctx))));
    expect(Date.now() - started).toBeGreaterThanOrEqual(390);
    expect(a.batcher.sent.map((p) => p.members)).toEqual([3, 2, 2, 2, 2, 2, 2]);
    const sent = fakes.azureManagement.purges;
    expect(sent.map(shape)).toEqual([
      ['AppRequests', 'UserAuthenticatedId', '', 'in', ['user-101', 'user-102', 'user-103']],
      ['AppPageViews', 'UserAuthenticatedId', '', 'in', ['user-101', 'user-102']],
      ['AppEvents', 'UserAuthenticatedId', '', 'in', ['user-101', 'user-102']],
      ['AppTraces', 'UserAuthenticatedId', '', 'in', ['user-101', 'user-102']],
      ['AppTraces', 'Message', '', 'in', ['Password reset mail queued for p1@example.test', 'Password reset mail queued for p2@example.test']],
      ['AppExceptions', 'UserAuthenticatedId', '', 'in', ['user-101', 'user-102']],
      ['AppDependencies', 'UserAuthenticatedId', '', 'in', ['user-101', 'user-102']],
    ]);
    // Each task: scheduled, with the ids of the purges that cover its own pairs.
    const ops = sent.map((p) => p.operationId);
    expect(results.map((r) => (r as { vendorJob: { id: string } }).vendorJob.id)).toEqual([ops.join(','), ops.join(','), ops[0]]);
    expect(Object.keys(ctxs[2]!.saved.purges as object)).toEqual(['requests|user_AuthenticatedId']);

    // An erasure once the sender is idle again opens a new window.
    store.seedSubject({ email: 'late@example.test', userId: 'user-200' });
    const late = await a.erase(makeCtx({ email: 'late@example.test', userId: 'user-200' }).ctx);
    expect(late.outcome).toBe('scheduled');
    expect(a.batcher.sent.slice(7).map((p) => p.members)).toEqual([1, 1, 1, 1, 1, 1, 1]);
    expect(fakes.azureManagement.purges).toHaveLength(14);
  });

  test('under the purge limit, an erasure arriving while purges wait for their slots joins those not yet sent; the purges already sent are repeated only for it', async () => {
    const store = fakes.appInsights.store;
    const [p1, p2] = [1, 2].map((i) => ({ email: `q${i}@example.test`, userId: `user-30${i}` }));
    store.seedSubject(p1!);
    store.seedSubject(p2!);
    const redis = new Redis(TEST_REDIS_URL);
    try {
      // 5 purges a second (the documented 50 an hour, scaled): each purge waits ~200 ms for its slot.
      const limiter = new VendorLimiter(redis, { prefix: `test-ai-${randomUUID().slice(0, 8)}`, rules: { 'azure-app-insights:purge': parseLimit('5/s') }, maxWaitMs: 10_000 });
      const a = adapter({}, limiter.gate('azure-app-insights'));
      const first = a.erase(makeCtx(p1!).ctx);
      // The second arrives once the first purge has gone out.
      await new Promise<void>((resolve) => {
        const t = setInterval(() => fakes.azureManagement.purges.length >= 1 && (clearInterval(t), resolve()), 10);
      });
      const [r1, r2] = await Promise.all([first, a.erase(makeCtx(p2!).ctx)]);
      expect([r1.outcome, r2.outcome]).toEqual(['scheduled', 'scheduled']);
      const sent = fakes.azureManagement.purges.map(shape);
      // 7 pairs each: 8 purges instead of 14 (only the pair sent before the second arrived is repeated).
      expect(sent).toHaveLength(8);
      expect(a.batcher.sent.map((p) => p.members).sort()).toEqual([1, 1, 2, 2, 2, 2, 2, 2]);
      // Each erasure's pairs are all covered by purges naming its user id or its address.
      for (const [p, r] of [[p1!, r1], [p2!, r2]] as const) {
        const mine = fakes.azureManagement.purges.filter((x) => JSON.stringify(x.filters).includes(p.userId) || JSON.stringify(x.filters).includes(p.email));
        expect(r.vendorJob!.id.split(',').sort()).toEqual(mine.map((x) => x.operationId).sort());
        expect(mine).toHaveLength(7);
      }
      expect(fakes.azureManagement.limitExceeded).toBe(0);
    } finally {
      await redis.quit();
    }
  });

  test('a shutdown during the window leaves without a purge and without spending work: the re-run resumes from refs', async () => {
    seed();
    const a = adapter({ purgeBatchMs: 10_000 });
    const controller = new AbortController();
    const t = makeCtx(ANA);
    const ctx: TaskContext = { ...t.ctx, signal: controller.signal };
    const pending = a.erase(ctx);
    await new Promise((r) => setTimeout(r, 200));
    controller.abort();
    const err = await failure(pending);
    expect(err.kind).toBe('transient');
    expect(t.saved).toMatchObject({ queryDone: true });
    expect((t.saved.pairs as unknown[]).length).toBe(7);
    await new Promise((r) => setTimeout(r, 50));
    expect(fakes.azureManagement.purges).toHaveLength(0);
    const queries = fakes.appInsights.queries.length;
    const r = await adapter().erase(retryCtx(t).ctx);
    expect(r.outcome).toBe('scheduled');
    expect(fakes.appInsights.queries).toHaveLength(queries);
    expect(fakes.azureManagement.purges).toHaveLength(7);
  });

  test('a purge refused as over the hourly limit keeps the purges done; the re-run sends only the rest', async () => {
    seed();
    // Azure's own limit, as the fake enforces it (50 an hour, here 3 to reach it).
    fakes.azureManagement.setRateLimit({ perHour: 3 }, 'purge');
    const t = makeCtx(ANA);
    const err = await failure(adapter().erase(t.ctx));
    expect(err.kind).toBe('rate_limited');
    expect(err.retryAfterMs).toBeGreaterThan(3_500_000);
    expect(fakes.azureManagement.purges).toHaveLength(3);
    expect(fakes.azureManagement.limitExceeded).toBe(1); // stopped at the first refusal
    expect(Object.keys(t.saved.purges as object)).toHaveLength(3);
    fakes.azureManagement.setRateLimit({}, 'purge');
    const r = await adapter().erase(retryCtx(t).ctx);
    expect(r.outcome).toBe('scheduled');
    expect(fakes.azureManagement.purges).toHaveLength(7);
    expect(r.vendorJob!.id.split(',')).toEqual(fakes.azureManagement.purges.map((p) => p.operationId));
  });

  test('the shared limiter paces purges at 50 an hour: the next one waits its slot (no call, no 429) and the task is handed back', async () => {
    expect(DEFAULT_LIMITS['azure-app-insights:purge']).toBe('50/h');
    expect(parseLimit(DEFAULT_LIMITS['azure-app-insights:purge']!)!.intervalMs).toBeGreaterThanOrEqual(3_600_000 / 50);
    seed();
    const redis = new Redis(TEST_REDIS_URL);
    try {
      const limiter = new VendorLimiter(redis, {
        prefix: `test-ai-${randomUUID().slice(0, 8)}`,
        rules: { 'azure-app-insights:purge': parseLimit('50/h') },
        maxWaitMs: 250,
      });
      const t = makeCtx(ANA);
      const err = await failure(adapter({}, limiter.gate('azure-app-insights')).erase(t.ctx));
      expect(err.kind).toBe('rate_limited');
      expect(err.retryAfterMs).toBeGreaterThan(60_000);
      expect(fakes.azureManagement.purges).toHaveLength(1);
      expect(fakes.azureManagement.limitExceeded).toBe(0);
      expect(Object.keys(t.saved.purges as object)).toHaveLength(1);
    } finally {
      await redis.quit();
    }
  });
});

describe('tokens and permissions', () => {
  test('a token is fetched once per audience and again when it expires (query 403 InvalidTokenError, ARM 401)', async () => {
    seed();
    const a = adapter();
    await a.access(makeCtx(ANA).ctx);
    await a.erase(makeCtx({ email: 'nobody@example.test' }).ctx);
    expect(fakes.azureLogin.issued).toHaveLength(1);
    fakes.azureLogin.expireTokens();
    expect((await a.access(makeCtx(ANA).ctx)).outcome).toBe('found');
    expect(fakes.appInsights.calls.filter((c) => c.status === 403)).toHaveLength(1);
    const t = makeCtx(ANA);
    const r = await a.erase(t.ctx);
    fakes.azureLogin.expireTokens();
    expect((await a.checkErasure(retryCtx(t).ctx, r.vendorJob!)).state).toBe('pending');
    expect(fakes.azureManagement.calls.filter((c) => c.status === 401)).toHaveLength(1);
    expect(fakes.azureLogin.issued.map((x) => x.audience)).toEqual([
      'https://api.applicationinsights.io', 'https://api.applicationinsights.io', 'https://management.azure.com/', 'https://management.azure.com/',
    ]);
  });

  test.each([
    ['a wrong secret', { clientSecret: 'guess' }, 401, /invalid_client, AADSTS7000215/],
    ['an unknown tenant', { tenantId: 'nope.onmicrosoft.com' }, 400, /AADSTS90002/],
    ['an app registration of another tenant', { clientId: 'ffffffff-0000-0000-0000-000000000000' }, 400, /unauthorized_client, AADSTS700016/],
  ])('%s → auth', async (_name, over, status, message) => {
    const err = await failure(adapter(over).access(makeCtx(ANA).ctx));
    expect([err.kind, err.status]).toEqual(['auth', status]);
    expect(err.message).toMatch(message);
  });

  test('an audience the tenant does not know → auth', async () => {
    fakes.azureLogin.resources.splice(0, fakes.azureLogin.resources.length, 'https://management.azure.com/');
    try {
      const err = await failure(adapter().access(makeCtx(ANA).ctx));
      expect([err.kind, err.message]).toEqual(['auth', expect.stringMatching(/invalid_resource, AADSTS500011/)]);
    } finally {
      fakes.azureLogin.resources.splice(0, fakes.azureLogin.resources.length, 'https://api.applicationinsights.io', 'https://management.azure.com/', 'https://management.core.windows.net/');
    }
  });

  test('no Reader role → auth on access; no Data Purger role → auth on erasure, after the pairs were saved', async () => {
    seed();
    fakes.appInsights.readers = [OTHER_APP.clientId];
    const e1 = await failure(adapter().access(makeCtx(ANA).ctx));
    expect([e1.kind, e1.status]).toEqual(['auth', 403]);
    expect(e1.message).toMatch(/\(InsufficientAccessError\): the app registration needs the Reader role/);
    fakes.appInsights.readers = [fakes.azureLogin.clientId];
    fakes.azureManagement.purgers = [];
    const t = makeCtx(ANA);
    const e2 = await failure(adapter().erase(t.ctx));
    expect([e2.kind, e2.status]).toEqual(['auth', 403]);
    expect(e2.message).toMatch(/\(AuthorizationFailed\): the app registration needs the Data Purger role/);
    expect(t.saved).toMatchObject({ queryDone: true, purges: {} });
    expect(fakes.azureManagement.purges).toHaveLength(0);
  });

  test('a resource id ARM does not know → permanent', async () => {
    seed();
    const gone = WORKSPACE.replace('product-logs', 'gone');
    const err = await failure(adapter({ resourceId: gone }).erase(makeCtx(ANA).ctx));
    expect([err.kind, err.status]).toEqual(['permanent', 404]);
    expect(err.message).toMatch(/\(ResourceNotFound\): check APPINSIGHTS_RESOURCE_ID/);
  });
});

describe('settings', () => {
  test('defaults, the five credentials that make it configured, component vs workspace', () => {
    const none = loadVendorConfig({}).appInsights;
    expect(none).toEqual({
      tenantId: undefined, clientId: undefined, clientSecret: undefined, appId: undefined, resourceId: undefined, resourceKind: undefined,
      loginUrl: 'https://login.microsoftonline.com', managementUrl: 'https://management.azure.com', queryUrl: 'https://api.applicationinsights.io',
      matchColumns: [
        { name: 'user_AuthenticatedId', column: 'user_AuthenticatedId' },
        { name: 'user_Id', column: 'user_Id' },
        { name: 'customDimensions.email', column: 'customDimensions', key: 'email' },
      ],
      purgeBatchMs: 300_000,
    });
    const system = (env: Record<string, string>) => createProcessorSystems(loadVendorConfig(env)).find((s) => s.key === 'azure-app-insights')!;
    expect([system({}).label, system({}).recipient, system({}).isConfigured()]).toEqual(['Microsoft Azure Application Insights', 'azure-app-insights', false]);
    const full = {
      APPINSIGHTS_TENANT_ID: 'contoso.onmicrosoft.com', APPINSIGHTS_CLIENT_ID: fakes.env.APPINSIGHTS_CLIENT_ID!, APPINSIGHTS_CLIENT_SECRET: 's',
      APPINSIGHTS_APP_ID: fakes.env.APPINSIGHTS_APP_ID!, APPINSIGHTS_RESOURCE_ID: `${COMPONENT}/`,
    };
    expect(system(full).isConfigured()).toBe(true);
    for (const k of Object.keys(full)) expect(system({ ...full, [k]: '' }).isConfigured()).toBe(false);
    expect(loadVendorConfig(full).appInsights).toMatchObject({ resourceId: COMPONENT, resourceKind: 'component' });
    expect(loadVendorConfig({ ...full, APPINSIGHTS_RESOURCE_ID: WORKSPACE.toLowerCase() }).appInsights.resourceKind).toBe('workspace');
    expect(loadVendorConfig({ APPINSIGHTS_MATCH_COLUMNS: ' user_AccountId , customDimensions.user email ', APPINSIGHTS_PURGE_BATCH_SECONDS: '0' }).appInsights).toMatchObject({
      matchColumns: [{ name: 'user_AccountId', column: 'user_AccountId' }, { name: 'customDimensions.user email', column: 'customDimensions', key: 'user email' }],
      purgeBatchMs: 0,
    });
  });

  test.each([
    ['APPINSIGHTS_TENANT_ID', 'not a tenant!', /must be the Entra tenant id/],
    ['APPINSIGHTS_CLIENT_ID', 'my-app', /must be a GUID/],
    ['APPINSIGHTS_APP_ID', '1234', /must be a GUID/],
    ['APPINSIGHTS_RESOURCE_ID', '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.Web/sites/app', /component .* or of a Log Analytics workspace/],
    ['APPINSIGHTS_RESOURCE_ID', 'product-web', /must be the ARM id/],
    ['AZURE_LOGIN_URL', 'login.microsoftonline.com', /absolute http\(s\) URL/],
    ['AZURE_MANAGEMENT_URL', 'https://management.azure.com/subscriptions', /scheme and host only/],
    ['APPINSIGHTS_QUERY_URL', 'https://api.applicationinsights.io/v1', /scheme and host only/],
    ['APPINSIGHTS_MATCH_COLUMNS', 'user_AuthenticatedId,email', /"email", which is neither a string column/],
    ['APPINSIGHTS_MATCH_COLUMNS', 'user_Id,user_Id', /names a column twice/],
    ['APPINSIGHTS_MATCH_COLUMNS', 'customDimensions."x"', /custom dimension name/],
    ['APPINSIGHTS_MATCH_COLUMNS', ' , ', /at least one column/],
    ['APPINSIGHTS_PURGE_BATCH_SECONDS', 'five', /must be a whole number/],
    ['APPINSIGHTS_PURGE_BATCH_SECONDS', '7200', /between 0 and 3600/],
  ])('%s=%s is refused, naming the variable', (name, value, problem) => {
    expect(() => loadVendorConfig({ [name]: value })).toThrow(new RegExp(`^Invalid configuration: ${name} `));
    expect(() => loadVendorConfig({ [name]: value })).toThrow(problem);
  });

  test('workspace column names follow Microsoft’s mapping', () => {
    expect(['user_AuthenticatedId', 'user_Id', 'user_AccountId', 'session_Id', 'customDimensions', 'message', 'client_IP', 'cloud_RoleName', 'operation_ParentId'].map(workspaceColumn)).toEqual([
      'UserAuthenticatedId', 'UserId', 'UserAccountId', 'SessionId', 'Properties', 'Message', 'ClientIP', 'AppRoleName', 'ParentId',
    ]);
    expect(parseMatchColumns('user_Id')).toEqual([{ name: 'user_Id', column: 'user_Id' }]);
  });
});

