import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stackClient } from '../../stack/stack-client.mjs';
import { CHROMIUM, CHROMIUM_ARGS, haveChromium } from '../support/chromium';

/**
 * The status page as an admin uses it, in headless Debian Chromium against `wrangler dev` (the
 * local stack): sign in with the token, find a failed transfer by the provider's message, retry
 * it and see it synced; pause, see a new event stay pending, resume, see it synced. Where
 * Chromium is missing the test is skipped with a notice; under CI a missing Chromium fails it
 * (the unsubscribe browser test checks that). `ADMIN_PAGE_SCREENSHOT=1` writes the README's
 * screenshot (test/browser/admin-status.png).
 */

const DESK = { viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 };
const REFUSAL = 'Recipient refused by the rule of this test';

describe.skipIf(!haveChromium)('the status page in a real browser', () => {
  let stack: {
    workerUrl: string;
    emulatorUrl: string | null;
    settings: Record<string, string>;
    stop: () => Promise<void>;
  };
  let browser: Browser;
  let client: ReturnType<typeof stackClient>;
  let page: Page;
  const suffix = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  const newsletterId = `admin-page-${suffix}`;

  beforeAll(async () => {
    const { startStack } = await import('../../stack/local-stack.mjs');
    stack = await startStack({ ephemeral: true, isolated: true, quiet: true, scheduleSeconds: 0 });
    client = stackClient({
      workerUrl: stack.workerUrl,
      emulatorUrl: stack.emulatorUrl ?? '',
      portalSecret: String(stack.settings.PORTAL_SIGNING_SECRET).split(/\s+/)[0] ?? '',
      adminToken: String(stack.settings.ADMIN_API_TOKEN).split(/\s+/)[0] ?? '',
    });
    await client.newsletter(newsletterId, 'Weekly');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    page = await (await browser.newContext({ ...DESK, locale: 'en-GB' })).newPage();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  }, 60_000);

  const confirm = (userId: string) =>
    client.postEvent({
      type: 'subscription.confirmed',
      occurredAt: new Date(Date.now() - 1000).toISOString(),
      data: { userId, newsletterId, email: `${userId}@example.com` },
    });
  /** The subscriber's transfer status as the page shows it, after looking them up. */
  async function shownTransfer(userId: string): Promise<string | null> {
    await page.getByLabel('Portal user id').fill(userId);
    await page.locator('#subscriber').evaluate((node) => node.replaceChildren());
    await page.getByRole('button', { name: 'Show' }).click();
    // The table shown is this subscriber's (the previous one's is cleared first).
    await page.locator('#subscriber h3', { hasText: userId }).waitFor({ timeout: 10_000 });
    return page.locator(`#subscriber tr[data-newsletter="${newsletterId}"]`).getAttribute('data-transfer');
  }

  it('signs in with the admin token, kept for the tab only, never in a cookie', async () => {
    await page.goto(`${stack.workerUrl}/admin`);
    await expect.poll(() => page.locator('h1').textContent()).toBe('newsletter-bridge: status');
    await page.getByLabel('Admin token').fill('not-the-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.locator('#signin-error').textContent()).toBe('This token is not accepted.');
    await page.getByLabel('Admin token').fill(String(stack.settings.ADMIN_API_TOKEN).split(/\s+/)[0] ?? '');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#counts table').waitFor();
    expect(await page.context().cookies()).toEqual([]);
    expect(await page.evaluate(() => Object.keys(localStorage))).toEqual([]);
  }, 60_000);

  it("finds a failed transfer by the provider's message, retries it and sees it synced", async () => {
    const userId = `failing-${suffix}`;
    const rule = (await fetch(`${stack.emulatorUrl}/_emulator/rules`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        kind: 'status',
        status: 400,
        method: 'POST',
        pathPrefix: '/recipients',
        email: `${userId}@example.com`,
        times: 1000,
        body: { status: 400, code: 1062, errorMessage: REFUSAL },
      }),
    }).then((r) => r.json())) as { id: number };
    await confirm(userId);
    await client.settled(userId);
    await page.getByRole('button', { name: 'Refresh' }).click();
    const group = page.locator('#failed .group', { hasText: REFUSAL });
    await group.waitFor({ timeout: 10_000 });
    expect(await group.locator('.message').textContent()).toBe(REFUSAL);
    expect(await shownTransfer(userId)).toBe('failed');
    expect(await page.locator(`#subscriber td.transfer`).getAttribute('title')).toBe(REFUSAL);
    if (process.env.ADMIN_PAGE_SCREENSHOT)
      await page.screenshot({ path: 'test/browser/admin-status.png', fullPage: true });

    await fetch(`${stack.emulatorUrl}/_emulator/rules/${rule.id}`, { method: 'DELETE' });
    await group.locator(`button[data-retry="${userId}|${newsletterId}"]`).click();
    await expect.poll(() => shownTransfer(userId), { timeout: 30_000, interval: 500 }).toBe('synced');
  }, 90_000);

  it('pauses: a new event stays pending; resumes: it is synced', async () => {
    await page.getByLabel('Reason').fill('checking the new list');
    await page.getByRole('button', { name: 'Pause' }).click();
    await expect.poll(() => page.locator('#pause-state').textContent()).toContain('checking the new list');
    expect(await page.locator('#pause-form').isVisible()).toBe(false);

    const userId = `paused-${suffix}`;
    await confirm(userId);
    // The consumer gets the message and leaves the transfer pending; it stays so.
    await new Promise((r) => setTimeout(r, 3_000));
    expect(await shownTransfer(userId)).toBe('pending');

    await page.getByRole('button', { name: 'Resume' }).click();
    await expect.poll(() => page.locator('#pause-state').textContent()).toBe('Transfers are running.');
    await expect.poll(() => shownTransfer(userId), { timeout: 30_000, interval: 500 }).toBe('synced');
  }, 90_000);

  it('speaks German to a German browser', async () => {
    const german = await (await browser.newContext({ ...DESK, locale: 'de-DE' })).newPage();
    await german.goto(`${stack.workerUrl}/admin`);
    expect(await german.locator('h1').textContent()).toBe('newsletter-bridge: Status');
    expect(await german.getByRole('button', { name: 'Anmelden' }).count()).toBe(1);
  }, 30_000);
});
