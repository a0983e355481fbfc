import { afterEach, describe, expect, it } from 'vitest';
import type { EmulatorSettings } from '../support/emulator';
import { type Lane, openLane } from '../support/lane';
import { TEST_LISTS } from '../support/settings';
import { at, confirmed, uid } from '../support/worker';

/**
 * Where Newsletter2Go's published material leaves a point unconfirmed, the spec says "handle
 * both readings". The emulator can present each reading; the worker must sync under all of them.
 * Readings and token expiry are account-wide, so each test has a lane: its own emulator account.
 */

const LIST = TEST_LISTS[2].id;

describe('unconfirmed provider behaviour: every reading', () => {
  let lane: Lane | undefined;
  afterEach(async () => {
    await lane?.close();
    lane = undefined;
  });

  async function open(emulator: Partial<EmulatorSettings> = {}) {
    lane = await openLane({ emulator });
    const newsletterId = uid('readings');
    await lane.mapNewsletter(newsletterId, LIST);
    return { lane, newsletterId };
  }

  async function confirm(l: Lane, newsletterId: string): Promise<string> {
    const user = uid('u');
    expect((await l.postEvent(confirmed(user, newsletterId, `${user}@example.com`, {}, at()))).status).toBe(202);
    return user;
  }

  for (const reading of ['401-invalid_grant', '401-empty', '400-invalid_grant'] as const) {
    it(`renews an expired token however it is refused (${reading})`, async () => {
      const { lane, newsletterId } = await open({ expiredToken: reading });
      await lane.settled(await confirm(lane, newsletterId)); // a stored token exists
      for (const which of [{ access: true }, { access: true, refresh: true }]) {
        await lane.emulator.expireTokens(which);
        await lane.emulator.clearLog();
        const view = await lane.settled(await confirm(lane, newsletterId));
        expect(view.subscriptions[0]?.transfer, JSON.stringify(which)).toMatchObject({ status: 'synced', attempts: 1 });
        const { entries } = await lane.emulator.log();
        expect(
          entries.some((e) => e.status === Number(reading.slice(0, 3)) && !e.path.startsWith('/oauth')),
          'the refusal was seen',
        ).toBe(true);
        expect(entries.filter((e) => e.path.startsWith('/oauth')).at(-1)?.status).toBe(200);
      }
    });
  }

  it('copes with refresh tokens that work only once, with several consumers renewing at once', async () => {
    const { lane, newsletterId } = await open({ refreshTokenReuse: false });
    await lane.settled(await confirm(lane, newsletterId));
    await lane.emulator.clearLog();
    // Two renewals in a row: the second must use the refresh token the first one returned.
    for (let round = 0; round < 2; round++) {
      await lane.emulator.expireTokens({ access: true });
      const users = await Promise.all(Array.from({ length: 6 }, () => confirm(lane, newsletterId)));
      // Three consumer invocations at once, two messages each: all of them meet the expired token.
      await Promise.all([1, 2, 3].map(() => lane.drain({ batchSize: 2 })));
      for (const u of users) expect((await lane.settled(u)).subscriptions[0]?.transfer.status).toBe('synced');
    }
    const oauth = (await lane.emulator.log()).entries.filter((e) => e.path.startsWith('/oauth'));
    expect(oauth.length, 'one renewal per round').toBeGreaterThanOrEqual(2);
    // A refresh token used twice would be refused (400) and hidden by the password fallback.
    expect(oauth.map((e) => e.status)).toEqual(oauth.map(() => 200));
  });

  it('takes 201 for a single creation as success and keeps the id', async () => {
    const { lane, newsletterId } = await open({ singleCreateStatus: 201 });
    const user = await confirm(lane, newsletterId);
    const view = await lane.settled(user);
    expect(view.subscriptions[0]?.transfer.status).toBe('synced');
    const { entries } = await lane.emulator.log();
    expect(entries.some((e) => e.method === 'POST' && e.path === '/recipients' && e.status === 201)).toBe(true);
    expect(await lane.emulator.find(LIST, `${user}@example.com`)).toMatchObject({ is_unsubscribed: false });
  });

  for (const invalidRecipientsShape of ['strings', 'objects', 'indexed'] as const) {
    it(`reads invalid_recipients as ${invalidRecipientsShape}: the refused address fails, the rest sync, one upsert`, async () => {
      const { lane, newsletterId } = await open({ invalidRecipientsShape });
      const users = [uid('a'), uid('bad'), uid('c')];
      await lane.emulator.rejectEmails([`${users[1]}@example.com`]);
      for (const u of users) await lane.postEvent(confirmed(u, newsletterId, `${u}@example.com`, {}, at()));
      await lane.emulator.clearLog();
      await lane.drain();
      const transfers = await Promise.all(
        users.map(async (u) => (await lane.subscriber(u))?.subscriptions[0]?.transfer),
      );
      expect(transfers.map((t) => t?.status)).toEqual(['synced', 'failed', 'synced']);
      expect(transfers[1]?.error).toMatchObject({ code: 'invalid_recipient' });
      expect(transfers.map((t) => t?.attempts)).toEqual([1, 1, 1]);
      const { entries } = await lane.emulator.log();
      expect(entries.filter((e) => e.method === 'POST' && e.path === '/recipients')).toHaveLength(1);
    });
  }

  // Backoff in tests is at most 2 s, so a delay of 4 s or more is the header's.
  for (const [kind, style] of [
    ['503_retry_after', 'http-date'],
    ['429_retry_after', 'http-date'],
    ['503_retry_after', 'seconds'],
  ] as const) {
    it(`honours Retry-After on ${kind.slice(0, 3)} given as ${style}`, async () => {
      const { lane, newsletterId } = await open();
      const user = uid('u');
      const email = `${user}@example.com`;
      await lane.emulator.rule({ kind, email, times: 1, retryAfterSeconds: 4, retryAfterStyle: style });
      await lane.postEvent(confirmed(user, newsletterId, email, {}, at()));
      const rounds = await lane.drain();
      const view = await lane.settled(user);
      // A 429 is the provider's pacing: it waits without counting an attempt; a 503 counts one.
      expect(view.subscriptions[0]?.transfer).toMatchObject({
        status: 'synced',
        attempts: kind === '429_retry_after' ? 1 : 2,
      });
      // The wait is asked of the queue: as a retry of the message, or as a fresh message.
      const asked = [
        ...rounds.flatMap((r) => r.retried.map((m) => m.delaySeconds ?? 0)),
        ...lane.sent().map((m) => m.delaySeconds),
      ];
      expect(Math.max(...asked)).toBeGreaterThanOrEqual(4);
      // An http-date has whole seconds: allow one for the clock having moved on.
      expect(Math.max(...asked)).toBeLessThanOrEqual(6);
    });
  }
});
