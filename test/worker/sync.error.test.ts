import { createExecutionContext, createMessageBatch, env, getQueueResult } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { getConfig } from '../../src/config';
import { createDb } from '../../src/db/client';
import { handleQueue } from '../../src/handlers';
import { storeEvents } from '../../src/intake/store-events';
import { sweepPending } from '../../src/push/sweep';
import { defined } from '../support/defined';
import { emulator } from '../support/emulator';
import { openLane } from '../support/lane';
import { ownList } from '../support/lists';
import { TEST_LISTS } from '../support/settings';
import { at, confirmed, mapNewsletter, postEvent, settled, subscriber, uid, waitFor } from '../support/worker';

/** In a lane (an account of its own) one newsletter may use a seeded list. */
const LANE_LIST = TEST_LISTS[2].id;

describe('retries that end', () => {
  const newsletterId = uid('retry');
  let list = '';
  beforeAll(async () => {
    list = await ownList('retry');
    await mapNewsletter(newsletterId, list);
  });
  // No clearFaults() here: it would lift other files' rules on the shared emulator. Each rule
  // below names this test's own address and is used up by the retries it provokes.

  it('retries 503s with backoff and ends synced', async () => {
    const user = uid('u');
    const email = `${user}@example.com`;
    await emulator.rule({ kind: '503', email, times: 2 });
    await postEvent(confirmed(user, newsletterId, email));
    const view = await settled(user, 25_000);
    expect(view.subscriptions[0]?.transfer).toMatchObject({ status: 'synced', attempts: 3 });
    const attempts = view.timeline.filter((t) => t.kind === 'attempt').map((t) => t.outcome);
    expect(attempts).toEqual(['synced', 'retry', 'retry']);
  });

  it('honours Retry-After on a 429 before trying again', async () => {
    const user = uid('u');
    const email = `${user}@example.com`;
    await emulator.rule({ kind: '429_retry_after', email, times: 1, retryAfterSeconds: 2 });
    const started = Date.now();
    await postEvent(confirmed(user, newsletterId, email));
    const view = await settled(user, 25_000);
    expect(view.subscriptions[0]?.transfer.status).toBe('synced');
    expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
  });

  it('treats a timeout as retryable', async () => {
    const user = uid('u');
    const email = `${user}@example.com`;
    await emulator.rule({ kind: 'timeout', email, times: 1, delayMs: 3000 });
    await postEvent(confirmed(user, newsletterId, email));
    const view = await settled(user, 25_000);
    expect(view.subscriptions[0]?.transfer.status).toBe('synced');
    expect(view.timeline.some((t) => t.kind === 'attempt' && t.outcome === 'retry')).toBe(true);
  });

  it('a 5xx after the write leaves exactly one recipient, even when the address changes before the retry', async () => {
    const user = uid('u');
    const email = `${user}@example.com`;
    await emulator.rule({ kind: '500_after_write', email, times: 1 });
    await postEvent(confirmed(user, newsletterId, email, {}, at(0)));
    await waitFor(async () => (await subscriber(user))?.subscriptions[0]?.transfer.attempts === 1, 'the first attempt');
    await postEvent({
      type: 'subscriber.updated',
      occurredAt: at(1000),
      data: { userId: user, email: `${user}.2@example.com` },
    });
    await settled(user, 25_000);
    const mine = (await emulator.recipients(list)).filter((r) => r.email.startsWith(user));
    expect(mine.map((r) => r.email)).toEqual([`${user}.2@example.com`]);
  });

  it('stops after SYNC_MAX_ATTEMPTS and shows failed with the last provider message', async () => {
    // A lane with 4 attempts and production-like backoff: the limit and the delays asked of the
    // queue are under test, not the waiting, so the lane delivers each retry at once.
    const lane = await openLane({
      settings: { SYNC_MAX_ATTEMPTS: '4', SYNC_BACKOFF_BASE_SECONDS: '10', SYNC_BACKOFF_MAX_SECONDS: '30' },
    });
    try {
      const nl = uid('retry');
      await lane.mapNewsletter(nl, LANE_LIST);
      const user = uid('u');
      const email = `${user}@example.com`;
      await lane.emulator.rule({
        kind: 'status',
        status: 503,
        email,
        times: 40,
        body: { status: 503, errorMessage: 'Service temporarily unavailable' },
      });
      await lane.postEvent(confirmed(user, nl, email));
      const rounds = await lane.drain();
      const view = await lane.settled(user);
      expect(view.subscriptions[0]?.transfer).toMatchObject({
        status: 'failed',
        attempts: 4,
        error: { message: 'Service temporarily unavailable', httpStatus: 503 },
      });
      // Three retries, each in its exponential window with equal jitter (10, 20, then the 30 s
      // cap, at least half of each), then the failure is acked.
      const delays = rounds.map((r) => r.retried.map((m) => m.delaySeconds ?? 0));
      expect(delays.map((d) => d.length)).toEqual([1, 1, 1, 0]);
      for (const [i, window] of [10, 20, 30].entries()) {
        expect(delays[i]?.[0]).toBeGreaterThanOrEqual(window / 2);
        expect(delays[i]?.[0]).toBeLessThanOrEqual(window);
      }
      expect(rounds.at(-1)?.acked).toHaveLength(1);
    } finally {
      await lane.close();
    }
  });
});

