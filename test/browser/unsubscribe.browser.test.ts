import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stackClient } from '../../stack/stack-client.mjs';
import { CHROMIUM, CHROMIUM_ARGS, haveChromium } from '../support/chromium';

/**
 * A reader in a real browser: headless Debian Chromium opens the unsubscribe link served by
 * `wrangler dev` (the local stack), presses the button, sees the confirmation, and the
 * Newsletter2Go emulator then shows the recipient unsubscribed. Where Chromium is missing the
 * test is skipped with a notice; under CI a missing Chromium fails it.
 */

const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };
const inCI = Boolean(process.env.CI);

if (!haveChromium && !inCI)
  console.warn(
    `\n⚠ browser test skipped: no Chromium at ${CHROMIUM} (apt-get install chromium). Under CI this fails instead.\n`,
  );

describe('a reader unsubscribes in a real browser', () => {
  it.runIf(inCI)('Chromium is installed (required under CI)', () => {
    expect(haveChromium, `Chromium missing at ${CHROMIUM}`).toBe(true);
  });

  describe.skipIf(!haveChromium)('with Chromium', () => {
    let stack:
      | { workerUrl: string; emulatorUrl: string | null; settings: Record<string, string>; stop: () => Promise<void> }
      | undefined;
    let browser: Browser | undefined;
    let client: ReturnType<typeof stackClient>;

    beforeAll(async () => {
      const { startStack } = await import('../../stack/local-stack.mjs');
      const started = await startStack({ ephemeral: true, isolated: true, quiet: true });
      stack = started;
      client = stackClient({
        workerUrl: started.workerUrl,
        emulatorUrl: started.emulatorUrl ?? '',
        portalSecret: String(started.settings.PORTAL_SIGNING_SECRET).split(/\s+/)[0] ?? '',
        adminToken: String(started.settings.ADMIN_API_TOKEN).split(/\s+/)[0] ?? '',
      });
      browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    }, 180_000);

    afterAll(async () => {
      await browser?.close();
      await stack?.stop();
    }, 60_000);

    function phone(locale: string) {
      if (!browser) throw new Error('Chromium did not start');
      return browser.newContext({ ...PHONE, locale });
    }

    /** A subscribed reader: returns the link from the admin JSON, served by this stack. */
    async function reader(newsletterName: string) {
      const suffix = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}`;
      const newsletterId = `browser-${suffix}`;
      const userId = `reader-${suffix}`;
      const email = `${userId}@example.com`;
      const listId = await client.newsletter(newsletterId, newsletterName);
      await client.postEvent({
        type: 'subscription.confirmed',
        occurredAt: new Date(Date.now() - 1000).toISOString(),
        data: { userId, newsletterId, email },
      });
      const view = await client.settled(userId);
      const url = new URL(view.subscriptions[0].unsubscribeUrl);
      const recipient = await client.recipient(listId, email);
      expect(recipient).toMatchObject({ is_unsubscribed: false });
      expect(recipient.attributes.unsubscribe_url).toBe(url.toString());
      return { listId, email, link: `${stack?.workerUrl}${url.pathname}` };
    }

    it('opens the link on a phone, presses the button, and Newsletter2Go shows the recipient unsubscribed', async () => {
      const { listId, email, link } = await reader('Der Wochenüberblick');
      const context = await phone('de-DE');
      const page = await context.newPage();

      const shown = await page.goto(link);
      expect(shown?.status()).toBe(200);
      await expect.poll(() => page.locator('h1').textContent()).toBe('Newsletter abbestellen');
      expect(await page.locator('main').textContent()).toContain('„Der Wochenüberblick“');
      // Laid out for the phone: nothing wider than the screen, buttons large enough to tap.
      expect(await page.locator('html').evaluate((root) => root.scrollWidth)).toBeLessThanOrEqual(390);
      const button = page.getByRole('button', { name: 'Von diesem Newsletter abmelden' });
      expect((await button.boundingBox())?.height).toBeGreaterThanOrEqual(44);
      await page.screenshot({ path: '/tmp/unsubscribe-page-phone.png', fullPage: true });
      expect(await client.recipient(listId, email)).toMatchObject({ is_unsubscribed: false });

      const [answer] = await Promise.all([
        page.waitForResponse((r) => r.request().method() === 'POST'),
        button.click(),
      ]);
      expect(answer.status()).toBe(200);
      await expect.poll(() => page.locator('h1').textContent()).toBe('Abmeldung bestätigt');
      expect(page.url()).toBe(link);
      await page.screenshot({ path: '/tmp/unsubscribe-done-phone.png', fullPage: true });
      expect(await context.cookies()).toEqual([]);

      await expect
        .poll(async () => (await client.recipient(listId, email))?.is_unsubscribed, { timeout: 30_000, interval: 200 })
        .toBe(true);
      await context.close();
    }, 90_000);

    it('shows the page in English to an English browser, and "all my newsletters" works there too', async () => {
      const { listId, email, link } = await reader('Breaking News');
      const context = await phone('en-US');
      const page = await context.newPage();
      await page.goto(link);
      await expect.poll(() => page.locator('h1').textContent()).toBe('Unsubscribe from the newsletter');
      await page.getByRole('button', { name: 'Unsubscribe from all my newsletters' }).click();
      await expect.poll(() => page.locator('h1').textContent()).toBe('Unsubscribe confirmed');
      await page.screenshot({ path: '/tmp/unsubscribe-done-phone-en.png', fullPage: true });
      await expect
        .poll(async () => (await client.recipient(listId, email))?.is_unsubscribed, { timeout: 30_000, interval: 200 })
        .toBe(true);
      await context.close();
    }, 90_000);
  });
});
