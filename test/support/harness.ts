// Starts the real service for a test file: API (HTTP on loopback) and worker, in this process,
// against the test PostgreSQL database, the local Redis (queues under a prefix of their own) and
// an SMTP catcher. Nothing of ours is mocked.
import type { INestApplication, INestApplicationContext } from '@nestjs/common';
import type { DestinationStream } from 'pino';
import { PrismaPg } from '@prisma/adapter-pg';
import { randomBytes, randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { createApi, createWorker } from '../../src/bootstrap.js';
import { loadConfig, type AppConfig } from '../../src/config/config.js';
import { applyMigrations } from '../../src/db/migrations.js';
import { hashToken } from '../../src/requests/tokens.js';
import { PrismaClient } from '../../src/generated/prisma/client.js';
import { TEST_DATABASE_URL, TEST_REDIS_URL } from './env.js';
import { SmtpCatcher } from './smtp.js';

const MIGRATIONS = fileURLToPath(new URL('../../prisma/migrations', import.meta.url));

export interface Harness {
  config: AppConfig;
  /** The environment the configuration was read from (for worker processes of a test's own). */
  env: Record<string, string>;
  baseUrl: string;
  officerKey: string;
  smtp: SmtpCatcher;
  prisma: PrismaClient;
  api: INestApplication;
  worker: INestApplicationContext | undefined;
  startWorker(): Promise<void>;
  stopWorker(): Promise<void>;
  stop(): Promise<void>;
}

export async function migratedTestDb(): Promise<PrismaClient> {
  await applyMigrations(TEST_DATABASE_URL, MIGRATIONS);
  return new PrismaClient({ adapter: new PrismaPg({ connectionString: TEST_DATABASE_URL }) });
}

export async function startHarness(
  // `logStream`: receives every log line of the API and the worker (JSON lines) instead of stdout.
  opts: { env?: Record<string, string>; worker?: boolean; logStream?: DestinationStream } = {},
): Promise<Harness> {
  const prisma = await migratedTestDb();
  const smtp = new SmtpCatcher();
  await smtp.start();
  const officerKey = randomBytes(24).toString('base64url');
  const env: Record<string, string> = {
    NODE_ENV: 'test',
    DATABASE_URL: TEST_DATABASE_URL,
    REDIS_URL: TEST_REDIS_URL,
    SMTP_URL: smtp.url,
    MAIL_FROM: 'Privacy Team <privacy@test.local>',
    PUBLIC_BASE_URL: 'http://dsar.test.local',
    PORT: '0',
    QUEUE_PREFIX: `test-${randomUUID().slice(0, 8)}`,
    TASK_BACKOFF_MS: '50',
    TASK_ATTEMPTS: '3',
    LOG_LEVEL: 'error',
    LOG_FORMAT: 'json',
    // Several harnesses (and worker processes) run at once: no worker metrics port unless asked for.
    WORKER_METRICS_PORT: '0',
    // Tests send many requests from 127.0.0.1: no rate limits unless a test asks for them.
    RATE_LIMIT_INTAKE_PER_MINUTE: '0',
    RATE_LIMIT_VERIFY_PER_MINUTE: '0',
    RATE_LIMIT_STATUS_PER_MINUTE: '0',
    RATE_LIMIT_WRONG_TOKENS_PER_MINUTE: '0',
    RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '0',
    // Vendor limits as the fakes allow (unlimited unless a test sets one): the documented defaults
    // (e.g. Amplitude's 360 queries/hour) would make every test wait; limiter tests set their own.
    RATE_LIMIT_AUTH0: '200/s',
    RATE_LIMIT_AMPLITUDE: '200/s',
    RATE_LIMIT_AMPLITUDE_DELETIONS: '200/s',
    ...opts.env,
  };
  // The harness's own officer key, issued as an officer would issue one (several harnesses share a
  // database; a bootstrap key would replace the previous harness's bootstrap key).
  if (!env.OFFICER_API_KEY) {
    await prisma.officerApiKey.create({ data: { name: 'test harness', keyHash: hashToken(officerKey) } });
  }
  const config = loadConfig(env);
  const api = await createApi(config, { logStream: opts.logStream });
  await api.listen(0, '127.0.0.1');
  const port = (api.getHttpServer().address() as AddressInfo).port;
  const h: Harness = {
    config,
    env,
    baseUrl: `http://127.0.0.1:${port}`,
    officerKey,
    smtp,
    prisma,
    api,
    worker: undefined,
    async startWorker() {
      h.worker = await createWorker(config, { logStream: opts.logStream });
    },
    async stopWorker() {
      await h.worker?.close();
      h.worker = undefined;
    },
    async stop() {
      await h.stopWorker();
      await api.close();
      await smtp.stop();
      await prisma.$disconnect();
    },
  };
  if (opts.worker !== false) await h.startWorker();
  return h;
}

export async function post(h: Harness, path: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(h.baseUrl + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json().catch(() => null)) as any };
}