describe('nothing lost', () => {
  it('the sweep re-sends transfers whose queue message was dropped', async () => {
    const config = getConfig(env);
    const db = createDb(config);
    const newsletterId = uid('dropped');
    await mapNewsletter(newsletterId, await ownList('dropped'));
    // Stored as the intake stores them, but the enqueue "is lost": no message is sent.
    const users = Array.from({ length: 5 }, () => uid('u'));
    const { pushIds } = await storeEvents(
      db,
      users.map((u) => ({
        eventId: uid('msg'),
        bodyHash: uid('h'),
        event: confirmed(u, newsletterId, `${u}@example.com`) as never,
      })),
    );
    expect(pushIds).toHaveLength(5);
    await new Promise((r) => setTimeout(r, 1500));
    for (const u of users) expect((await subscriber(u))?.subscriptions[0]?.transfer.status).toBe('pending');

    const swept = await sweepPending({ ...config, SWEEP_PENDING_AFTER_SECONDS: 0 }, db);
    expect(swept).toBeGreaterThanOrEqual(5);
    for (const u of users) expect((await settled(u)).subscriptions[0]?.transfer.status).toBe('synced');
  });

  it('the sweep leaves fresh pending transfers to their own messages', async () => {
    const config = getConfig(env);
    const db = createDb(config);
    const { pushIds } = await storeEvents(db, [
      { eventId: uid('msg'), bodyHash: 'h', event: confirmed(uid('u'), uid('nl'), 'x@example.com') as never },
    ]);
    expect(pushIds).toHaveLength(1);
    const swept = await sweepPending({ ...config, SWEEP_PENDING_AFTER_SECONDS: 3600 }, db);
    expect(swept).toBe(0);
  });
});

