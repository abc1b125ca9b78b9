// Everything the service logs during a full end-to-end run (access and erasure across every vendor
// fake, wrong tokens, a wrong officer key, vendor 500/401/429s) is captured, at debug level and
// from every channel (Nest loggers, console, raw stdout/stderr writes), and scanned for personal
// data and secrets.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { LoggerService } from '@nestjs/common';
import { writeFileSync } from 'node:fs';
import { inspect } from 'node:util';
import { createAccount } from '../../src/db/demo-data.js';
import { seedSubject, startVendorFakes, type VendorFakes } from '../../src/demo/fakes/index.js';
import { get, officer, post, startHarness, submit, uniqueEmail, waitFor, type Harness } from '../support/harness.js';

const lines: string[] = [];
const record = (channel: string, parts: unknown[]) => {
  const text = parts.map((p) => (typeof p === 'string' ? p : p instanceof Error ? `${p.name}: ${p.message}\n${p.stack ?? ''}` : inspect(p, { depth: 8 }))).join(' ');
  for (const line of text.split('\n')) lines.push(`[${channel}] ${line}`);
};

class CapturingLogger implements LoggerService {
  log(message: unknown, ...rest: unknown[]) { record('log', [message, ...rest]); }
  error(message: unknown, ...rest: unknown[]) { record('error', [message, ...rest]); }
  warn(message: unknown, ...rest: unknown[]) { record('warn', [message, ...rest]); }
  debug(message: unknown, ...rest: unknown[]) { record('debug', [message, ...rest]); }
  verbose(message: unknown, ...rest: unknown[]) { record('verbose', [message, ...rest]); }
  fatal(message: unknown, ...rest: unknown[]) { record('fatal', [message, ...rest]); }
}

type Write = typeof process.stdout.write;
const originals = {
  stdout: process.stdout.write,
  stderr: process.stderr.write,
  console: { log: console.log, info: console.info, warn: console.warn, error: console.error, debug: console.debug, trace: console.trace },
};

function intercept(): void {
  for (const stream of ['stdout', 'stderr'] as const) {
    process[stream].write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      record(stream, [typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8')]);
      const cb = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      cb?.();
      return true;
    }) as Write;
  }
  for (const name of Object.keys(originals.console) as (keyof typeof originals.console)[]) {
    console[name] = (...args: unknown[]) => record(`console.${name}`, args);
  }
}

function restore(): void {
  process.stdout.write = originals.stdout;
  process.stderr.write = originals.stderr;
  Object.assign(console, originals.console);
}

let fakes: VendorFakes;
let h: Harness | undefined;
let stopped = false;

beforeAll(async () => {
  intercept();
  fakes = await startVendorFakes();
  h = await startHarness({
    env: {
      ...fakes.env,
      LOG_LEVEL: 'debug',
      TASK_ATTEMPTS: '3',
      // Follow vendor erasure jobs quickly (the fakes complete them while the test waits), and
      // for a bounded time only.
      VENDOR_JOB_POLL_SECONDS: '1',
      MAINTENANCE_INTERVAL_SECONDS: '1',
      VENDOR_JOB_MAX_WAIT_SECONDS: '20',
      // Exercise the rate limiter too (high enough never to refuse).
      RATE_LIMIT_INTAKE_PER_MINUTE: '1000',
      RATE_LIMIT_VERIFY_PER_MINUTE: '1000',
      RATE_LIMIT_STATUS_PER_MINUTE: '1000',
    },
    logger: new CapturingLogger(),
  });
});

afterAll(async () => {
  try {
    if (!stopped) await h?.stop();
    await fakes?.stop();
  } finally {
    restore();
    // LOG_SCAN_DUMP=<file> keeps what was captured, to see what a failing scan saw.
    if (process.env.LOG_SCAN_DUMP) writeFileSync(process.env.LOG_SCAN_DUMP, lines.join('\n'));
  }
});

const person = {
  firstName: 'Ottoline',
  lastName: 'Quarendon',
  phone: '+44 20 7946 0321',
  company: 'Zephyrine Aeronautics',
};

