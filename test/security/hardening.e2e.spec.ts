// The ten defects found by attacking and faulting the service (issue "Nobody can hijack, stall or
// snoop a request…"), one describe block each, on the real API, worker, PostgreSQL, Redis and SMTP.
// Each test failed on the code before the fix; the comment at each says what it saw then.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import net from 'node:net';
import { createApi } from '../../src/bootstrap.js';
import { loadConfig } from '../../src/config/config.js';
import { createAccount } from '../../src/db/demo-data.js';
import { MaintenanceService } from '../../src/fulfilment/maintenance.service.js';
import { ReconcilerService } from '../../src/fulfilment/reconciler.service.js';
import { RetentionService } from '../../src/fulfilment/retention.service.js';
import { checkJobOptions, JOB, laneName } from '../../src/queues/queues.js';
import { completeOpenActions, get, officer, post, startHarness, submit, submitVerified, uniqueEmail, waitFor, waitForStatus, type Harness } from '../support/harness.js';
import { freePort, startRedis } from '../support/processes.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness({ env: { VERIFICATION_MAX_ATTEMPTS: '5', MAINTENANCE_INTERVAL_SECONDS: '3600' } });
});
afterAll(async () => {
  await h?.stop();
});

const detail = async (id: string) => (await get(h, `/v1/admin/requests/${id}`, officer(h))).body;
const settled = (id: string, statuses = ['completed']) =>
  waitFor(async () => {
    const d = await detail(id);
    return statuses.includes(d?.status) ? d : undefined;
  }, 30_000, `request ${id} to settle`);

describe('#1 nobody who merely knows an address can kill, stall or see that person\'s request', () => {
  // Before: the repeat answered with the open request's id and status; five wrong tokens rejected
  // it for good (the real link then answered 409); a repeat after the resend interval minted a new
  // token that killed the link the subject held.
  test('repeat answers identify nothing, wrong tokens only lock for a while, and the subject\'s link survives repeats', async () => {
    const email = uniqueEmail('victim');
    const first = await post(h, '/v1/requests', { type: 'erasure', email });
    const { id, token } = await submit(h, 'erasure', email);
    const repeat = await post(h, '/v1/requests', { type: 'erasure', email: email.toUpperCase() });
    expect(repeat.body).toEqual(first.body);
    expect(JSON.stringify(repeat.body)).not.toContain(id);
    // An attacker who got hold of the id anyway.
    for (let i = 0; i < 7; i++) await post(h, `/v1/requests/${id}/verify`, { token: `${'x'.repeat(40)}${i}aaa` });
    expect((await h.prisma.dsarRequest.findUniqueOrThrow({ where: { id } })).status).toBe('awaiting_verification');
    // Repeats after the resend interval add links; none invalidates the one the subject holds.
    await h.prisma.dsarRequest.update({ where: { id }, data: { verificationSentAt: new Date(Date.now() - 3_600_000), verificationLockedUntil: null } });
    await post(h, '/v1/requests', { type: 'erasure', email });
    await waitFor(async () => h.smtp.to(email).length === 2, 10_000, 'second link');
    expect((await post(h, `/v1/requests/${id}/verify`, { token })).status).toBe(200);
  });
});

