// The console and the subject's pages in a real browser: headless Chromium (Debian's package,
// installed by .ci/run when missing) driven by playwright-core, against the real service, the
// vendor fakes and the SMTP catcher. Screenshots go to a temporary folder, and to docs/screenshots
// when UPDATE_SCREENSHOTS=1.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createAccount } from '../../src/db/demo-data.js';
import { seedSubject, startVendorFakes, type VendorFakes } from '../../src/demo/fakes/index.js';
import { linkFrom, startHarness, submitVerified, uniqueEmail, waitFor, waitForStatus, type Harness } from '../support/harness.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = mkdtempSync(join(tmpdir(), 'dsar-shots-'));
const DOCS = fileURLToPath(new URL('../../docs/screenshots/', import.meta.url));

let fakes: VendorFakes;
let h: Harness;
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`No Chromium at ${CHROMIUM}: apt-get install -y chromium (bash .ci/run does)`);
  fakes = await startVendorFakes();
  h = await startHarness({ env: { ...fakes.env, TASK_ATTEMPTS: '2', VENDOR_JOB_MAX_WAIT_SECONDS: '0', PUBLIC_BASE_URL: 'http://dsar.test.local' } });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await h?.stop();
  await fakes?.stop();
});

async function shot(page: Page, name: string, fullPage = true): Promise<void> {
  const file = join(SHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage });
  if (process.env.UPDATE_SCREENSHOTS === '1') {
    mkdirSync(DOCS, { recursive: true });
    copyFileSync(file, join(DOCS, `${name}.png`));
  }
}

/** The e-mailed link, pointed at the test API (PUBLIC_BASE_URL is a name, not a host). */
const local = (url: string) => url.replace('http://dsar.test.local', h.baseUrl);