describe('logs carry no personal data and no secrets', () => {
  test('a full run with failures, then a scan of every captured line', async () => {
    const step = (what: string) => record('test', [`--- ${what}`]);
    const hh = h!;
    const email = uniqueEmail('logscan.subject');
    const { userId } = await createAccount(hh.prisma, { email, firstName: person.firstName, lastName: person.lastName, phoneNumber: person.phone, businessRole: 'Navigator', businessType: 'Aviation' });
    seedSubject(fakes, { email, userId, firstName: person.firstName, lastName: person.lastName, phone: person.phone, company: person.company, country: 'Portugal', businessRole: 'Navigator', businessType: 'Aviation' });

    const tokens: string[] = [];
    const wrongTokens: string[] = [];
    const settled = (id: string) =>
      waitFor(async () => {
        fakes.amplitude.runDeletionJobs();
        fakes.sendgrid.completeJobs();
        const r = await get(hh, `/v1/admin/requests/${id}`, officer(hh));
        return ['completed', 'failed', 'awaiting_action'].includes(r.body?.status) ? r.body : undefined;
      }, 60_000, `request ${id} to settle`);

    async function run(type: 'access' | 'erasure', beforeVerify: () => void) {
      const { id, token } = await submit(hh, type, email);
      tokens.push(token);
      // A wrong token first.
      const wrong = token.split('').reverse().join('');
      wrongTokens.push(wrong);
      expect((await post(hh, `/v1/requests/${id}/verify`, { token: wrong })).status).toBe(403);
      beforeVerify();
      expect((await post(hh, `/v1/requests/${id}/verify`, { token })).status).toBe(200);
      return settled(id);
    }

    // Access: SendGrid fails with 500, then 401; Pardot's first call is a 401 (token refresh path).
    const access = await run('access', () => {
      fakes.sendgrid.failNext(1, 500).failNext(1, 401);
      fakes.pardot.failNext(1, 401, { error: 'invalid_token' });
    });
    expect(access.tasks.find((t: { system: string }) => t.system === 'sendgrid').status).toBe('failed');

    step('access settled');
    // Officer calls with a wrong and a malformed key.
    const wrongKey = 'Wr0ngOfficerKey-' + 'z'.repeat(24);
    expect((await get(hh, '/v1/admin/requests', { authorization: `Bearer ${wrongKey}` })).status).toBe(401);
    expect((await get(hh, '/v1/admin/requests', { authorization: `Basic ${Buffer.from(`officer:${wrongKey}`).toString('base64')}` })).status).toBe(401);

    // Erasure: Amplitude answers 429 once, Intercom 500 once; both are retried.
    const erasure = await run('erasure', () => {
      fakes.amplitude.rateLimitNext(1, 1);
      fakes.intercom.failNext(1, 500);
    });
    expect(erasure.tasks.filter((t: { status: string }) => t.status === 'done').length).toBeGreaterThan(0);
    expect(fakes.amplitude.rateLimited).toBeGreaterThan(0);
    step('erasure settled');
    await hh.smtp.waitFor(email, (m) => /^Your erasure request/.test(m.subject));

    // OAuth access tokens the fakes issued to our adapters are secrets too.
    // Fakes sharing a registry (Salesforce → Pardot, Entra → Azure) list the same tokens: once each.
    const issued = [...new Set(fakes.all.flatMap((f) => f.tokens.issued()))];

    // The report link (its token is a secret), and what only the product's database holds.
    const reportMail = await hh.smtp.waitFor(email, (m) => m.subject === 'Your personal data: access report');
    const reportToken = /\/v1\/reports\/[0-9a-f-]{36}\?token=([A-Za-z0-9_-]+)/.exec(reportMail.text)![1]!;
    const invoice = await hh.prisma.invoice.findFirstOrThrow({ where: { billingName: `${person.firstName} ${person.lastName}` } });

    await hh.stop();
    stopped = true;

    const secrets = Object.entries(fakes.env).filter(([k]) => /(KEY|SECRET|TOKEN)$/.test(k)).map(([k, v]) => [k, v] as const);
    expect(secrets.length).toBeGreaterThanOrEqual(8);
    const forbidden: [string, string][] = [
      ['e-mail address', email],
      ['e-mail local part', email.split('@')[0]!],
      ['first name', person.firstName],
      ['last name', person.lastName],
      ['phone number', person.phone],
      ['phone digits', person.phone.replace(/\D/g, '')],
      ['national phone number', '020 7946 0321'],
      ['company', person.company],
      ['product user id', userId],
      ['IP address', '203.0.113.7'],
      ['billing address', '12 Analytical Row'],
      ['payer id', invoice.payerId],
      ['invoice number', invoice.number],
      ['report link token', reportToken],
      ['officer API key', hh.officerKey],
      ['wrong officer key', wrongKey],
      ...tokens.map((t, i) => [`verification token ${i + 1}`, t] as [string, string]),
      ...wrongTokens.map((t, i) => [`wrong verification token ${i + 1}`, t] as [string, string]),
      ...secrets.map(([k, v]) => [k, v] as [string, string]),
      ...issued.map((t, i) => [`vendor OAuth token ${i + 1}`, t] as [string, string]),
    ];

    restore();
    const leaks = forbidden.flatMap(([what, value]) =>
      lines.filter((l) => l.toLowerCase().includes(value.toLowerCase())).map((l) => `${what}: ${l.slice(0, 300)}`),
    );
    expect(leaks).toEqual([]);

    // The scan is not vacuous: both processes logged, at debug level, through the capturing logger.
    expect(lines.length).toBeGreaterThan(20);
    const all = lines.join('\n');
    expect(all).toMatch(/\[log\].*verified/); // API
    expect(all).toMatch(/\[log\].*planned across/); // worker
    expect(all).toMatch(/\[warn\].*\(sendgrid\)/); // vendor failure
    expect(all).toMatch(/Sent "/); // mail
  }, 180_000);
});
