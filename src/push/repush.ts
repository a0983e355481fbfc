import type { Config } from '../config';
import type { Db } from '../db/client';
import { markForRepush, type RepushFilter } from '../db/subscriptions-transfer';
import { enqueueAfterCommit, syncMessages } from '../schemas/queue';

/** How many ids one request enqueues directly; the sweep picks up the rest of a large set. */
export const IMMEDIATE_ENQUEUE_LIMIT = 5000;

/**
 * Marks matching subscriptions pending with a new version (a fresh transfer, attempts reset)
 * and enqueues them. Used by admin retries, by reconciliation and by the push itself.
 */
export async function repush(config: Config, db: Db, where: RepushFilter, now = Date.now()) {
  return enqueueRepushed(config, await markForRepush(db, where, now));
}

/**
 * Enqueues rows a repush marked, once their batch has committed: for a caller that marks them
 * in a batch of its own (`markForRepush` as one of its statements), as a mapping change does.
 */
export async function enqueueRepushed(config: Config, marked: { id: string }[]) {
  const ids = marked.map((r) => r.id);
  const direct = ids.slice(0, IMMEDIATE_ENQUEUE_LIMIT);
  await enqueueAfterCommit(config.SYNC_QUEUE, syncMessages(direct));
  return { repushed: ids.length, enqueued: direct.length, ids };
}
