import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, emulator } from '../support/emulator';
import { TEST_LISTS } from '../support/settings';
import { at, confirmed, mapNewsletter, postEvent, settled, uid } from '../support/worker';

/**
 * Where Newsletter2Go's published material leaves a point unconfirmed, the spec says "handle
 * both readings". The emulator can present each reading; the worker must sync under all of them.
 */

const LIST = TEST_LISTS[2]!.id;

describe('unconfirmed provider behaviour: every reading', () => {
  const newsletterId = uid('readings');
  beforeAll(async () => {
    await mapNewsletter(newsletterId, LIST);
  });
  afterEach(async () => {
    await emulator.settings(DEFAULT_SETTINGS);
    await emulator.clearFaults();
  });

  async function confirm(): Promise<string> {
    const user = uid('u');
    expect((await postEvent(confirmed(user, newsletterId, `${user}@example.com`, {}, at()))).status).toBe(202);
    return user;
  }

  for (const reading of ['401-invalid_grant', '401-empty', '400-invalid_grant'] as const) {
    it(`renews an expired token however it is refused (${reading})`, async () => {
      await settled(await confirm()); // a stored token exists
      await emulator.settings({ expiredToken: reading });
      for (const which of [{ access: true }, { access: true, refresh: true }]) {
        await emulator.expireTokens(which);
        await emulator.clearLog();
        const view = await settled(await confirm());
        expect(view.subscriptions[0]?.transfer, JSON.stringify(which)).toMatchObject({ status: 'synced', attempts: 1 });
        const { entries } = await emulator.log();
        expect(entries.some((e) => e.status === Number(reading.slice(0, 3)) && !e.path.startsWith('/oauth')), 'the refusal was seen').toBe(true);
        expect(entries.filter((e) => e.path.startsWith('/oauth')).at(-1)?.status).toBe(200);
      }
    });
  }

  it('copes with refresh tokens that work only once, with several transfers renewing at once', async () => {
    await settled(await confirm());
    await emulator.settings({ refreshTokenReuse: false });
    await emulator.clearLog();
    // Two renewals in a row: the second must use the refresh token the first one returned.
    for (let round = 0; round < 2; round++) {
      await emulator.expireTokens({ access: true });
      const users = await Promise.all(Array.from({ length: 6 }, () => confirm()));
      for (const u of users) expect((await settled(u)).subscriptions[0]?.transfer.status).toBe('synced');
    }
    const oauth = (await emulator.log()).entries.filter((e) => e.path.startsWith('/oauth'));
    expect(oauth.length, 'one renewal per round').toBeGreaterThanOrEqual(2);
    // A refresh token used twice would be refused (400) and hidden by the password fallback.
    expect(oauth.map((e) => e.status)).toEqual(oauth.map(() => 200));
  });

  it('takes 201 for a single creation as success and keeps the id', async () => {
    await emulator.settings({ singleCreateStatus: 201 });
    await emulator.clearLog();
    const user = await confirm();
    const view = await settled(user);
    expect(view.subscriptions[0]?.transfer.status).toBe('synced');
    const { entries } = await emulator.log();
    expect(entries.some((e) => e.method === 'POST' && e.path === '/recipients' && e.status === 201)).toBe(true);
    expect(await emulator.find(LIST, `${user}@example.com`)).toMatchObject({ is_unsubscribed: false });
  });

  // Backoff in tests is at most 2 s, so waiting 4 s shows the header was honoured.
  for (const [kind, style] of [['503_retry_after', 'http-date'], ['429_retry_after', 'http-date'], ['503_retry_after', 'seconds']] as const) {
    it(`honours Retry-After on ${kind.slice(0, 3)} given as ${style}`, async () => {
      const user = uid('u');
      const email = `${user}@example.com`;
      await emulator.rule({ kind, email, times: 1, retryAfterSeconds: 4, retryAfterStyle: style });
      const started = Date.now();
      await postEvent(confirmed(user, newsletterId, email, {}, at()));
      const view = await settled(user, 25_000);
      expect(view.subscriptions[0]?.transfer).toMatchObject({ status: 'synced', attempts: 2 });
      expect(Date.now() - started).toBeGreaterThanOrEqual(4000);
    });
  }
});
