import { Hono } from 'hono';
import type * as v from 'valibot';
import { failedOf } from '../../db/subscriptions-transfer';
import { clearPause, pendingInResumeOrder, readPause, setPause } from '../../db/transfer-pause';
import { enqueueRepushed, IMMEDIATE_ENQUEUE_LIMIT, repush } from '../../push/repush';
import type { PauseState, Resumed, RetryMany } from '../../schemas/admin';
import { PauseBody, TransfersRetryBody } from '../../schemas/admin-requests';
import type { AppEnv } from '../context';
import { pauseView } from '../pause-view';
import { jsonBody } from './body';

/**
 * Retries every failed transfer (of one newsletter, or all): each is pushed again as a fresh
 * transfer of its desired state. Like every push it never re-subscribes anyone the provider
 * shows as unsubscribed. A set larger than repush's direct limit is finished by the sweep.
 *
 * The pause switch: while it stands no transfer is written to the provider (the consumer leases
 * nothing, the sweep re-sends nothing); intake, unsubscribe links and portal notices go on.
 */
export const transfersApp = new Hono<AppEnv>()
  .post('/retry', async (c) => {
    const { config, db } = c.var;
    const body = await jsonBody(c, TransfersRetryBody, { optional: true });
    const pushed = await repush(config, db, failedOf(body.newsletterId));
    const answer: v.InferOutput<typeof RetryMany> = { retried: pushed.repushed, enqueued: pushed.enqueued };
    return c.json(answer, 202);
  })
  .get('/pause', async (c) => {
    const [row] = await readPause(c.var.db);
    const answer: v.InferOutput<typeof PauseState> = pauseView(row);
    return c.json(answer);
  })
  .put('/pause', async (c) => {
    const body = await jsonBody(c, PauseBody);
    const [row] = await setPause(c.var.db, body.reason, Date.now());
    const answer: v.InferOutput<typeof PauseState> = pauseView(row);
    return c.json(answer);
  })
  .delete('/pause', async (c) => {
    const { config, db } = c.var;
    const now = Date.now();
    const [[was], waiting] = await db.batch([clearPause(db), pendingInResumeOrder(db, IMMEDIATE_ENQUEUE_LIMIT)]);
    // What waited goes now, cancellations and erasures first; the sweep sends what is left.
    const pushed = was ? await enqueueRepushed(config, waiting) : { enqueued: 0 };
    const answer: v.InferOutput<typeof Resumed> = {
      ...pauseView(null),
      resumedAfterSeconds: was ? Math.max(0, Math.round((now - was.pausedAt) / 1000)) : null,
      enqueued: pushed.enqueued,
    };
    return c.json(answer);
  });
