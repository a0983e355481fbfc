import { Hono } from 'hono';
import * as v from 'valibot';
import type { RetryMany } from '../../openapi/shapes/admin';
import { NewsletterId } from '../../sync/events';
import { failedOf, repush } from '../../sync/repush';
import type { AppEnv } from '../context';
import { jsonBody } from './body';

/** `POST /v1/admin/transfers/retry` body; the OpenAPI request schema is generated from it. */
export const TransfersRetryBody = v.object({ newsletterId: v.optional(NewsletterId) });

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
