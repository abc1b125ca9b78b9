import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createAccount } from '../../src/db/demo-data.js';
import { RetentionService } from '../../src/fulfilment/retention.service.js';
import { completeOpenActions, get, officer, post, startHarness, submit, uniqueEmail, waitFor, waitForStatus, type Harness } from '../support/harness.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.stop();
});

async function submitAndVerify(type: 'access' | 'erasure', email: string): Promise<string> {
  const { id, token } = await submit(h, type, email);
  const mail = await h.smtp.waitFor(email, (m) => /Confirm your/.test(m.subject) && m.text.includes(id));
  expect(mail.text).toContain(`http://dsar.test.local/v1/requests/${id}/verify?token=`);
  const verified = await post(h, `/v1/requests/${id}/verify`, { token });
  expect(verified.status).toBe(200);
  expect(verified.body.status).toBe('verified');
  return id;
}

/** The report link from the access e-mail: its page, JSON and CSV addresses (relative to the API). */
function reportLink(text: string) {
  const m = /http:\/\/dsar\.test\.local(\/v1\/reports\/([0-9a-f-]{36}))\?token=([A-Za-z0-9_-]+)/.exec(text);
  if (!m) throw new Error('no report link in the e-mail');
  const [, path, id, token] = m as unknown as [string, string, string, string];
  return { id, token, page: `${path}?token=${token}`, json: `${path}/report.json?token=${token}`, csv: `${path}/report.csv?token=${token}` };
}

async function fetchText(path: string) {
  const res = await fetch(h.baseUrl + path);
  return { status: res.status, headers: res.headers, text: await res.text() };
}

