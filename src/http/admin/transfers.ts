import { Hono } from 'hono';
import type * as v from 'valibot';
import { failedOf } from '../../db/subscriptions-transfer';
import { repush } from '../../push/repush';
import type { RetryMany } from '../../schemas/admin';
import { TransfersRetryBody } from '../../schemas/admin-requests';
import type { AppEnv } from '../context';
import { jsonBody } from './body';

/**
 * Retries every failed transfer (of one newsletter, or all): each is pushed again as a fresh
 * transfer of its desired state. Like every push it never re-subscribes anyone the provider
 * shows as unsubscribed. A set larger than repush's direct limit is finished by the sweep.
 */
export const transfersApp = new Hono<AppEnv>().post('/retry', async (c) => {
  const { config, db } = c.var;
  const body = await jsonBody(c, TransfersRetryBody, { optional: true });
  const pushed = await repush(config, db, failedOf(body.newsletterId));
  const answer: v.InferOutput<typeof RetryMany> = { retried: pushed.repushed, enqueued: pushed.enqueued };
  return c.json(answer, 202);
});
