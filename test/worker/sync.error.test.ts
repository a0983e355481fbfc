import { createMessageBatch, env, getQueueResult, createExecutionContext } from 'cloudflare:test';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { getConfig } from '../../src/config';
import { createDb } from '../../src/db/client';
import { handleQueue } from '../../src/handlers';
import { storeEvents } from '../../src/sync/intake';
import { sweepPending } from '../../src/sync/sweep';
import { emulator } from '../support/emulator';
import { TEST_LISTS } from '../support/settings';
import { at, confirmed, mapNewsletter, postEvent, settled, subscriber, uid, waitFor } from '../support/worker';

const LIST = TEST_LISTS[2]!.id;

describe('retries that end', () => {
  const newsletterId = uid('retry');
  beforeAll(async () => {
    await mapNewsletter(newsletterId, LIST);
  });
  afterEach(async () => {
    await emulator.clearFaults();
  });

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
    await postEvent({ type: 'subscriber.updated', occurredAt: at(1000), data: { userId: user, email: `${user}.2@example.com` } });
    await settled(user, 25_000);
    const mine = (await emulator.recipients(LIST)).filter((r) => r.email.startsWith(user));
    expect(mine.map((r) => r.email)).toEqual([`${user}.2@example.com`]);
  });

  it('stops after SYNC_MAX_ATTEMPTS and shows failed with the last provider message', async () => {
    const user = uid('u');
    const email = `${user}@example.com`;
    await emulator.rule({ kind: 'status', status: 503, email, times: 40, body: { status: 503, errorMessage: 'Service temporarily unavailable' } });
    await postEvent(confirmed(user, newsletterId, email));
    const view = await settled(user, 100_000);
    expect(view.subscriptions[0]?.transfer).toMatchObject({
      status: 'failed',
      attempts: 25,
      error: { message: 'Service temporarily unavailable', httpStatus: 503 },
    });
  }, 120_000);
});

describe('nothing lost', () => {
  it('the sweep re-sends transfers whose queue message was dropped', async () => {
    const config = getConfig(env);
    const db = createDb(config);
    const newsletterId = uid('dropped');
    await mapNewsletter(newsletterId, LIST);
    // Stored as the intake stores them, but the enqueue "is lost": no message is sent.
    const users = Array.from({ length: 5 }, () => uid('u'));
    const { pushIds } = await storeEvents(
      db,
      users.map((u) => ({ eventId: uid('msg'), bodyHash: uid('h'), event: confirmed(u, newsletterId, `${u}@example.com`) as never })),
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
    const { pushIds } = await storeEvents(db, [{ eventId: uid('msg'), bodyHash: 'h', event: confirmed(uid('u'), uid('nl'), 'x@example.com') as never }]);
    expect(pushIds).toHaveLength(1);
    const swept = await sweepPending({ ...config, SWEEP_PENDING_AFTER_SECONDS: 3600 }, db);
    expect(swept).toBe(0);
  });
});

describe('queue bodies', () => {
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
    const { pushIds } = await storeEvents(db, [{ eventId: uid('msg'), bodyHash: 'h', event: confirmed(user, uid('nl'), `${user}@example.com`) as never }]);
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
