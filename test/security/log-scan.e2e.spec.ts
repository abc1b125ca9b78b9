// Everything the service logs during a full end-to-end run (access and erasure across every vendor
// fake, wrong tokens, a wrong officer key, vendor 500/401/429s) is captured, at debug level and
// from every channel (the pino stream every Nest logger writes to, console, raw stdout/stderr
// writes), and scanned for personal data and secrets. The log lines are JSON, one per line (as in
// production): each is parsed, and scanned both as written and decoded. Then the same for the real
// processes (dist/main.js and dist/worker.js) started with NODE_ENV=production: stdout is JSON lines.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { inspect } from 'node:util';
import { createAccount } from '../../src/db/demo-data.js';
import { seedSubject, startVendorFakes, type VendorFakes } from '../../src/demo/fakes/index.js';
import { get, linkFrom, officer, post, startHarness, submit, uniqueEmail, waitFor, type Harness } from '../support/harness.js';
import { freePort, leaksIn, linesOf, startApiProcess, startWorkerProcess, type Proc } from '../support/processes.js';

const lines: string[] = [];
const record = (channel: string, parts: unknown[]) => {
  const text = parts.map((p) => (typeof p === 'string' ? p : p instanceof Error ? `${p.name}: ${p.message}\n${p.stack ?? ''}` : inspect(p, { depth: 8 }))).join(' ');
  for (const line of text.split('\n')) lines.push(`[${channel}] ${line}`);
};

// The service's log lines, as pino wrote them (each must be one JSON object).
const logged: string[] = [];
const logStream = {
  write(chunk: string) {
    for (const line of chunk.split('\n').filter((l) => l !== '')) {
      logged.push(line);
      record('pino', [line]);
    }
  },
};
type LogLine = { level: number; msg: string; [key: string]: unknown };

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
    logStream,
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
    // Every line pino wrote is one JSON object with a level, a time and a message.
    const parsed = logged.map((l) => {
      try {
        return JSON.parse(l) as LogLine;
      } catch {
        throw new Error(`not a JSON line: ${l.slice(0, 200)}`);
      }
    });
    for (const p of parsed) expect({ level: typeof p.level, time: typeof p.time, msg: typeof p.msg }).toEqual({ level: 'number', time: 'string', msg: 'string' });
    // Scanned as captured (every channel) and decoded (the JSON lines' strings as logged).
    expect(leaksIn(lines.map((l) => `${l}\n`), forbidden)).toEqual([]);
    expect(leaksIn(logged.map((l) => `${l}\n`), forbidden)).toEqual([]);

    // The scan is not vacuous: both processes logged, at debug level, through pino.
    expect(parsed.length).toBeGreaterThan(50);
    const info = (re: RegExp) => parsed.some((p) => p.level === 30 && re.test(p.msg));
    expect(info(/verified/)).toBe(true); // API
    expect(info(/planned across/)).toBe(true); // worker
    expect(parsed.some((p) => p.level === 40 && /\(sendgrid\)/.test(p.msg))).toBe(true); // vendor failure
    expect(info(/Sent "/)).toBe(true); // mail

    // One line per HTTP request: method, route pattern, status, duration, request id; never a URL.
    const http = parsed.filter((p) => typeof p.route === 'string' && typeof p.statusCode === 'number');
    const seen = new Set(http.map((p) => `${p.method} ${p.route} ${p.statusCode}`));
    for (const call of ['POST /v1/requests 202', 'POST /v1/requests/:id/verify 403', 'POST /v1/requests/:id/verify 200', 'GET /v1/admin/requests 401', 'GET /v1/admin/requests/:id 200']) {
      expect({ call, logged: seen.has(call) }).toEqual({ call, logged: true });
    }
    for (const p of http) {
      expect(typeof p.durationMs).toBe('number');
      expect(p.reqId).toMatch(/^[0-9a-f-]{36}$/);
    }
    expect(logged.filter((l) => /"url"|"headers"|"query"|token=|authorization|cookie|remoteAddress/i.test(l))).toEqual([]);

    // One line per job: queue, job name, request and task ids, system, outcome, duration.
    const jobs = parsed.filter((p) => typeof p.queue === 'string' && typeof p.job === 'string');
    const task = jobs.find((p) => p.queue === 'lane-auth0' && p.job === 'run-task' && p.outcome === 'found');
    expect(task).toMatchObject({ system: 'auth0', requestId: expect.stringMatching(/^[0-9a-f-]{36}$/), taskId: expect.stringMatching(/^[0-9a-f-]{36}$/), durationMs: expect.any(Number) });
    expect(jobs.find((p) => p.queue === 'requests' && p.job === 'plan')).toMatchObject({ requestId: task!.requestId, outcome: 'done', durationMs: expect.any(Number) });
    // SendGrid's 401 fails the access task; Amplitude's deletion job is followed until it is done.
    expect(jobs.some((p) => p.queue === 'lane-sendgrid' && p.job === 'run-task' && p.outcome === 'failed')).toBe(true);
    expect(jobs.some((p) => p.queue === 'lane-amplitude' && p.job === 'check-task' && p.outcome === 'erased')).toBe(true);
  }, 180_000);
});