async function signIn(page: Page): Promise<void> {
  await page.goto(`${h.baseUrl}/console`);
  await expect(page.url()).toContain('/console/login');
  await page.getByLabel('Officer API key').fill(h.officerKey);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${h.baseUrl}/console`);
}

describe('a subject, in the browser', () => {
  test('asks for erasure through /, is told what it means before confirming, and then sees progress instead of the button', async () => {
    const email = uniqueEmail('browser-subject');
    await createAccount(h.prisma, { email, firstName: 'Ida', lastName: 'Rhodes' }, { withInvoices: true });
    const page = await browser.newPage();
    await page.goto(`${h.baseUrl}/`);
    await page.getByLabel('Erase my personal data').check();
    await page.getByLabel(/Your e-mail address/).fill(email);
    await page.getByRole('button', { name: 'Send request' }).click();
    await expect(await page.getByRole('heading', { name: 'Check your inbox' }).isVisible()).toBe(true);

    const mail = await h.smtp.waitFor(email, (m) => /Confirm/.test(m.subject));
    const link = /http:\/\/dsar\.test\.local\/v1\/requests\/[^\s]+/.exec(mail.text)![0];
    const { id } = linkFrom(mail.text);
    await page.goto(local(link));
    const text = await page.textContent('main');
    expect(text).toContain('This cannot be undone');
    expect(text).toContain('Pardot (Salesforce Account Engagement)');
    expect(text).toContain('Issued invoices');
    // Opening the page changed nothing.
    expect((await h.prisma.dsarRequest.findUniqueOrThrow({ where: { id } })).status).toBe('awaiting_verification');
    await page.getByRole('button', { name: 'Confirm my request' }).click();
    await page.waitForURL(/\/verify\?token=/);
    await expect(await page.getByRole('button', { name: 'Confirm my request' }).count()).toBe(0);
    await waitFor(async () => {
      await page.reload();
      return (await page.locator('table tr').count()) > 5;
    }, 20_000, 'progress per system');
    expect(await page.textContent('main')).toMatch(/Our product/);
    await shot(page, 'subject-progress');
    await page.close();
  });
});

describe('a subject, reading the access report', () => {
  test('the link in the result e-mail opens the report: the data held, what is pending, recipients, rights', async () => {
    const email = uniqueEmail('browser-report');
    const { userId } = await createAccount(h.prisma, { email, firstName: 'Ada', lastName: 'Byron' }, { withInvoices: true });
    seedSubject(fakes, { email, userId, firstName: 'Ada', lastName: 'Byron', company: 'Example Ltd', country: 'United Kingdom', amplitudeEvents: 3 });
    const id = await submitVerified(h, 'access', email);
    await waitForStatus(h, id, ['awaiting_action', 'completed']);
    const mail = await h.smtp.waitFor(email, (m) => /v1\/reports\//.test(m.text));
    const link = /http:\/\/dsar\.test\.local\/v1\/reports\/[^\s]+/.exec(mail.text)![0];
    const page = await browser.newPage();
    await page.goto(local(link));
    expect(await page.getByRole('heading', { name: 'Your personal data' }).isVisible()).toBe(true);
    for (const heading of ['The data we hold about you', 'Not answered yet', 'Who receives personal data from us', 'Your rights']) {
      expect({ heading, visible: await page.getByRole('heading', { name: heading }).isVisible() }).toEqual({ heading, visible: true });
    }
    const text = (await page.textContent('body'))!;
    expect(text).toContain('Ada');
    expect(text).toContain('Hotjar');
    expect(text).toMatch(/Amplitude/);
    await shot(page, 'access-report', false); // the report is long: its first screen
    await page.close();
  }, 60_000);
});

describe('an officer, in the console', () => {
  let page: Page;
  let failedId: string;
  let subjectEmail: string;

  beforeAll(async () => {
    // A request with a failed system (Intercom down) and an open officer action (Pardot's recycle bin).
    subjectEmail = uniqueEmail('browser-officer');
    const { userId } = await createAccount(h.prisma, { email: subjectEmail, firstName: 'Mary', lastName: 'Keller' }, { withInvoices: false });
    seedSubject(fakes, { email: subjectEmail, userId, firstName: 'Mary', lastName: 'Keller' });
    fakes.intercom.failNext(100_000, 503);
    failedId = await submitVerified(h, 'erasure', subjectEmail);
    await waitForStatus(h, failedId, ['failed']);
    // Two days left: at risk, and first among failed requests (oldest deadline first) whatever else
    // the shared test database holds.
    await h.prisma.dsarRequest.update({ where: { id: failedId }, data: { dueAt: new Date(Date.now() + 2 * 86_400_000) } });
    page = await browser.newPage();
    await signIn(page);
  }, 60_000);
  afterAll(async () => {
    await page?.close();
  });

  test('filters the list to failed requests, finds the request by its id, and opens it', async () => {
    // Other suites' requests share this database: the filter narrows the list to failed ones.
    await page.getByLabel('Status').selectOption('failed');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/\/console\?.*status=failed/);
    expect(await page.textContent('main')).toContain(failedId);
    await shot(page, 'console-list');
    await page.getByLabel('Find by request id').fill(failedId);
    await page.getByRole('button', { name: 'Find' }).click();
    await page.waitForURL(`${h.baseUrl}/console/requests/${failedId}`);
    expect(await page.getByRole('heading', { name: `Request ${failedId}` }).isVisible()).toBe(true);
    expect(await page.textContent('main')).toMatch(/transient: Intercom .* 503/);
    await shot(page, 'console-detail');
  });

  test('retries the failed system and sees it re-run', async () => {
    fakes.intercom.reset();
    await page.getByRole('button', { name: 'Retry intercom' }).click();
    expect(await page.textContent('[role=status]')).toContain('Retrying: intercom');
    await waitFor(async () => {
      const t = await h.prisma.dsarTask.findFirstOrThrow({ where: { requestId: failedId, system: 'intercom' } });
      return t.status === 'done';
    }, 20_000, 'intercom re-run');
    await page.reload();
    const row = await page.locator('tr', { hasText: 'intercom' }).first().textContent();
    expect(row).toMatch(/done/);
  });

  test('completes the Pardot officer action with a note', async () => {
    const fieldset = page.locator('fieldset', { hasText: 'pardot permanent delete' });
    await fieldset.getByLabel('Note: what you did').fill('Deleted both prospects from the recycle bin and emptied the Salesforce recycle bin.');
    await fieldset.getByRole('button', { name: 'Complete action' }).click();
    expect(await page.textContent('[role=status]')).toContain('Action completed.');
    const action = await h.prisma.officerAction.findFirstOrThrow({ where: { requestId: failedId, kind: 'pardot_permanent_delete' } });
    expect(action).toMatchObject({ status: 'done', note: 'Deleted both prospects from the recycle bin and emptied the Salesforce recycle bin.' });
  });

  test('extends the deadline; the subject receives the reason and the new date', async () => {
    const email = uniqueEmail('browser-extend');
    const id = await submitVerified(h, 'access', email);
    await page.goto(`${h.baseUrl}/console/requests/${id}`);
    await page.getByLabel('By').selectOption('2');
    await page.getByLabel('Reason (the subject reads it)').fill('Two of our processors answer slowly this month.');
    await page.getByRole('button', { name: 'Extend deadline' }).click();
    expect(await page.textContent('[role=status]')).toMatch(/Deadline extended to \d{4}-\d{2}-\d{2}/);
    const mail = await h.smtp.waitFor(email, (m) => m.subject === 'Your data request: we need more time');
    expect(mail.text).toContain('Two of our processors answer slowly this month.');
    // Once only: the form is gone.
    expect(await page.getByRole('button', { name: 'Extend deadline' }).count()).toBe(0);
  });

  test('denies a request; the subject receives the reason and the right to complain', async () => {
    const email = uniqueEmail('browser-deny');
    const id = await submitVerified(h, 'access', email);
    await page.goto(`${h.baseUrl}/console/requests/${id}`);
    await page.getByLabel('Reason for refusing').selectOption('manifestly_unfounded');
    await page.getByLabel('Note for the subject (optional)').fill('The address has never had an account with us.');
    await page.getByRole('button', { name: 'Deny request' }).click();
    expect(await page.textContent('[role=status]')).toContain('Request denied');
    const mail = await h.smtp.waitFor(email, (m) => m.subject === 'Your data request has been refused');
    expect(mail.text).toMatch(/manifestly unfounded/);
    expect(mail.text).toMatch(/supervisory authority/);
    expect((await h.prisma.dsarRequest.findUniqueOrThrow({ where: { id } })).status).toBe('denied');
  });

  test('files a request received by letter on the subject\'s behalf', async () => {
    const email = uniqueEmail('browser-letter');
    await page.goto(`${h.baseUrl}/console/new`);
    await page.getByLabel(/Access/).check();
    await page.getByLabel("The person's e-mail address").fill(email);
    await page.getByLabel('Received by').selectOption('letter');
    await page.getByLabel('How identity was checked').fill('Signed letter; signature and address match the contract on file.');
    await page.getByRole('button', { name: 'File request' }).click();
    await page.waitForURL(/\/console\/requests\/[0-9a-f-]{36}/);
    expect(await page.textContent('[role=status]')).toContain('Request filed (letter)');
    const id = /requests\/([0-9a-f-]{36})/.exec(page.url())![1]!;
    const r = await h.prisma.dsarRequest.findUniqueOrThrow({ where: { id } });
    expect(r).toMatchObject({ channel: 'letter', email, status: expect.stringMatching(/verified|in_progress|awaiting_action|completed/) });
    expect(h.smtp.to(email).filter((m) => /Confirm/.test(m.subject))).toHaveLength(0);
  });

  test('signs out: the console asks to sign in again', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/console\/login/);
    await page.goto(`${h.baseUrl}/console`);
    expect(page.url()).toContain('/console/login');
  });
});