describe('access request, end to end', () => {
  test('the e-mail carries a link, not the data; the page and its downloads state every Art. 15 item for the seeded subject', async () => {
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

    const mail = await h.smtp.waitFor(email, (m) => m.subject === 'Your personal data: access report');
    // No personal data in the e-mail, no attachment: a link that expires.
    expect(mail.attachments).toHaveLength(0);
    for (const v of ['Katherine', '+1 757 555 0199', userId, '12 Analytical Row']) expect(mail.text).not.toContain(v);
    expect(mail.text).toMatch(/The link works until \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC; after that we delete the report/);
    const link = reportLink(mail.text);

    const pageRes = await fetchText(link.page);
    expect(pageRes.status).toBe(200);
    expect(pageRes.headers.get('content-type')).toMatch(/text\/html/);
    expect(pageRes.headers.get('cache-control')).toBe('no-store');
    expect(pageRes.headers.get('referrer-policy')).toBe('no-referrer');
    for (const v of ['Katherine Johnson', '+1 757 555 0199', userId, '12 Analytical Row', 'Your rights', 'Transfers outside the European Economic Area', 'Automated decisions and profiling']) {
      expect(pageRes.text).toContain(v);
    }

    const jsonRes = await fetchText(link.json);
    expect(jsonRes.status).toBe(200);
    expect(jsonRes.headers.get('content-disposition')).toContain('attachment');
    const data = JSON.parse(jsonRes.text);
    expect(data).toMatchObject({ format: 'dsar-access-report/2', requestId: id, subject: { email } });
    const phone = data.items.find((i: { key: string }) => i.key === 'phone_number');
    expect(phone.values).toEqual([{ system: 'Product account database', value: '+1 757 555 0199', where: 'account profile' }]);
    expect(phone.sources).toEqual(['You, when signing up']);
    expect(phone.uses.map((u: { recipients: string[] }) => u.recipients)).toEqual([[], ['Intercom'], ['Pardot (Salesforce Account Engagement)']]);
    expect(typeof phone.retention).toBe('string');
    expect(data.items.find((i: { key: string }) => i.key === 'user_role').values[0].value).toMatch(/Project manager/);
    expect(data.items.find((i: { key: string }) => i.key === 'ip_address').values.length).toBe(2);
    expect(data.rights.map((r: { article: string }) => r.article)).toContain('Art. 18');
    expect(data.complaint.authority).toBeTruthy();
    expect(data.transfers.length).toBeGreaterThan(0);
    // No processor is configured in this harness: they are pending, never "nothing held".
    expect(data.pending.map((p: { system: string }) => p.system)).toContain('Intercom');

    const csvRes = await fetchText(link.csv);
    expect(csvRes.status).toBe(200);
    expect(csvRes.text.split('\n')[0]).toBe('item,label,value,where found,source,purposes and recipients,retention');
    expect(csvRes.text).toContain('+1 757 555 0199');

    // Every view and download is audited (kind and format only).
    const audit = await h.prisma.auditEvent.findMany({ where: { requestId: id, action: { in: ['report_viewed', 'report_downloaded'] } } });
    expect(audit.map((a) => (a.details as { format: string }).format).sort()).toEqual(['csv', 'json', 'page']);

    // No processor is connected in this harness: each is an officer action ("by hand"), and the
    // request waits for them. Once they are done, the subject gets the final answer and the tasks
    // keep no data: it lives only in the report.
    const waiting = await waitForStatus(h, id, ['awaiting_action']);
    expect(waiting.actions.filter((a: { kind: string }) => a.kind === 'manual_access').length).toBeGreaterThanOrEqual(7);
    expect(await completeOpenActions(h, id)).toBeGreaterThanOrEqual(7);
    const detail = { body: await waitForStatus(h, id, ['completed']) };
    await waitFor(async () => h.smtp.to(email).filter((m) => m.subject === 'Your personal data: access report').length === 2, 20_000, 'final answer');
    expect(JSON.stringify(detail.body.tasks)).not.toContain('+1 757 555 0199');
    expect(detail.body.tasks.find((t: { system: string }) => t.system === 'product-db')).toMatchObject({ status: 'done', outcome: 'found', attempts: 1 });
    expect(detail.body.tasks.find((t: { system: string }) => t.system === 'intercom')).toMatchObject({ status: 'skipped', outcome: 'not_found' });

    // A wrong token is refused; an expired report is gone, and maintenance deletes its content.
    expect((await fetchText(link.page.replace(link.token, `${link.token.slice(0, -2)}xx`))).status).toBe(403);
    expect((await fetchText(`/v1/reports/00000000-0000-4000-8000-000000000000?token=${link.token}`)).status).toBe(403);
    await h.prisma.accessReport.update({ where: { id: link.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    const gone = await fetchText(link.json);
    expect(gone.status).toBe(410);
    expect(JSON.parse(gone.text).error).toBe('report_expired');
    await h.worker!.get(RetentionService).sweep();
    const report = await h.prisma.accessReport.findUniqueOrThrow({ where: { id: link.id } });
    expect(report.content).toBeNull();
    expect(report.deletedAt).not.toBeNull();
    expect(report.downloads).toBe(3);
    expect(await h.prisma.reportLink.count({ where: { reportId: link.id } })).toBe(2);
  });

  test('asked again while the report lives: a fresh link to the same report, no new fan-out', async () => {
    const email = uniqueEmail('again');
    await createAccount(h.prisma, { email, firstName: 'Annie', lastName: 'Easley' }, { withInvoices: false });
    const first = await submitAndVerify('access', email);
    await waitForStatus(h, first, ['awaiting_action']);
    await completeOpenActions(h, first);
    await waitForStatus(h, first, ['completed']);
    const firstLink = reportLink((await h.smtp.waitFor(email, (m) => m.subject === 'Your personal data: access report')).text);
    const second = await submitAndVerify('access', email);
    await waitFor(async () => h.smtp.to(email).filter((m) => m.subject === 'Your personal data: access report').length === 3, 20_000, 'second link');
    const mail2 = h.smtp.to(email).filter((m) => m.subject === 'Your personal data: access report')[2]!;
    expect(mail2.text).toContain('fresh link to the same report');
    const secondLink = reportLink(mail2.text);
    expect(secondLink.id).toBe(firstLink.id);
    expect(secondLink.token).not.toBe(firstLink.token);
    expect((await fetchText(secondLink.page)).status).toBe(200);
    expect(await h.prisma.dsarTask.count({ where: { requestId: second } })).toBe(0);
    const r2 = await h.prisma.dsarRequest.findUniqueOrThrow({ where: { id: second } });
    expect(r2.status).toBe('completed');
    expect(await h.prisma.auditEvent.count({ where: { requestId: second, action: 'report_link_reissued' } })).toBe(1);
  });

  test('an address the product does not know gets the same answers, and a report that does not pretend to be complete', async () => {
    const email = uniqueEmail('unknown');
    await submitAndVerify('access', email);
    const mail = await h.smtp.waitFor(email, (m) => m.subject === 'Your personal data: access report');
    const data = JSON.parse((await fetchText(reportLink(mail.text).json)).text);
    expect(data.items.every((i: { values: unknown[] }) => i.values.length === 0)).toBe(true);
    expect(data.systems.find((s: { key: string }) => s.key === 'product-db').outcome).toBe('not_found');
    expect(data.summary).toMatch(/not every system has answered yet/);
  });
});

describe('erasure request, end to end', () => {
  test('erases the account, anonymises authorship, keeps invoices with the reason, and confirms per system', async () => {
    const email = uniqueEmail('erase');
    const { accountId, projectId } = await createAccount(h.prisma, { email, firstName: 'Hedy', lastName: 'Lamarr' });
    const id = await submitAndVerify('erasure', email);

    // The processors are not connected here: the first answer says so, officers finish by hand.
    const progress = await h.smtp.waitFor(email, (m) => /erasure request/.test(m.subject) && !/Confirm/.test(m.subject));
    expect(progress.subject).toBe('Your erasure request: progress update');
    expect(progress.text).toContain('Auth0: Not contacted automatically: our privacy team handles it by hand and will confirm.');
    await waitForStatus(h, id, ['awaiting_action']);
    await completeOpenActions(h, id);
    const confirmation = await h.smtp.waitFor(email, (m) => m.subject === 'Your erasure request is complete');
    expect(confirmation.text).toMatch(/Auth0: No data about you was held there\. \(Done by our staff on \d{4}-\d{2}-\d{2}\.\)/);
    expect(confirmation.text).toMatch(/Product account database: Erased \(.*account profile: 1 deleted/);
    expect(confirmation.text).toMatch(/Product account database: Erased \(.*\), except what we must keep/);
    expect(confirmation.text).toMatch(/Kept: invoice number and date, billing name, billing address, payer ID, subscription plan, amount and currency \(2 record\(s\)\)\. .*legal obligation .*How long: the end of the statutory retention period/);
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
