// Prometheus metrics: the API's /metrics (the service's state, read when scraped) and each worker's
// port (jobs and vendor calls). A scrape, an access request across every vendor fake (Amplitude
// answering 429 once) carried to completion, another scrape: the series that should move, moved.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { createAccount } from '../../src/db/demo-data.js';
import { seedSubject, startVendorFakes, type VendorFakes } from '../../src/demo/fakes/index.js';
import { metricsAuthorized } from '../../src/ops/metrics.js';
import { WorkerHttpServer } from '../../src/ops/worker-http.server.js';
import { completeOpenActions, officer, startHarness, submit, submitVerified, uniqueEmail, waitFor, waitForStatus, type Harness } from '../support/harness.js';
import { freePort } from '../support/processes.js';

const TOKEN = randomBytes(24).toString('base64url');
let fakes: VendorFakes;
let h: Harness;
let workerPort: number;

beforeAll(async () => {
  fakes = await startVendorFakes();
  workerPort = await freePort();
  h = await startHarness({ env: { ...fakes.env, METRICS_TOKEN: TOKEN, WORKER_METRICS_PORT: String(workerPort), VENDOR_JOB_MAX_WAIT_SECONDS: '0' } });
});
afterAll(async () => {
  await h?.stop();
  await fakes?.stop();
});

type Samples = Map<string, number>;

/** Prometheus text format → "name{a="x",b="y"}" (labels sorted) → value. */
function parse(text: string): Samples {
  const out: Samples = new Map();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const labels = m[2] ? [...m[2].matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => `${l[1]}="${l[2]}"`).sort().join(',') : '';
    out.set(labels ? `${m[1]}{${labels}}` : m[1]!, Number(m[3]));
  }
  return out;
}

const key = (name: string, labels: Record<string, string> = {}) => {
  const l = Object.entries(labels).map(([k, v]) => `${k}="${v}"`).sort().join(',');
  return l ? `${name}{${l}}` : name;
};
const value = (s: Samples, name: string, labels?: Record<string, string>) => s.get(key(name, labels)) ?? 0;

async function scrape(url: string, token: string | null = TOKEN): Promise<{ status: number; text: string; type: string | null }> {
  const res = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: res.status, text: await res.text(), type: res.headers.get('content-type') };
}
const api = async () => parse((await scrape(`${h.baseUrl}/metrics`)).text);
const worker = async () => parse((await scrape(`http://127.0.0.1:${workerPort}/metrics`)).text);

