import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createAccount } from '../../src/db/demo-data.js';
import { get, officer, post, startHarness, submit, uniqueEmail, waitFor, type Harness } from '../support/harness.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.stop();
});

async function submitAndVerify(type: 'access' | 'erasure', email: string): Promise<string> {
  const { id, token } = await submit(h, type, email);
  const mail = await h.smtp.waitFor(email, (m) => /Confirm your/.test(m.subject));
  expect(mail.text).toContain(`http://dsar.test.local/v1/requests/${id}/verify?token=`);
  const verified = await post(h, `/v1/requests/${id}/verify`, { token });
  expect(verified.status).toBe(200);
  expect(verified.body.status).toBe('verified');
  return id;
}

describe('access request, end to end', () => {
  test('the subject receives a report of their stored fields with source, purpose and recipients', async () => {
    const email = uniqueEmail('access');
    const { userId } = await createAccount(h.prisma, {
      email,
      firstName: 'Katherine',
      lastName: 'Johnson',
      phoneNumber: '+1 757 555 0199',
      businessRole: 'Analyst',
      businessType: 'Research',
      plan: 'Business',
    });
    const id = await submitAndVerify('access', email);

    const report = await h.smtp.waitFor(email, (m) => m.subject === 'Your personal data: access report');
    // Readable part: values with their provenance.
    expect(report.text).toContain('Katherine Johnson');
    expect(report.text).toContain('+1 757 555 0199');
    expect(report.text).toContain(userId);
    expect(report.text).toContain('12 Analytical Row');
    expect(report.text).toMatch(/== Phone number[\s\S]*Source: You, when signing up[\s\S]*Who receives it: Intercom, Pardot/);
    expect(report.html).toContain('<h2>Billing address</h2>');
    // Portable copy.
    const json = report.attachments.find((a) => a.filename === 'access-report.json');
    expect(json?.contentType).toBe('application/json');
    const data = JSON.parse(json!.content.toString('utf8'));
    expect(data.requestId).toBe(id);
    const phone = data.items.find((i: { key: string }) => i.key === 'phone_number');
    expect(phone.values).toEqual([{ system: 'Product account database', value: '+1 757 555 0199', where: 'account profile' }]);
    expect(phone.purposes).toContain('Account recovery and verification');
    expect(data.items.find((i: { key: string }) => i.key === 'user_role').values[0].value).toMatch(/Project manager/);
    expect(data.items.find((i: { key: string }) => i.key === 'ip_address').values.length).toBe(2);

    const detail = await waitFor(async () => {
      const r = await get(h, `/v1/admin/requests/${id}`, officer(h));
      return r.body?.status === 'completed' ? r : undefined;
    }, 20_000, 'request completed');
    expect(detail.body.tasks.every((t: { status: string }) => ['done', 'skipped'].includes(t.status))).toBe(true);
    expect(detail.body.tasks.find((t: { system: string }) => t.system === 'product-db')).toMatchObject({ status: 'done', outcome: 'found', attempts: 1 });
    expect(detail.body.audit.map((e: { action: string }) => e.action)).toEqual(
      expect.arrayContaining(['received', 'verified', 'planned', 'task_ended', 'completed']),
    );
  });

  test('an address the product does not know gets the same answers and a report saying nothing is held', async () => {
    const email = uniqueEmail('unknown');
    const id = await submitAndVerify('access', email);
    const report = await h.smtp.waitFor(email, (m) => m.subject === 'Your personal data: access report');
    expect(report.text).toContain('We found no personal data about you in our own systems.');
    const data = JSON.parse(report.attachments[0]!.content.toString('utf8'));
    expect(data.items.every((i: { values: unknown[] }) => i.values.length === 0)).toBe(true);
    expect(data.systems.find((s: { key: string }) => s.key === 'product-db').outcome).toBe('not_found');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('erasure request, end to end', () => {
  test('erases the account, anonymises authorship, keeps invoices with the reason, and confirms per system', async () => {
    const email = uniqueEmail('erase');
    const { accountId, projectId } = await createAccount(h.prisma, { email, firstName: 'Hedy', lastName: 'Lamarr' });
    const id = await submitAndVerify('erasure', email);

    const confirmation = await h.smtp.waitFor(email, (m) => /erasure request/.test(m.subject) && !/Confirm/.test(m.subject));
    expect(confirmation.subject).toBe('Your erasure request is complete');
    expect(confirmation.text).toMatch(/Product account database: Erased \(.*account profile: 1 deleted/);
    expect(confirmation.text).toMatch(/Product account database: Erased \(.*\), except what we must keep/);
    expect(confirmation.text).toMatch(/Kept: invoice number and date, billing name, billing address, payer ID, subscription plan, amount and currency \(2 record\(s\)\)\. .*legal obligation .*Kept until the end of the statutory retention period/);
    expect(confirmation.text).toMatch(/Kept: the text of 1 content item\(s\) and 1 comment\(s\) you wrote, now without your name/);

    // Nothing personal about the subject is left in the account store.
    expect(await h.prisma.account.count({ where: { email } })).toBe(0);
    expect(await h.prisma.billingProfile.count({ where: { accountId } })).toBe(0);
    expect(await h.prisma.activityEvent.count({ where: { accountId } })).toBe(0);
    expect(await h.prisma.projectMembership.count({ where: { accountId } })).toBe(0);
    expect(await h.prisma.invitation.count({ where: { inviterId: accountId } })).toBe(0);
    // Other people's content stays; the subject's content stays, without its author.
    const content = await h.prisma.contentItem.findMany({ where: { projectId } });
    expect(content).toHaveLength(1);
    expect(content[0]!.authorId).toBeNull();
    const comments = await h.prisma.comment.findMany({ where: { contentItemId: content[0]!.id }, orderBy: { createdAt: 'asc' } });
    expect(comments).toHaveLength(2);
    expect(comments.filter((c) => c.authorId === null)).toHaveLength(1);
    // Invoices are retained, unlinked from the (deleted) account.
    const invoices = await h.prisma.invoice.findMany({ where: { billingName: 'Hedy Lamarr' } });
    expect(invoices).toHaveLength(2);
    expect(invoices.every((i) => i.accountId === null)).toBe(true);

    const detail = await waitFor(async () => {
      const r = await get(h, `/v1/admin/requests/${id}`, officer(h));
      return r.body?.status === 'completed' ? r : undefined;
    }, 20_000, 'request completed');
    const task = detail.body.tasks.find((t: { system: string }) => t.system === 'product-db');
    expect(task).toMatchObject({ status: 'done', outcome: 'retained' });
    expect(task.result.retained.map((r: { item: string; count: number }) => [r.item, r.count])).toEqual([['content', 2], ['address', 2]]);
    // The product user id was resolved before the account was erased (the plan says so), and is
    // not kept once the erasure has completed.
    const planned = await h.prisma.auditEvent.findFirstOrThrow({ where: { requestId: id, action: 'planned' } });
    expect(planned.details).toMatchObject({ productAccount: true });
    const stored = await h.prisma.dsarRequest.findUniqueOrThrow({ where: { id } });
    expect(stored.subjectIdentifiers).toBeNull();
    // The slot is free again: a new erasure request for the same address is a new request.
    const again = await submit(h, 'erasure', email);
    expect(again.id).not.toBe(id);
  });
});
