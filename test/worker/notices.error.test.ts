import { describe, expect, it } from 'vitest';
import { deliverNotice } from '../../src/notify/deliver';
import { createNotice } from '../../src/notify/notices';
import { retryFailedNotices, retryNotice } from '../../src/notify/retry';
import { config, database, forUser, noticesOf, noticesSettled, portal } from '../support/unsubscribe';
import { uid } from '../support/worker';

const HOUR = 3_600_000;

function cancelledNotice(user: string, createdAt = Date.now()) {
  return createNotice(
    database(),
    {
      type: 'subscription.cancelled',
      userId: user,
      subscriptionId: null,
      source: 'unsubscribe-link',
      data: { userId: user, newsletterId: 'nl-x' },
    },
    createdAt,
  );
}

describe('notice delivery when the portal does not answer 2xx', () => {
  it('after the retry window a failed attempt marks the notice failed; an admin retry then delivers it', async () => {
    const user = uid('u');
    const id = (await cancelledNotice(user, Date.now() - 73 * HOUR)) ?? '';
    await portal.fail(1, 500, user);
    expect(await deliverNotice(config(), database(), id)).toEqual({ ack: true });
    expect((await noticesOf(user))[0]).toMatchObject({
      id,
      status: 'failed',
      attempts: 1,
      lastStatus: 500,
      lastError: 'The portal answered HTTP 500',
      nextAttemptAt: null,
    });

    expect(await retryNotice(database(), config(), id)).toMatchObject({
      id,
      status: 'delivered',
      attempts: 2,
      lastStatus: 204,
      lastError: null,
    });
    expect((await portal.received(forUser(user))).map((n) => n.status)).toEqual([500, 204]);
    expect(await retryNotice(database(), config(), 'ntc_unknown')).toBeNull();
  });

  it('within the window a failure keeps the notice pending, with the next attempt scheduled', async () => {
    const user = uid('u');
    const id = (await cancelledNotice(user, Date.now() - 71 * HOUR)) ?? '';
    await portal.fail(1, 500, user);
    const disposition = await deliverNotice(config(), database(), id);
    expect(disposition).toMatchObject({ ack: false });
    const [notice] = await noticesOf(user);
    expect(notice).toMatchObject({ status: 'pending', attempts: 1, lastStatus: 500 });
    expect(Date.parse(String(notice?.nextAttemptAt))).toBeGreaterThan(Date.now());
    await retryNotice(database(), config(), id);
  });

  it('a redirect is not a delivery', async () => {
    const user = uid('u');
    const id = (await cancelledNotice(user)) ?? '';
    await portal.fail(1, 302, user);
    await deliverNotice(config(), database(), id);
    expect((await noticesOf(user))[0]).toMatchObject({
      status: 'pending',
      lastStatus: 302,
      lastError: 'The portal answered HTTP 302',
    });
    expect(await retryNotice(database(), config(), id)).toMatchObject({ status: 'delivered' });
  });

  it('an unreachable portal is recorded and retried, not lost', async () => {
    const user = uid('u');
    const id = (await cancelledNotice(user)) ?? '';
    const unreachable = { ...config(), PORTAL_WEBHOOK_URL: 'http://127.0.0.1:9/portal/webhooks' };
    expect(await deliverNotice(unreachable, database(), id)).toMatchObject({ ack: false });
    const [notice] = await noticesOf(user);
    expect(notice).toMatchObject({ status: 'pending', attempts: 1, lastStatus: null });
    expect(notice?.lastError).toMatch(/^(The portal could not be reached|No answer from the portal)/);
    expect(await retryNotice(database(), config(), id)).toMatchObject({ status: 'delivered' });
  });

  it('one notice is never sent twice at the same moment', async () => {
    const user = uid('u');
    const id = (await cancelledNotice(user)) ?? '';
    await Promise.all([0, 1, 2, 3].map(() => deliverNotice(config(), database(), id)));
    expect(await portal.received(forUser(user))).toHaveLength(1);
    expect((await noticesOf(user))[0]).toMatchObject({ status: 'delivered', attempts: 1 });
  });

  it('retryFailedNotices sends every failed notice again', async () => {
    const user = uid('u');
    const ids = [
      (await cancelledNotice(user, Date.now() - 80 * HOUR)) ?? '',
      (await cancelledNotice(user, Date.now() - 80 * HOUR)) ?? '',
    ];
    await portal.fail(2, 502, user);
    for (const id of ids) await deliverNotice(config(), database(), id);
    expect((await noticesOf(user)).map((n) => n.status)).toEqual(['failed', 'failed']);

    expect(await retryFailedNotices(database(), config(), { userId: user })).toMatchObject({ retried: 2 });
    expect((await noticesSettled(user, 2)).map((n) => n.status)).toEqual(['delivered', 'delivered']);
  });
});
