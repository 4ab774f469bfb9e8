/**
 * The dashboard in a real browser against a real `kfaas up`: the login (basic auth), deploying a function from
 * the Functions page, invoking it from the Invoke page, the invocation count moving without a reload, an async
 * call that ends as a dead letter, a function's spec and logs, and a phone-sized layout. Screenshots go to
 * docs/ (the README shows them).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { launchBrowser, type TestBrowser } from '../helpers/browser.js';
import { waitFor } from '../helpers/index.js';
import { screenshotPath } from '../helpers/screenshots.js';
import { ROOT, startUp, stopUp, type Up } from './compat-support.js';

const STACK = join(ROOT, 'examples', 'stack.yaml');
const WAIT = { timeout: 30_000 };

function credentials(up: Up): { username: string; password: string } {
  const decoded = Buffer.from(up.authorization.slice('Basic '.length), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

describe('the dashboard in Chromium', () => {
  let dataDir: string;
  let up: Up | undefined;
  let browser: TestBrowser | undefined;
  let page: Page;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'kfaas-ui-'));
    up = await startUp(dataDir, ['-f', STACK]);
    browser = await launchBrowser({ httpCredentials: credentials(up) });
    page = browser.context.pages()[0] ?? (await browser.context.newPage());
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    await stopUp(up);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('is behind the /system basic auth', async () => {
    const anonymous = await fetch(`${up!.url}/ui/`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toContain('Basic');
    const res = await page.goto(`${up!.url}/ui/`);
    expect(res?.status()).toBe(200);
    await page.locator('tr[data-fn="echo"]').waitFor(WAIT);
    expect(await page.locator('nav a.active').textContent()).toBe('Functions');
  });

  it('deploys a function from the Functions page', async () => {
    await page.locator('details summary').click();
    await page.fill('input[name=service]', 'shout');
    await page.fill('input[name=image]', 'local/shout');
    await page.fill('input[name=envProcess]', 'tr a-z A-Z');
    await page.click('form.deploy button');
    await page.locator('form.deploy output', { hasText: 'Deployed shout.' }).waitFor(WAIT);
    // The row appears, then its replica becomes available, without a reload.
    await page.locator('tr[data-fn="shout"] td', { hasText: '1/1' }).waitFor(WAIT);
  });

  it('invokes it from the Invoke page and shows the answer', async () => {
    await page.click('nav a[href="#/invoke"]');
    await page.locator('select[name=name] option', { hasText: 'shout' }).waitFor({ state: 'attached', ...WAIT });
    await page.selectOption('select[name=name]', 'shout');
    await page.fill('textarea[name=body]', 'hello kfaas');
    await page.click('form.invoke button');
    await page.locator('.answer .status', { hasText: /^200 in \d+ ms/ }).waitFor(WAIT);
    expect(await page.locator('.answer .body').textContent()).toBe('HELLO KFAAS');
  });

  it('shows the invocation count change without a reload', async () => {
    await page.click('nav a[href="#/functions"]');
    const count = page.locator('tr[data-fn="shout"] td.invocations');
    await count.filter({ hasText: /^1$/ }).waitFor(WAIT);
    for (let i = 0; i < 3; i++) expect((await fetch(`${up!.url}/function/shout`, { method: 'POST', body: 'x' })).status).toBe(200);
    await count.filter({ hasText: /^4$/ }).waitFor(WAIT);
  });

  it('follows an async call that fails for good into the dead letters', async () => {
    await page.click('nav a[href="#/invoke"]');
    await page.locator('select[name=name] option', { hasText: 'always-fail' }).waitFor({ state: 'attached', ...WAIT });
    await page.selectOption('select[name=name]', 'always-fail');
    await page.check('input[name=mode][value=async]');
    await page.fill('textarea[name=body]', 'doomed');
    await page.click('form.invoke button');
    const answer = await page.locator('.answer .status', { hasText: /^202 in/ }).textContent(WAIT);
    const callId = /call id (\S+)/.exec(answer ?? '')?.[1];
    expect(callId).toMatch(/^[0-9a-f-]{36}$/);

    await page.click('nav a[href="#/dead-letters"]');
    const row = page.locator(`tr[data-call-id="${callId}"]`);
    await row.waitFor(WAIT);
    expect(await row.locator('td').nth(3).textContent()).toBe('max_attempts');
    expect(await row.locator('td').nth(4).textContent()).toBe('3');
    await page.screenshot({ path: screenshotPath('dashboard-dead-letters.png') });

    // The Calls page reads the call's state and timeline from the status API.
    await page.click('nav a[href="#/calls"]');
    const call = page.locator(`tbody.calls tr[data-call-id="${callId}"]`);
    await call.locator('td.state', { hasText: 'dead-lettered: max_attempts' }).waitFor(WAIT);
    expect(await call.locator('td').nth(4).textContent()).toBe('3');

    // Redrive it from the Dead letters page: the call runs again under the same id.
    await page.click('nav a[href="#/dead-letters"]');
    await row.locator('button[data-redrive]').click();
    await page.locator('.redriven', { hasText: `Redrive of ${callId}:` }).waitFor(WAIT);
    expect(await page.locator('.redriven').textContent()).not.toContain('failed');
    const status = await waitFor(async () => {
      const s = (await (await fetch(`${up!.url}/async-calls/${callId}`)).json()) as { redrives?: number };
      return s.redrives === 1 ? s : undefined;
    }, { timeoutMs: 30_000, description: 'the redriven call status' });
    expect(status.redrives).toBe(1);
  });

  it("shows a function's spec and follows its logs", async () => {
    await page.click('nav a[href="#/functions"]');
    await page.click('tr[data-fn="shout"] a');
    await page.locator('.spec', { hasText: '"envProcess": "tr a-z A-Z"' }).waitFor(WAIT);
    // A call made now shows up in the followed stream (the watchdog logs every request).
    const before = (await page.locator('.logs').textContent()) ?? '';
    expect((await fetch(`${up!.url}/function/shout`, { method: 'POST', body: 'y' })).status).toBe(200);
    // Browser-side expressions are strings: the test's TypeScript has no DOM types.
    await page.waitForFunction(`(document.querySelector('.logs')?.textContent ?? '').length > ${before.length}`, undefined, WAIT);
  });

  it('fits a phone-sized screen', async () => {
    await page.click('nav a[href="#/functions"]');
    await page.locator('tr[data-fn="always-fail"] td.bad').waitFor(WAIT);
    // The async backlog column counts from the call status store: a 4 s async call shows as 1 while it runs,
    // then leaves the backlog.
    expect(await page.locator('thead th', { hasText: 'Backlog' }).count()).toBe(1);
    expect((await fetch(`${up!.url}/async-function/sleep`, { method: 'POST', body: '4' })).status).toBe(202);
    await page.locator('tr[data-fn="sleep"] td.backlog', { hasText: /^1$/ }).waitFor(WAIT);
    await page.locator('tr[data-fn="sleep"] td.backlog', { hasText: /^0$/ }).waitFor(WAIT);
    await page.screenshot({ path: screenshotPath('dashboard-functions.png') });
    await page.setViewportSize({ width: 390, height: 844 });
    // Nothing but the tables' own scroll boxes may be wider than the screen.
    const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
    expect(overflow).toBeLessThanOrEqual(0);
    await page.screenshot({ path: screenshotPath('dashboard-phone.png') });
  });
});