export async function get(h: Harness, path: string, headers: Record<string, string> = {}) {
  const res = await fetch(h.baseUrl + path, { headers });
  return { status: res.status, body: (await res.json().catch(() => null)) as any };
}

export const officer = (h: Harness) => ({ authorization: `Bearer ${h.officerKey}` });

export function uniqueEmail(tag: string): string {
  return `${tag}-${randomUUID().slice(0, 8)}@example.com`;
}

/**
 * Submits a request and reads its id and token from the verification e-mail it causes (the intake
 * answer identifies no request): the first verification e-mail to the address after the submission.
 */
export async function submit(h: Harness, type: 'access' | 'erasure', email: string, mailTimeoutMs = 30_000): Promise<{ id: string; token: string }> {
  const confirm = (m: { subject: string }) => /Confirm/.test(m.subject);
  const before = h.smtp.to(email).filter(confirm).length;
  const created = await post(h, '/v1/requests', { type, email });
  if (created.status !== 202) throw new Error(`submission answered ${created.status}`);
  await waitFor(async () => h.smtp.to(email).filter(confirm).length > before, mailTimeoutMs, 'verification e-mail');
  return linkFrom(h.smtp.to(email).filter(confirm)[before]!.text);
}

/** Submits a request, reads the link from the verification e-mail, redeems it; returns the id. */
export async function submitVerified(h: Harness, type: 'access' | 'erasure', email: string, mailTimeoutMs = 30_000): Promise<string> {
  const { id, token } = await submit(h, type, email, mailTimeoutMs);
  const verified = await post(h, `/v1/requests/${id}/verify`, { token });
  if (verified.status !== 200) throw new Error(`verification answered ${verified.status}`);
  return id;
}

/** The request id and token from a verification e-mail's link. */
export function linkFrom(text: string): { id: string; token: string } {
  const m = /\/v1\/requests\/([0-9a-f-]{36})\/verify\?token=([A-Za-z0-9_-]+)/.exec(text);
  if (!m) throw new Error('No verification link in the e-mail');
  return { id: m[1]!, token: m[2]! };
}

/** The token from the verification e-mail's link. */
export function tokenFrom(text: string): string {
  return linkFrom(text).token;
}

/** Polls until `fn` gives a truthy value. Errors count as "not yet" (a database restarting). */
export async function waitFor<T>(fn: () => Promise<T | undefined | null | false>, timeoutMs = 20_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Completes every open officer action of a request through the officer API, as an officer who did
 * what each says (systems not configured in a test are handled "by hand": they held nothing).
 */
export async function completeOpenActions(h: Harness, id: string, outcome?: string): Promise<number> {
  const d = (await get(h, `/v1/admin/requests/${id}`, officer(h))).body;
  const open = (d.actions as { id: string; status: string; kind: string }[]).filter((a) => a.status === 'open');
  for (const a of open) {
    const out = outcome ?? (a.kind.startsWith('manual_') ? 'not_found' : undefined);
    const r = await post(h, `/v1/admin/requests/${id}/actions/${a.id}/complete`, { note: `Done by hand in the test (${a.kind})`, ...(out ? { outcome: out } : {}) }, officer(h));
    if (r.status !== 200) throw new Error(`completing action ${a.kind} answered ${r.status}: ${JSON.stringify(r.body)}`);
  }
  return open.length;
}

/** Waits for a request to reach one of `statuses` (officer API); returns its detail. */
export async function waitForStatus(h: Harness, id: string, statuses: string[], timeoutMs = 30_000): Promise<any> {
  return waitFor(async () => {
    const d = (await get(h, `/v1/admin/requests/${id}`, officer(h))).body;
    return statuses.includes(d?.status) ? d : undefined;
  }, timeoutMs, `request ${id} to reach ${statuses.join('/')}`);
}