describe('#2 the service keeps no personal data longer than it must', () => {
  // Before: after an access request and then an erasure, dsar_tasks.result still held the whole
  // access report, every request kept the e-mail and identifiers, and nothing ever purged them.
  test('access answers are not kept once delivered; an erasure clears earlier requests; retention blanks addresses', async () => {
    const email = uniqueEmail('minimal');
    const { userId } = await createAccount(h.prisma, { email, firstName: 'Margaret', lastName: 'Hamilton', phoneNumber: '+1 617 555 0142' });
    const access = await submitVerified(h, 'access', email);
    // No processor is connected in this harness: officers finish them by hand, then it completes.
    await waitForStatus(h, access, ['awaiting_action']);
    await completeOpenActions(h, access);
    await settled(access);
    await h.smtp.waitFor(email, (m) => m.subject === 'Your personal data: access report');
    const personal = ['Margaret', 'Hamilton', '+1 617 555 0142', '12 Analytical Row', '203.0.113.7', 'PAY-'];
    const stored = async (requestId: string) =>
      JSON.stringify([await h.prisma.dsarTask.findMany({ where: { requestId } }), await h.prisma.auditEvent.findMany({ where: { requestId } })], (_k, v) => (typeof v === 'bigint' ? String(v) : v));
    for (const p of personal) expect(await stored(access)).not.toContain(p);

    const erasure = await submitVerified(h, 'erasure', email);
    await waitForStatus(h, erasure, ['awaiting_action']);
    await completeOpenActions(h, erasure);
    await settled(erasure);
    const earlier = await h.prisma.dsarRequest.findUniqueOrThrow({ where: { id: access } });
    expect(earlier.subjectIdentifiers).toBeNull();
    expect(await stored(access)).not.toContain(userId);
    // Audit events never hold the address.
    expect(JSON.stringify(await h.prisma.auditEvent.findMany({ where: { requestId: { in: [access, erasure] } } }), (_k, v) => (typeof v === 'bigint' ? String(v) : v))).not.toContain(email);

    // DSR_RETENTION_DAYS (default 3 years) after closing, the address and identifiers go.
    const later = new Date(Date.now() + 1096 * 86_400_000);
    await h.worker!.get(RetentionService).sweep(later);
    for (const id of [access, erasure]) {
      const r = await h.prisma.dsarRequest.findUniqueOrThrow({ where: { id } });
      expect(r).toMatchObject({ email: null, subjectIdentifiers: null });
      expect(r.redactedAt).not.toBeNull();
      expect(await stored(id)).not.toContain(email);
    }
  });
});

