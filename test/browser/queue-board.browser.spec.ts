// The queue dashboard in a real browser (headless Chromium): reached from the console's menu with
// the console session, it renders every queue with its own files under its CSP; nothing is loaded
// from another origin (its link to a web font is refused by the CSP, and it falls back).
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { startHarness, type Harness } from '../support/harness.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

let h: Harness;
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`No Chromium at ${CHROMIUM}: apt-get install -y chromium (bash .ci/run does)`);
  h = await startHarness({ worker: false });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await h?.stop();
});

describe('the queue dashboard, in the browser', () => {
  test('an officer signed in to the console opens Queues and sees every lane; nothing comes from elsewhere', async () => {
    const page = await browser.newPage();
    const elsewhere: string[] = [];
    const blocked: string[] = [];
    const errors: string[] = [];
    const foreign = (url: string) => !url.startsWith(h.baseUrl) && !url.startsWith('data:');
    const refused: string[] = [];
    page.on('response', (r) => {
      if (foreign(r.url())) elsewhere.push(r.url());
      else if (r.status() >= 400) refused.push(`${r.status()} ${new URL(r.url()).pathname}`);
    });
    page.on('requestfailed', (r) => {
      if (foreign(r.url())) blocked.push(`${new URL(r.url()).host} ${r.failure()?.errorText}`);
    });
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));

    // Straight to the board without a session: the sign-in page.
    await page.goto(`${h.baseUrl}/console/queues`);
    expect(page.url()).toBe(`${h.baseUrl}/console/login`);
    await page.getByLabel('Officer API key').fill(h.officerKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${h.baseUrl}/console`);
    await page.getByRole('link', { name: 'Queues' }).click();
    await page.waitForURL(/\/console\/queues\/?$/);
    for (const lane of ['requests', 'lane-auth0', 'lane-intercom', 'lane-azure-app-insights']) {
      await page.getByText(lane, { exact: true }).first().waitFor({ timeout: 15_000 });
    }
    // The overview's cards come from the board's API (this harness runs no worker).
    await page.getByText('No workers').first().waitFor({ timeout: 15_000 });
    expect(await page.getByText('No workers').count()).toBe(10);
    await page.screenshot({ path: join(mkdtempSync(join(tmpdir(), 'dsar-board-')), 'queues.png'), fullPage: true });
    expect(refused).toEqual([]);
    expect(elsewhere).toEqual([]);
    expect(blocked).toEqual(['fonts.googleapis.com csp']);
    // The only thing the CSP refused is the board's link to Google's web fonts.
    expect(errors.filter((e) => !/fonts\.googleapis\.com/.test(e))).toEqual([]);
    await page.close();
  }, 60_000);
});