describe('metrics', () => {
  test('the token is required when set, compared in full', async () => {
    for (const url of [`${h.baseUrl}/metrics`, `http://127.0.0.1:${workerPort}/metrics`]) {
      expect((await scrape(url, null)).status).toBe(401);
      expect((await scrape(url, `${TOKEN}x`)).status).toBe(401);
      expect((await scrape(url, TOKEN.slice(0, -1))).status).toBe(401);
      const ok = await scrape(url);
      expect(ok.status).toBe(200);
      expect(ok.type).toMatch(/^text\/plain; version=0\.0\.4/);
    }
    expect(metricsAuthorized(undefined, undefined)).toBe(true);
    expect(metricsAuthorized('a-token-of-sixteen+', 'Bearer a-token-of-sixteen+')).toBe(true);
    expect(metricsAuthorized('a-token-of-sixteen+', 'bearer a-token-of-sixteen+')).toBe(false);
  });

  test('open when METRICS_TOKEN is not set', async () => {
    const open = await startHarness({ worker: false, env: { METRICS_TOKEN: '' } });
    try {
      const res = await scrape(`${open.baseUrl}/metrics`, null);
      expect(res.status).toBe(200);
      expect(res.text).toContain('dsar_requests{');
    } finally {
      await open.stop();
    }
  });

  test('every name is prefixed dsar_; the state series are there before anything happens', async () => {
    const s = await api();
    expect([...s.keys()].filter((k) => !k.startsWith('dsar_'))).toEqual([]);
    for (const type of ['access', 'erasure']) for (const status of ['awaiting_verification', 'in_progress', 'completed']) expect(s.has(key('dsar_requests', { type, status }))).toBe(true);
    for (const b of ['overdue', '0-2', '3-5', '6-10', '11-20', '21+']) expect(s.has(key('dsar_requests_open_by_days_left', { days_left: b }))).toBe(true);
    expect(s.has('dsar_requests_overdue')).toBe(true);
    expect(s.has('dsar_requests_at_risk')).toBe(true);
    const queues = ['requests', 'lane-product-db', 'lane-auth0', 'lane-amplitude', 'lane-hotjar', 'lane-intercom', 'lane-pardot', 'lane-sendgrid', 'lane-inline-manual', 'lane-azure-app-insights'];
    for (const queue of queues) {
      expect({ queue, depth: s.has(key('dsar_queue_jobs', { queue, state: 'waiting' })) }).toEqual({ queue, depth: true });
      expect({ queue, oldest: s.has(key('dsar_queue_oldest_waiting_seconds', { queue })) }).toEqual({ queue, oldest: true });
    }
    expect(value(s, 'dsar_metrics_collect_errors_total')).toBe(0);
    const w = await worker();
    expect([...w.keys()].filter((k) => !k.startsWith('dsar_'))).toEqual([]);
    expect(w.has('dsar_process_cpu_seconds_total')).toBe(true);
  });

  test('a request carried to completion moves the series it should', async () => {
    const beforeApi = await api();
    const beforeWorker = await worker();
    const email = uniqueEmail('metrics');
    const { userId } = await createAccount(h.prisma, { email, firstName: 'Katherine', lastName: 'Johnson', phoneNumber: '+1 555 0199' });
    seedSubject(fakes, { email, userId, firstName: 'Katherine', lastName: 'Johnson', phone: '+1 555 0199', company: 'NACA', country: 'United States' });
    fakes.amplitude.rateLimitNext(1, 1);

    const id = await submitVerified(h, 'access', email);
    // Hotjar's answer is forwarded by an officer: the request waits on that action.
    await waitForStatus(h, id, ['awaiting_action']);
    const waiting = await api();
    expect(value(waiting, 'dsar_officer_actions_open', { system: 'hotjar', overdue: 'false' })).toBe(value(beforeApi, 'dsar_officer_actions_open', { system: 'hotjar', overdue: 'false' }) + 1);
    expect(value(waiting, 'dsar_requests', { type: 'access', status: 'awaiting_action' })).toBe(value(beforeApi, 'dsar_requests', { type: 'access', status: 'awaiting_action' }) + 1);

    await completeOpenActions(h, id, 'forwarded');
    await waitForStatus(h, id, ['completed']);
    const afterApi = await api();
    const afterWorker = await worker();

    const moved = (s: Samples, b: Samples, name: string, labels?: Record<string, string>) => value(s, name, labels) - value(b, name, labels);
    expect(moved(afterApi, beforeApi, 'dsar_requests', { type: 'access', status: 'completed' })).toBe(1);
    expect(moved(afterApi, beforeApi, 'dsar_officer_actions_open', { system: 'hotjar', overdue: 'false' })).toBe(0);
    for (const system of ['product-db', 'auth0', 'amplitude', 'intercom', 'sendgrid']) {
      expect({ system, moved: moved(afterApi, beforeApi, 'dsar_tasks', { system, status: 'done', outcome: 'found' }) }).toEqual({ system, moved: 1 });
    }
    expect(moved(afterApi, beforeApi, 'dsar_tasks', { system: 'hotjar', status: 'done', outcome: 'forwarded' })).toBe(1);

    // The worker: its jobs, its task runs, and every vendor call by vendor and status class.
    expect(moved(afterWorker, beforeWorker, 'dsar_jobs_total', { queue: 'requests', name: 'plan', outcome: 'done' })).toBe(1);
    expect(moved(afterWorker, beforeWorker, 'dsar_jobs_total', { queue: 'lane-auth0', name: 'run-task', outcome: 'found' })).toBe(1);
    expect(moved(afterWorker, beforeWorker, 'dsar_task_runs_total', { system: 'intercom', outcome: 'found' })).toBe(1);
    expect(moved(afterWorker, beforeWorker, 'dsar_job_duration_seconds_count', { queue: 'requests', name: 'plan' })).toBe(1);
    for (const vendor of ['auth0', 'intercom', 'sendgrid', 'pardot', 'inline-manual', 'azure-application-insights']) {
      expect({ vendor, calls: moved(afterWorker, beforeWorker, 'dsar_vendor_call_duration_seconds_count', { vendor, status_class: '2xx' }) > 0 }).toEqual({ vendor, calls: true });
    }
    expect(moved(afterWorker, beforeWorker, 'dsar_vendor_rate_limited_total', { vendor: 'amplitude' })).toBe(fakes.amplitude.rateLimited);
    expect(fakes.amplitude.rateLimited).toBeGreaterThanOrEqual(1);
    expect(moved(afterWorker, beforeWorker, 'dsar_vendor_call_duration_seconds_count', { vendor: 'amplitude', status_class: '4xx' })).toBe(fakes.amplitude.rateLimited);

    // Labels carry keys and classes, never the subject.
    for (const text of [(await scrape(`${h.baseUrl}/metrics`)).text, (await scrape(`http://127.0.0.1:${workerPort}/metrics`)).text]) {
      expect(text).not.toContain(email);
      expect(text).not.toContain('Johnson');
      expect(text).not.toMatch(/@|https?:\/\//);
    }
  });

  test('overdue, days left and at risk follow the due dates and failures', async () => {
    const before = await api();
    const { id } = await submit(h, 'erasure', uniqueEmail('overdue'));
    await h.prisma.dsarRequest.update({ where: { id }, data: { dueAt: new Date(Date.now() - 86_400_000) } });
    const overdue = await api();
    expect(value(overdue, 'dsar_requests_overdue') - value(before, 'dsar_requests_overdue')).toBe(1);
    expect(value(overdue, 'dsar_requests_open_by_days_left', { days_left: 'overdue' }) - value(before, 'dsar_requests_open_by_days_left', { days_left: 'overdue' })).toBe(1);

    await h.prisma.dsarRequest.update({ where: { id }, data: { dueAt: new Date(Date.now() + 4.5 * 86_400_000) } });
    const soon = await api();
    expect(value(soon, 'dsar_requests_overdue')).toBe(value(before, 'dsar_requests_overdue'));
    expect(value(soon, 'dsar_requests_open_by_days_left', { days_left: '3-5' }) - value(before, 'dsar_requests_open_by_days_left', { days_left: '3-5' })).toBe(1);

    // At risk: open, with a failed task that has no scheduled retry left (as the console flags it).
    const filed = await fetch(`${h.baseUrl}/v1/admin/requests`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...officer(h) },
      body: JSON.stringify({ type: 'access', email: uniqueEmail('atrisk'), channel: 'phone', identityCheck: 'Called back on the number on file' }),
    });
    const riskId = ((await filed.json()) as { id: string }).id;
    const task = await waitFor(() => h.prisma.dsarTask.findFirst({ where: { requestId: riskId } }), 20_000, 'a task');
    await waitForStatus(h, riskId, ['awaiting_action', 'completed', 'failed']);
    await h.prisma.dsarRequest.update({ where: { id: riskId }, data: { status: 'in_progress' } });
    await h.prisma.dsarTask.update({ where: { id: task.id }, data: { status: 'failed', nextRetryAt: null } });
    const risky = await api();
    expect(value(risky, 'dsar_requests_at_risk') - value(soon, 'dsar_requests_at_risk')).toBe(1);
  });

  test('the worker port also answers liveness and readiness, and nothing else', async () => {
    const live = await fetch(`http://127.0.0.1:${workerPort}/health/live`);
    expect(live.status).toBe(200);
    expect(await live.json()).toMatchObject({ status: 'ok', info: { process: { status: 'up' } } });
    const ready = await fetch(`http://127.0.0.1:${workerPort}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ok', info: { database: { status: 'up' }, redis: { status: 'up' } } });
    expect((await fetch(`http://127.0.0.1:${workerPort}/`)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${workerPort}/metrics`, { method: 'POST' })).status).toBe(405);
    expect(h.worker!.get(WorkerHttpServer).port).toBe(workerPort);
  });
});