describe('#3 the per-client limit counts absolute-form request targets', () => {
  // Before: `POST http://host/v1/requests HTTP/1.1` was classified from req.originalUrl, matched no
  // route class and was never counted: 14 of 14 accepted at a limit of 10 per minute.
  let hh: Harness;
  beforeAll(async () => {
    hh = await startHarness({ worker: false, env: { RATE_LIMIT_INTAKE_PER_MINUTE: '3' } });
  });
  afterAll(async () => {
    await hh?.stop();
  });

  test('the 4th absolute-form submission within a minute is refused with 429', async () => {
    const { port } = new URL(hh.baseUrl);
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const body = JSON.stringify({ type: 'access', email: uniqueEmail('abs') });
      const raw = await new Promise<string>((resolve, reject) => {
        const s = net.connect(Number(port), '127.0.0.1', () => {
          s.write(`POST http://dsar.test.local/v1/requests HTTP/1.1\r\nHost: dsar.test.local\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
        });
        let out = '';
        s.on('data', (d) => (out += d.toString()));
        s.on('end', () => resolve(out));
        s.on('error', reject);
      });
      statuses.push(Number(/^HTTP\/1\.1 (\d{3})/.exec(raw)?.[1]));
    }
    expect(statuses).toEqual([202, 202, 202, 429, 429]);
  });
});

describe('#4 exactly one result e-mail per completion round, however slow SMTP is', () => {
  // Before: the reconciler added a second finalize job while the first was still sending, and the
  // finalizer sent before it claimed anything: two full access reports arrived 46 s apart.
  test('while the result e-mail is being sent slowly, extra finalize jobs send nothing', async () => {
    const email = uniqueEmail('slowsmtp2');
    const { id, token } = await submit(h, 'access', email);
    h.smtp.delayMs = 4000;
    try {
      expect((await post(h, `/v1/requests/${id}/verify`, { token })).status).toBe(200);
      await waitFor(async () => (await h.prisma.outboundMail.count({ where: { requestId: id, status: 'sending' } })) === 1, 20_000, 'result mail in flight');
      const { EnqueueService } = await import('../../src/queues/enqueue.service.js');
      const enqueue = h.worker!.get(EnqueueService);
      const r = await h.prisma.dsarRequest.findUniqueOrThrow({ where: { id } });
      for (let i = 0; i < 3; i++) await enqueue.finalize(id, r.round, `-dup${i}`);
      await h.worker!.get(ReconcilerService).reconcile(0);
    } finally {
      h.smtp.delayMs = 0;
    }
    await settled(id, ['awaiting_action']).catch(async (err) => {
      console.log(JSON.stringify({ d: await detail(id), mails: await h.prisma.outboundMail.findMany({ where: { requestId: id } }) }, null, 1));
      throw err;
    });
    await new Promise((r) => setTimeout(r, 5000));
    expect(h.smtp.to(email).filter((m) => m.subject === 'Your personal data: access report')).toHaveLength(1);
    expect(await h.prisma.outboundMail.findMany({ where: { requestId: id }, select: { status: true, attempts: true } })).toEqual([{ status: 'sent', attempts: 1 }]);
  });
});

describe('#5 a verification e-mail that could not be sent is sent later', () => {
  // Before: verification_sent_at was set before sending and the reconciler looked only for NULL,
  // so a link whose every send failed was never sent; the request sat awaiting verification.
  test('nothing counts as sent until the mail server accepted it; the reconciler sends it once SMTP is back', async () => {
    const email = uniqueEmail('smtpdown');
    h.smtp.failing = true;
    let id: string;
    try {
      await post(h, '/v1/requests', { type: 'access', email });
      const row = await waitFor(() => h.prisma.dsarRequest.findFirst({ where: { email } }), 10_000, 'request row');
      id = row.id;
      await new Promise((r) => setTimeout(r, 1500)); // at least one failed send
      const r = await h.prisma.dsarRequest.findUniqueOrThrow({ where: { id } });
      expect(r.verificationSentAt).toBeNull();
      // A link nobody received is not left usable.
      expect(await h.prisma.verificationToken.count({ where: { requestId: id } })).toBe(0);
    } finally {
      h.smtp.failing = false;
    }
    await h.worker!.get(ReconcilerService).reconcile(0);
    const mail = await h.smtp.waitFor(email, (m) => /Confirm/.test(m.subject), 20_000);
    expect(mail.text).toContain(`/v1/requests/${id}/verify?token=`);
    await waitFor(async () => (await h.prisma.dsarRequest.findUniqueOrThrow({ where: { id } })).verificationSentAt !== null, 10_000, 'sent time recorded');
  });
});

describe('#6 unverified requests expire by themselves', () => {
  // Before: an unverified request stayed open forever unless the subject came back; officers saw
  // every such request as overdue (anyone could fill their list).
  test('maintenance expires a request whose links have all expired, blanks its address, and no officer sees it as overdue', async () => {
    const email = uniqueEmail('abandoned');
    const { id } = await submit(h, 'access', email);
    await h.prisma.verificationToken.updateMany({ where: { requestId: id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    await h.prisma.dsarRequest.update({ where: { id }, data: { receivedAt: new Date(Date.now() - 40 * 86_400_000), dueAt: new Date(Date.now() - 9 * 86_400_000) } });
    await h.worker!.get(MaintenanceService).run();
    expect(await h.prisma.dsarRequest.findUniqueOrThrow({ where: { id } })).toMatchObject({ status: 'expired', email: null, openKey: null });
    const overdue = await get(h, '/v1/admin/requests?overdue=true&pageSize=200', officer(h));
    expect(overdue.body.items.map((i: { id: string }) => i.id)).not.toContain(id);
  });
});

describe('#7 intake answers within a second while Redis is down', () => {
  // Before: the row was stored but POST /v1/requests did not answer (150 s seen): the producer
  // connection queued commands forever.
  test('202 at once; the link goes out once Redis is back', async () => {
    const port = await freePort();
    let redis = await startRedis(port);
    const hh = await startHarness({ worker: false, env: { REDIS_URL: `redis://127.0.0.1:${port}`, RECONCILE_GRACE_SECONDS: '0' } });
    try {
      redis.child.kill('SIGKILL');
      await redis.exited;
      const email = uniqueEmail('redisdown');
      const started = Date.now();
      const res = await post(hh, '/v1/requests', { type: 'access', email });
      expect(res.status).toBe(202);
      expect(Date.now() - started).toBeLessThan(1000);
      expect(await hh.prisma.dsarRequest.count({ where: { email } })).toBe(1);
      redis = await startRedis(port);
      await hh.startWorker(); // reconciles at start
      await hh.smtp.waitFor(email, (m) => /Confirm/.test(m.subject), 20_000);
    } finally {
      await hh.stop();
      redis.child.kill('SIGKILL');
    }
  });
});

describe('#8 a failed vendor-job check never stalls a task', () => {
  // Before: check jobs had a fixed id and one attempt; a failed one stayed in the failed set for
  // 14 days and every re-add with its id was ignored: the task stayed waiting, never finalized.
  test('after a check job fails, the next maintenance pass checks again and the request ends', async () => {
    const email = uniqueEmail('stuckcheck');
    const hh = await startHarness({
      env: { VENDOR_JOB_POLL_SECONDS: '1', VENDOR_JOB_MAX_WAIT_SECONDS: '3', MAINTENANCE_INTERVAL_SECONDS: '3600' },
    });
    try {
      const id = await submitVerified(hh, 'erasure', email);
      // A waiting task, as an asynchronous vendor deletion leaves it.
      await waitFor(async () => (await hh.prisma.dsarRequest.findUniqueOrThrow({ where: { id } })).status === 'awaiting_action', 20_000, 'request answered');
      const task = await hh.prisma.dsarTask.findFirstOrThrow({ where: { requestId: id, system: 'product-db' } });
      const due = new Date(Date.now() - 1000);
      await hh.prisma.dsarTask.update({
        where: { id: task.id },
        data: { status: 'waiting', outcome: 'scheduled', waitingSince: new Date(Date.now() - 10_000), nextCheckAt: due, result: { outcome: 'scheduled', actions: [], retained: [], vendorJob: { id: 'job-1' } } },
      });
      await hh.prisma.dsarRequest.update({ where: { id }, data: { status: 'in_progress', completedAt: null } });
      await hh.prisma.officerAction.updateMany({ where: { requestId: id }, data: { status: 'done' } });
      // The check job for that due time fails (bad payload), as a database hiccup would make it.
      const lane = new Queue(laneName('product-db'), { connection: { url: hh.config.redisUrl }, prefix: hh.config.queuePrefix });
      await lane.add(JOB.checkTask, { taskId: 'not-a-task-id' }, { ...checkJobOptions(), jobId: `check-${task.id}-t${due.getTime()}` });
      await new Promise((r) => setTimeout(r, 1500));
      await lane.close();
      await hh.worker!.get(MaintenanceService).run();
      const done = await waitFor(async () => {
        const t = await hh.prisma.dsarTask.findUniqueOrThrow({ where: { id: task.id } });
        return t.status === 'done' ? t : undefined;
      }, 20_000, 'task checked again and ended');
      expect(done.outcome).toBe('scheduled');
    } finally {
      await hh.stop();
    }
  });
});

describe('#9 no personal data in Redis', () => {
  // Before: an SMTP rejection naming the address was stored in the failed job's failedReason and
  // stacktrace, for 14 days.
  test('a mail server refusal that quotes the address leaves no trace of it in Redis', async () => {
    const email = uniqueEmail('rejected');
    h.smtp.rejectRecipients = true;
    try {
      await post(h, '/v1/requests', { type: 'access', email });
      await new Promise((r) => setTimeout(r, 2500)); // at least one failed attempt recorded
    } finally {
      h.smtp.rejectRecipients = false;
    }
    const redis = new Redis(h.config.redisUrl);
    try {
      const keys = await redis.keys(`${h.config.queuePrefix}:*`);
      expect(keys.length).toBeGreaterThan(0);
      let failedSeen = 0;
      for (const key of keys) {
        const type = await redis.type(key);
        const content =
          type === 'hash' ? JSON.stringify(await redis.hgetall(key))
          : type === 'string' ? String(await redis.get(key))
          : type === 'list' ? JSON.stringify(await redis.lrange(key, 0, -1))
          : type === 'zset' ? JSON.stringify(await redis.zrange(key, '0', '-1'))
          : type === 'set' ? JSON.stringify(await redis.smembers(key))
          : type === 'stream' ? JSON.stringify(await redis.xrange(key, '-', '+'))
          : '';
        if (/Recipient address rejected/.test(content)) failedSeen++;
        expect(content.toLowerCase()).not.toContain(email.toLowerCase());
      }
      expect(failedSeen).toBeGreaterThan(0); // the refusal itself was recorded, scrubbed
    } finally {
      redis.disconnect();
    }
  });
});

describe('#10 officer keys', () => {
  // Before: a changed OFFICER_API_KEY left the old key valid; npm start and docker-compose.yml
  // shipped known keys; /v1/admin had no limit on failed attempts.
  test('replacing the bootstrap key at start revokes the previous one', async () => {
    const boot = async (key: string) => {
      const api = await createApi(loadConfig({ ...h.env, OFFICER_API_KEY: key }));
      await api.init();
      await api.close();
    };
    const as = (key: string) => get(h, '/v1/admin/requests', { authorization: `Bearer ${key}` });
    const first = `first-bootstrap-${'k'.repeat(20)}${Date.now()}`;
    const second = `second-bootstrap-${'k'.repeat(20)}${Date.now()}`;
    await boot(first);
    expect((await as(first)).status).toBe(200);
    await boot(first); // a restart with the same setting changes nothing
    expect((await as(first)).status).toBe(200);
    await boot(second);
    expect((await as(first)).status).toBe(401);
    expect((await as(second)).status).toBe(200);
    // Keys issued by officers are not bootstrap keys: untouched.
    expect((await get(h, '/v1/admin/requests', officer(h))).status).toBe(200);
  });

  test('published or placeholder keys are refused outside development', () => {
    const PRODUCTION = { NODE_ENV: 'production', CONTROLLER_NAME: 'Example Ltd', CONTROLLER_CONTACT: 'privacy@example.com', SUPERVISORY_AUTHORITY: 'The authority' };
    for (const key of ['local-dev-officer-key-change-me', 'change-me-officer-key-0123456789', 'change-me-to-a-long-random-string', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaa']) {
      expect(() => loadConfig({ ...PRODUCTION, OFFICER_API_KEY: key })).toThrow(/OFFICER_API_KEY is a published or placeholder key/);
      expect(() => loadConfig({ NODE_ENV: 'development', OFFICER_API_KEY: key })).not.toThrow();
    }
    expect(() => loadConfig({ ...PRODUCTION, OFFICER_API_KEY: 'Zq3rT8vW1xY4bN6mK0pL2sD5fG7hJ9aC' })).not.toThrow();
  });

  test('failed authentications are limited per client: 429 with Retry-After, even for a right key', async () => {
    const hh = await startHarness({ worker: false, env: { RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '3', TRUST_PROXY: 'true' } });
    try {
      const as = (client: string, key: string) => fetch(`${hh.baseUrl}/v1/admin/requests`, { headers: { authorization: `Bearer ${key}`, 'x-forwarded-for': client } });
      for (let i = 0; i < 3; i++) expect((await as('198.51.100.77', `wrong-key-${'x'.repeat(20)}-${i}`)).status).toBe(401);
      const refused = await as('198.51.100.77', hh.officerKey);
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      // Another client is not affected.
      expect((await as('198.51.100.78', hh.officerKey)).status).toBe(200);
    } finally {
      await hh.stop();
    }
  });
});