describe('queue bodies', () => {
  it('one batch, three fates: a transfer done and one refused are acked, one the provider may still take is retried with backoff', async () => {
    const lane = await openLane({ settings: { SYNC_BACKOFF_BASE_SECONDS: '10', SYNC_BACKOFF_MAX_SECONDS: '60' } });
    try {
      const nl = uid('fates');
      await lane.mapNewsletter(nl, LANE_LIST);
      const [done, refused, later] = [uid('u'), uid('u'), uid('u')];
      for (const u of [done, refused, later]) await lane.postEvent(confirmed(u, nl, `${u}@example.com`, {}, at(0)));
      await lane.drain();
      // Profile updates: one PATCH per recipient, so each message meets its own answer.
      await lane.emulator.rule({
        kind: 'status',
        status: 400,
        method: 'PATCH',
        email: `${refused}@example.com`,
        times: 5,
        body: { status: 400, code: 1010, errorMessage: 'Refused for the test' },
      });
      await lane.emulator.rule({ kind: '503', method: 'PATCH', email: `${later}@example.com`, times: 1 });
      for (const u of [done, refused, later])
        await lane.postEvent({
          type: 'subscriber.updated',
          occurredAt: at(1000),
          data: { userId: u, email: `${u}@example.com`, firstName: 'Neu' },
        });
      const [firstRound, secondRound, ...rest] = await lane.drain();
      expect(rest).toEqual([]);
      const first = defined(firstRound, 'a first queue round');
      const second = defined(secondRound, 'a second queue round');
      expect(first.messages).toHaveLength(3);
      const idOf = async (u: string) =>
        defined((await lane.subscriber(u))?.subscriptions[0], `a subscription of ${u}`).subscriptionId;
      const ids = { done: await idOf(done), refused: await idOf(refused), later: await idOf(later) };
      const messageFor = (subscriptionId: string) =>
        defined(
          first.messages.find((m) => (m.body as { subscriptionId: string }).subscriptionId === subscriptionId),
          `the message for ${subscriptionId}`,
        ).id;
      expect(first.acked.sort()).toEqual([messageFor(ids.done), messageFor(ids.refused)].sort());
      expect(first.retried).toHaveLength(1);
      expect(first.retried[0]?.id).toBe(messageFor(ids.later));
      // The first retry's window is the base, 10 s, with equal jitter: at least half of it.
      expect(first.retried[0]?.delaySeconds).toBeGreaterThanOrEqual(5);
      expect(first.retried[0]?.delaySeconds).toBeLessThanOrEqual(10);
      expect(second.messages.map((m) => m.attempts)).toEqual([2]);
      expect(await lane.emulator.find(LANE_LIST, `${done}@example.com`)).toMatchObject({ first_name: 'Neu' });
      expect(second.acked).toEqual([messageFor(ids.later)]);
      expect((await lane.subscriber(later))?.subscriptions[0]?.transfer).toMatchObject({
        status: 'synced',
        attempts: 2,
      });
      expect(await lane.emulator.find(LANE_LIST, `${later}@example.com`)).toMatchObject({ first_name: 'Neu' });
      expect((await lane.subscriber(refused))?.subscriptions[0]?.transfer).toMatchObject({
        status: 'failed',
        error: { message: 'Refused for the test' },
      });
    } finally {
      await lane.close();
    }
  });

  it('acks and records a body that is not a known message, instead of retrying it forever', async () => {
    const config = getConfig(env);
    const batch = createMessageBatch<unknown>('newsletter-bridge-sync', [
      { id: 'm1', timestamp: new Date(), attempts: 1, body: { kind: 'bogus' } },
      { id: 'm2', timestamp: new Date(), attempts: 1, body: 'just a string' },
    ]);
    const ctx = createExecutionContext();
    await handleQueue(config, batch);
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks.sort()).toEqual(['m1', 'm2']);
    expect(result.retryMessages).toEqual([]);
  });

  it('the dead-letter consumer records what reached it and marks the transfer failed', async () => {
    const config = getConfig(env);
    const db = createDb(config);
    const user = uid('u');
    const { pushIds } = await storeEvents(db, [
      { eventId: uid('msg'), bodyHash: 'h', event: confirmed(user, uid('nl'), `${user}@example.com`) as never },
    ]);
    const batch = createMessageBatch(config.DEAD_LETTER_QUEUE, [
      { id: 'd1', timestamp: new Date(), attempts: 21, body: { kind: 'sync', subscriptionId: pushIds[0] } },
    ]);
    const ctx = createExecutionContext();
    await handleQueue(config, batch);
    expect((await getQueueResult(batch, ctx)).explicitAcks).toEqual(['d1']);
    const view = await subscriber(user);
    expect(view?.subscriptions[0]?.transfer).toMatchObject({ status: 'failed', error: { code: 'dead-letter' } });
    expect(view?.timeline.some((t) => t.kind === 'dead-letter')).toBe(true);
  });
});
