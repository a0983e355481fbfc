import { eq } from 'drizzle-orm';
import * as v from 'valibot';
import { beforeAll, describe, expect, it } from 'vitest';
import { notices } from '../../src/db/schema';
import { handleScheduled } from '../../src/handlers';
import { deliverDueNotices } from '../../src/notify/deliver';
import { createNotice, noticeMessages } from '../../src/notify/notices';
import { CancelledNotice, ConflictNotice } from '../../src/schemas/notices';
import { enqueue } from '../../src/schemas/queue';
import { ownList } from '../support/lists';
import {
  config,
  database,
  forUser,
  noticesOf,
  noticesSettled,
  portal,
  postForm,
  subscribedTo,
} from '../support/unsubscribe';
import { mapNewsletter, subscriber, uid, waitFor } from '../support/worker';

describe('the worker tells the portal (contract §4)', () => {
  const weekly = uid('weekly');
  beforeAll(async () => {
    await mapNewsletter(weekly, await ownList('weekly'), 'Weekly');
  });

  it('an unsubscribe by link reaches the portal as a signed subscription.cancelled, webhook-id = notice id', async () => {
    const user = uid('u');
    const { link } = await subscribedTo(user, [weekly]);
    await postForm(link(weekly), { scope: 'one' });
    const [notice] = await noticesSettled(user, 1);
    expect(notice).toMatchObject({
      type: 'subscription.cancelled',
      status: 'delivered',
      attempts: 1,
      lastStatus: 204,
      lastError: null,
    });

    const received = await portal.received(forUser(user));
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({ id: notice?.id, verified: true, status: 204 });
    const stateSince = (await subscriber(user))?.subscriptions[0] as { stateSince?: string } | undefined;
    expect(received[0]?.body).toEqual({
      type: 'subscription.cancelled',
      occurredAt: stateSince?.stateSince,
      source: 'unsubscribe-link',
      data: { userId: user, newsletterId: weekly },
    });
    // The body is what the OpenAPI document's webhook says, field for field (strict schema).
    expect(v.safeParse(CancelledNotice, received[0]?.body).issues).toBeUndefined();
  });

  it('a portal that fails at first gets the notice again with growing delays, then it is delivered', async () => {
    const user = uid('u');
    const { link } = await subscribedTo(user, [weekly]);
    await portal.fail(3, 503, user);
    await postForm(link(weekly), { scope: 'one' });
    const first = await waitFor(
      async () => (await noticesOf(user)).find((n) => n.lastStatus === 503),
      'the first failed attempt',
    );
    expect(first).toMatchObject({ status: 'pending', attempts: 1, lastError: 'The portal answered HTTP 503' });

    // The scheduled run's delivery, run at the moment each retry falls due.
    const db = database();
    const dueTimes: number[] = [];
    for (let i = 0; i < 6; i++) {
      const [row] = await db.select().from(notices).where(eq(notices.id, first.id));
      if (row?.status !== 'pending' || row.nextAttemptAt == null) break;
      dueTimes.push(row.nextAttemptAt);
      await deliverDueNotices(config(), db, row.nextAttemptAt);
    }
    const [done] = await noticesOf(user);
    expect(done).toMatchObject({ status: 'delivered', attempts: 4, lastStatus: 204, lastError: null });
    const attempts = (await portal.received(forUser(user))).filter((n) => n.id === first.id);
    expect(attempts.map((n) => n.status)).toEqual([503, 503, 503, 204]);
    expect(attempts.every((n) => n.verified === true)).toBe(true);
    // Backoff with jitter: the k-th wait lies in [base·2^(k-1)/2, base·2^(k-1)] (base 30 s);
    // attempts 2 and 3 ran exactly when due, so their waits are the gaps between due times.
    const gaps = dueTimes.slice(1).map((t, i) => (t - (dueTimes[i] ?? 0)) / 1000);
    expect(gaps).toHaveLength(2);
    gaps.forEach((gap, k) => {
      expect(gap).toBeGreaterThanOrEqual((30 * 2 ** (k + 1)) / 2);
      expect(gap).toBeLessThanOrEqual(30 * 2 ** (k + 1) + 1);
    });
  });

  it('nothing depends on the queue message: the scheduled run delivers a notice whose message was lost', async () => {
    const user = uid('u');
    const id = await createNotice(database(), {
      type: 'subscription.cancelled',
      userId: user,
      subscriptionId: null,
      source: 'unsubscribe-link',
      data: { userId: user, newsletterId: weekly },
    });
    expect((await noticesOf(user))[0]).toMatchObject({ id, status: 'pending', attempts: 0 });
    await handleScheduled(config(), { cron: '*/5 * * * *', scheduledTime: Date.now() });
    expect((await noticesOf(user))[0]).toMatchObject({ id, status: 'delivered', attempts: 1 });
    expect((await portal.received(forUser(user))).map((n) => n.id)).toEqual([id]);
  });

  it('reconciliation conflicts go out the same way, with their own body shape', async () => {
    const user = uid('u');
    const db = database();
    const id = await createNotice(db, {
      type: 'subscription.conflict',
      userId: user,
      subscriptionId: null,
      data: { userId: user, newsletterId: weekly, reason: 'blacklisted' },
    });
    await enqueue(config().SYNC_QUEUE, noticeMessages([id ?? '']));
    const [notice] = await noticesSettled(user, 1);
    expect(notice).toMatchObject({ id, type: 'subscription.conflict', status: 'delivered' });
    const [received] = await portal.received(forUser(user));
    expect(received).toMatchObject({ id, verified: true });
    expect(received?.body).toEqual({
      type: 'subscription.conflict',
      occurredAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      data: { userId: user, newsletterId: weekly, reason: 'blacklisted' },
    });
    expect(v.safeParse(ConflictNotice, received?.body).issues).toBeUndefined();
  });
});