describe('the real processes in production: stdout is JSON lines, with nothing to hide in them', () => {
  test('API and worker started as in production, a request verified (a wrong token first), a wrong officer key', async () => {
    const hh = await startHarness({ worker: false });
    const key = randomBytes(24).toString('base64url');
    const port = await freePort();
    const env = {
      ...hh.env,
      NODE_ENV: 'production',
      LOG_FORMAT: '',
      OFFICER_API_KEY: key,
      CONTROLLER_NAME: 'Log Scan Ltd',
      CONTROLLER_CONTACT: 'privacy@logscan.example',
      SUPERVISORY_AUTHORITY: 'The data protection authority',
      PORT: String(port),
    };
    let api: Proc | undefined;
    let worker: Proc | undefined;
    try {
      api = await startApiProcess(env);
      worker = await startWorkerProcess(env);
      const base = `http://127.0.0.1:${port}`;
      const email = uniqueEmail('prodlogs');
      const sent = await fetch(`${base}/v1/requests`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 'access', email }) });
      expect(sent.status).toBe(202);
      const mail = await hh.smtp.waitFor(email, (m) => /Confirm/.test(m.subject));
      const { id, token } = linkFrom(mail.text);
      const wrong = token.split('').reverse().join('');
      expect((await fetch(`${base}/v1/requests/${id}/verify?token=${wrong}`)).status).toBe(403);
      expect((await fetch(`${base}/v1/requests/${id}/verify?token=${token}`)).status).toBe(200);
      expect((await fetch(`${base}/v1/requests/${id}/verify`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }) })).status).toBe(200);
      const wrongKey = randomBytes(24).toString('base64url');
      expect((await fetch(`${base}/v1/admin/requests`, { headers: { authorization: `Bearer ${wrongKey}` } })).status).toBe(401);
      expect((await fetch(`${base}/v1/admin/requests/${id}`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(200);
      await waitFor(async () => linesOf(worker!.stdout).some((l) => l.includes('"job":"plan"')), 20_000, 'the plan job\'s line');

      api.child.kill('SIGTERM');
      worker.child.kill('SIGTERM');
      // The API re-raises the signal once closed (Nest's shutdown hooks); the worker exits 0.
      expect(await api.exited).toMatchObject({ signal: 'SIGTERM' });
      expect(await worker.exited).toMatchObject({ code: 0 });

      for (const [what, p] of [['API', api], ['worker', worker]] as const) {
        const out = linesOf(p.stdout);
        expect(out.length).toBeGreaterThan(5);
        const bad = out.filter((l) => {
          try {
            const o = JSON.parse(l) as LogLine;
            return typeof o.level !== 'number' || typeof o.msg !== 'string';
          } catch {
            return true;
          }
        });
        expect({ what, bad }).toEqual({ what, bad: [] });
        expect({ what, stderr: p.output.join('').length - p.stdout.join('').length }).toEqual({ what, stderr: 0 });
      }
      const apiLines = linesOf(api.stdout).map((l) => JSON.parse(l) as LogLine);
      expect(apiLines.some((l) => l.route === '/v1/requests/:id/verify' && l.method === 'GET' && l.statusCode === 403)).toBe(true);
      expect(apiLines.some((l) => l.route === '/v1/admin/requests' && l.statusCode === 401)).toBe(true);
      const workerLines = linesOf(worker.stdout).map((l) => JSON.parse(l) as LogLine);
      expect(workerLines.some((l) => l.queue === 'requests' && l.job === 'plan' && l.requestId === id)).toBe(true);

      expect(leaksIn([...api.output, ...worker.output], [
        ['e-mail address', email],
        ['e-mail local part', email.split('@')[0]!],
        ['verification token', token],
        ['wrong verification token', wrong],
        ['officer API key', key],
        ['wrong officer key', wrongKey],
      ])).toEqual([]);
    } finally {
      api?.child.kill('SIGKILL');
      worker?.child.kill('SIGKILL');
      await hh.stop();
    }
  }, 120_000);
});
