// The committed migration SQL matches prisma/schema.prisma: the generated client writes and reads
// back every field of every model against a freshly migrated database, and every table has exactly
// the columns the client knows about.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { applyMigrations } from '../../src/db/migrations.js';
import { Prisma, type PrismaClient } from '../../src/generated/prisma/client.js';
import { migratedTestDb } from '../support/harness.js';
import { TEST_DATABASE_URL } from '../support/env.js';

let prisma: PrismaClient;
let db: pg.Client;

beforeAll(async () => {
  prisma = await migratedTestDb();
  db = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await db.connect();
});
afterAll(async () => {
  await prisma.$disconnect();
  await db.end();
});

async function columns(table: string): Promise<number> {
  const { rows } = await db.query(
    "SELECT count(*)::int AS n FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1",
    [table],
  );
  return rows[0].n;
}

const at = (s: string) => new Date(s);

describe('schema and migrations agree', () => {
  test('migrating again is a no-op (idempotent) and recorded as Prisma records it', async () => {
    const dir = fileURLToPath(new URL('../../prisma/migrations', import.meta.url));
    const again = await applyMigrations(TEST_DATABASE_URL, dir);
    expect(again.applied).toEqual([]);
    expect(again.skipped.length).toBeGreaterThanOrEqual(2);
    const { rows } = await db.query('SELECT migration_name, checksum, finished_at, applied_steps_count FROM _prisma_migrations ORDER BY migration_name');
    expect(rows.map((r) => r.migration_name)).toEqual(again.skipped);
    for (const r of rows) {
      expect(r.checksum).toMatch(/^[0-9a-f]{64}$/);
      expect(r.finished_at).not.toBeNull();
      expect(r.applied_steps_count).toBe(1);
    }
  });

  test('every model round-trips every field, and tables have no columns the schema lacks', async () => {
    const tag = randomUUID().slice(0, 8);
    const account = {
      id: randomUUID(), userId: `u-${tag}`, email: `rt-${tag}@example.com`, firstName: 'F', lastName: 'L', phoneNumber: '+1',
      businessRole: 'R', businessType: 'T', subscriptionPlan: 'P', createdAt: at('2026-01-02T03:04:05.678Z'), updatedAt: at('2026-01-02T03:04:05.678Z'),
    };
    const billing = { id: randomUUID(), accountId: account.id, payerId: `p-${tag}`, billingName: 'B', addressLine1: 'A1', addressLine2: 'A2', city: 'C', postalCode: 'PC', country: 'GB', createdAt: at('2026-01-03T00:00:00.000Z') };
    const invoice = { id: randomUUID(), accountId: account.id, number: `n-${tag}`, payerId: billing.payerId, billingName: 'B', billingAddress: 'addr', plan: 'P', amountCents: 1234, currency: 'EUR', issuedAt: at('2026-02-01T00:00:00.000Z'), retainedForKey: 'k'.repeat(64), retainedSince: at('2026-02-02T00:00:00.000Z') };
    const project = { id: randomUUID(), name: 'Proj', createdAt: at('2026-01-04T00:00:00.000Z') };
    const membership = { id: randomUUID(), accountId: account.id, projectId: project.id, role: 'Owner', createdAt: at('2026-01-05T00:00:00.000Z') };
    const item = { id: randomUUID(), projectId: project.id, authorId: account.id, title: 'T', body: 'B', createdAt: at('2026-01-06T00:00:00.000Z'), updatedAt: at('2026-01-06T00:00:00.000Z') };
    const comment = { id: randomUUID(), contentItemId: item.id, authorId: account.id, body: 'c', createdAt: at('2026-01-07T00:00:00.000Z') };
    const invitation = { id: randomUUID(), projectId: project.id, inviterId: account.id, inviteeEmail: 'i@example.com', inviteeName: 'I', createdAt: at('2026-01-08T00:00:00.000Z'), acceptedAt: at('2026-01-09T00:00:00.000Z') };
    const request = {
      id: randomUUID(), type: 'erasure' as const, status: 'in_progress' as const, email: 'rt@example.com', openKey: `erasure:rt-${tag}`,
      receivedAt: at('2026-01-10T00:00:00.000Z'), dueAt: at('2026-04-10T00:00:00.000Z'),
      verificationSentAt: at('2026-01-10T00:00:01.000Z'), verificationAttempts: 2, verificationLockedUntil: at('2026-01-10T00:15:00.000Z'),
      verifiedAt: at('2026-01-10T00:10:00.000Z'), channel: 'officer', identityCheck: 'passport seen by the DPO', originalDueAt: at('2026-02-10T00:00:00.000Z'),
      extendedAt: at('2026-01-20T00:00:00.000Z'), extensionReason: 'complex', deniedReason: null, deniedNote: null, redactedAt: null,
      subjectIdentifiers: { email: 'rt@example.com', userId: 'u' }, round: 3,
      completedAt: at('2026-01-12T00:00:00.000Z'), resultSentAt: at('2026-01-12T00:00:00.000Z'), updatedAt: at('2026-01-12T00:00:00.000Z'),
    };
    const task = {
      id: randomUUID(), requestId: request.id, system: 'product-db', status: 'failed' as const, outcome: 'failed', attempts: 4, lastError: 'transient: x',
      failureKind: 'transient', autoRetries: 2, waitingSince: at('2026-01-10T01:30:00.000Z'), checks: 3, nextCheckAt: at('2026-01-10T03:00:00.000Z'),
      refs: { ids: ['a', 'b'] }, result: { outcome: 'erased', n: 1 }, nextRetryAt: at('2026-01-13T00:00:00.000Z'), claimToken: randomUUID(),
      leaseUntil: at('2026-01-10T02:00:30.000Z'), startedAt: at('2026-01-10T01:00:00.000Z'),
      finishedAt: at('2026-01-10T02:00:00.000Z'), createdAt: at('2026-01-10T00:30:00.000Z'), updatedAt: at('2026-01-10T02:00:00.000Z'),
    };
    const key = { id: randomUUID(), name: 'k', keyHash: `kh-${tag}`, createdAt: at('2026-01-01T00:00:00.000Z'), revokedAt: at('2026-01-02T00:00:00.000Z'), lastUsedAt: at('2026-01-01T12:00:00.000Z'), bootstrap: true };
    const vtoken = { id: randomUUID(), requestId: request.id, tokenHash: `vt-${tag}`, createdAt: at('2026-01-10T00:00:00.000Z'), expiresAt: at('2026-01-11T00:00:00.000Z'), sentAt: at('2026-01-10T00:00:01.000Z'), usedAt: at('2026-01-10T00:10:00.000Z') };
    const action = {
      id: randomUUID(), requestId: request.id, taskId: task.id, system: 'pardot', kind: 'pardot_permanent_delete', status: 'done', instructions: 'Empty the recycle bin',
      dueAt: at('2026-02-10T00:00:00.000Z'), outcomeWhenDone: 'erased', createdAt: at('2026-01-10T02:00:00.000Z'), completedAt: at('2026-01-11T00:00:00.000Z'), completedBy: 'k', note: 'done',
    };
    const mail = { id: randomUUID(), requestId: request.id, kind: 'result', dedupeKey: `result:${request.id}:3`, status: 'sent', attempts: 1, lastError: null, createdAt: at('2026-01-12T00:00:00.000Z'), claimedAt: at('2026-01-12T00:00:01.000Z'), sentAt: at('2026-01-12T00:00:02.000Z') };
    const report = { id: randomUUID(), requestId: request.id, subjectKey: 's'.repeat(64), content: { version: 2 }, createdAt: at('2026-01-12T00:00:00.000Z'), expiresAt: at('2026-01-19T00:00:00.000Z'), deletedAt: null, downloads: 2 };
    const link = { id: randomUUID(), reportId: report.id, tokenHash: `rl-${tag}`, requestId: request.id, createdAt: at('2026-01-12T00:00:00.000Z') };
    const session = { id: randomUUID(), tokenHash: `os-${tag}`, keyId: key.id, csrfToken: 'c'.repeat(43), createdAt: at('2026-01-01T01:00:00.000Z'), expiresAt: at('2026-01-01T09:00:00.000Z'), endedAt: at('2026-01-01T02:00:00.000Z') };

    const cases: [string, () => Promise<unknown>, () => Promise<unknown>, unknown][] = [
      ['accounts', () => prisma.account.create({ data: account }), () => prisma.account.findUnique({ where: { id: account.id } }), account],
      ['billing_profiles', () => prisma.billingProfile.create({ data: billing }), () => prisma.billingProfile.findUnique({ where: { id: billing.id } }), billing],
      ['invoices', () => prisma.invoice.create({ data: invoice }), () => prisma.invoice.findUnique({ where: { id: invoice.id } }), invoice],
      ['projects', () => prisma.project.create({ data: project }), () => prisma.project.findUnique({ where: { id: project.id } }), project],
      ['project_memberships', () => prisma.projectMembership.create({ data: membership }), () => prisma.projectMembership.findUnique({ where: { id: membership.id } }), membership],
      ['content_items', () => prisma.contentItem.create({ data: item }), () => prisma.contentItem.findUnique({ where: { id: item.id } }), item],
      ['comments', () => prisma.comment.create({ data: comment }), () => prisma.comment.findUnique({ where: { id: comment.id } }), comment],
      ['invitations', () => prisma.invitation.create({ data: invitation }), () => prisma.invitation.findUnique({ where: { id: invitation.id } }), invitation],
      ['dsar_requests', () => prisma.dsarRequest.create({ data: request }), () => prisma.dsarRequest.findUnique({ where: { id: request.id } }), request],
      ['dsar_tasks', () => prisma.dsarTask.create({ data: task }), () => prisma.dsarTask.findUnique({ where: { id: task.id } }), task],
      ['officer_api_keys', () => prisma.officerApiKey.create({ data: key }), () => prisma.officerApiKey.findUnique({ where: { id: key.id } }), key],
      ['verification_tokens', () => prisma.verificationToken.create({ data: vtoken }), () => prisma.verificationToken.findUnique({ where: { id: vtoken.id } }), vtoken],
      ['officer_actions', () => prisma.officerAction.create({ data: action }), () => prisma.officerAction.findUnique({ where: { id: action.id } }), action],
      ['outbound_mails', () => prisma.outboundMail.create({ data: mail }), () => prisma.outboundMail.findUnique({ where: { id: mail.id } }), mail],
      ['access_reports', () => prisma.accessReport.create({ data: report }), () => prisma.accessReport.findUnique({ where: { id: report.id } }), report],
      ['report_links', () => prisma.reportLink.create({ data: link }), () => prisma.reportLink.findUnique({ where: { id: link.id } }), link],
      ['officer_sessions', () => prisma.officerSession.create({ data: session }), () => prisma.officerSession.findUnique({ where: { id: session.id } }), session],
    ];
    for (const [table, create, read, expected] of cases) {
      await create();
      const row = (await read()) as Record<string, unknown>;
      const exp = expected as Record<string, unknown>;
      // @updatedAt fields are set by the client on write; everything else must come back as written.
      const { updatedAt: _u, ...rest } = row;
      const { updatedAt: _e, ...expRest } = exp;
      expect({ table, ...rest }).toEqual({ table, ...expRest });
      expect(await columns(table)).toBe(Object.keys(row).length);
    }

    const event = await prisma.activityEvent.create({
      data: { accountId: account.id, type: 't', occurredAt: at('2026-01-14T00:00:00.000Z'), ipAddress: '198.51.100.1', browser: 'b', os: 'o', deviceType: 'd', geoCountry: 'GB', geoCity: 'L' },
    });
    expect(typeof event.id).toBe('bigint');
    expect(await prisma.activityEvent.findUnique({ where: { id: event.id } })).toEqual(event);
    expect(await columns('activity_events')).toBe(Object.keys(event).length);

    const ev = await prisma.auditEvent.create({ data: { requestId: request.id, taskId: task.id, actor: 'system', action: 'x', fromStatus: 'a', toStatus: 'b', details: { k: 1 }, createdAt: at('2026-01-15T00:00:00.000Z') } });
    expect(await prisma.auditEvent.findUnique({ where: { id: ev.id } })).toEqual(ev);
    expect(await columns('audit_events')).toBe(Object.keys(ev).length);

    // Every table the schema maps is covered above.
    const { rows } = await db.query("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> '_prisma_migrations' ORDER BY 1");
    expect(rows.map((r) => r.table_name)).toEqual(
      [...cases.map((c) => c[0]), 'activity_events', 'audit_events'].sort(),
    );
    expect(Object.keys(Prisma.ModelName)).toHaveLength(19);
  });

  test('the audit trail refuses updates and deletes', async () => {
    const ev = await prisma.auditEvent.create({ data: { actor: 'system', action: 'probe' } });
    await expect(prisma.auditEvent.update({ where: { id: ev.id }, data: { action: 'changed' } })).rejects.toThrow(/append-only/);
    await expect(prisma.auditEvent.delete({ where: { id: ev.id } })).rejects.toThrow(/append-only/);
    expect((await prisma.auditEvent.findUnique({ where: { id: ev.id } }))?.action).toBe('probe');
  });

  test('one open request per type and address, enforced by the database', async () => {
    const openKey = `access:dup-${randomUUID()}@example.com`;
    const base = { type: 'access' as const, email: 'dup@example.com', dueAt: new Date(), openKey };
    await prisma.dsarRequest.create({ data: base });
    await expect(prisma.dsarRequest.create({ data: base })).rejects.toMatchObject({ code: 'P2002' });
  });
});
