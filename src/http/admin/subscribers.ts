import { Hono } from 'hono';
import type * as v from 'valibot';
import { findUserSubscription } from '../../db/subscriptions';
import { guardSubscriptionExists, markForRepush, ofUserNewsletter } from '../../db/subscriptions-transfer';
import { commitAnswering, isStaleRead } from '../../db/write-batch';
import { problems } from '../../lib/problem';
import { enqueueRepushed } from '../../push/repush';
import type { RetryOne } from '../../schemas/admin';
import { NewsletterId, UserId } from '../../schemas/events';
import type { AppEnv } from '../context';
import { pathParams } from './body';
import { subscriberView } from './views';

export const subscribersApp = new Hono<AppEnv>()
  .get('/:userId', async (c) => {
    const { userId } = pathParams(c, { userId: UserId });
    const view = await subscriberView(c.var.config, c.var.db, userId);
    if (!view) throw problems.notFound(`No subscriber with userId ${JSON.stringify(userId)} is known.`);
    return c.json(view);
  })
  /**
   * Retries one transfer: the desired state is pushed again as a fresh transfer. plan.ts
   * decides what is sent, so a retry never re-subscribes a recipient the provider shows as
   * unsubscribed (contract §6, consent).
   */
  .post('/:userId/subscriptions/:newsletterId/retry', async (c) => {
    const { config, db } = c.var;
    const { userId, newsletterId } = pathParams(c, { userId: UserId, newsletterId: NewsletterId });
    // One transaction: the status as it was and the fresh transfer. The guard refuses the batch
    // when there is no such subscription, which is the 404.
    const { row, marked } = await commitAnswering(async () => async () => {
      try {
        const [, [row], marked] = await db.batch([
          guardSubscriptionExists(db, userId, newsletterId),
          findUserSubscription(db, userId, newsletterId),
          markForRepush(db, ofUserNewsletter(userId, newsletterId), Date.now()),
        ]);
        return { row, marked };
      } catch (error) {
        if (!isStaleRead(error)) throw error;
        throw problems.notFound(
          `User ${JSON.stringify(userId)} has no subscription to ${JSON.stringify(newsletterId)}.`,
        );
      }
    });
    if (!row) throw problems.internal();
    const pushed = await enqueueRepushed(config, marked);
    const answer: v.InferOutput<typeof RetryOne> = {
      subscriptionId: row.id,
      previousStatus: row.status,
      status: 'pending',
      enqueued: pushed.enqueued > 0,
    };
    return c.json(answer, 202);
  });
