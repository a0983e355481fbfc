import { and, eq, inArray, type SQL } from 'drizzle-orm';
import type { Config } from '../config';
import type { Db } from '../db/client';
import { subscriptions } from '../db/schema';
import { enqueueAfterCommit, syncMessages } from '../schemas/queue';
import { repushSet } from './record-outcomes';

/** How many ids one request enqueues directly; the sweep picks up the rest of a large set. */
export const IMMEDIATE_ENQUEUE_LIMIT = 5000;

/**
 * Marks matching subscriptions pending with a new version (a fresh transfer, attempts reset)
 * and enqueues them. Used when a mapping changes, by admin retries and by reconciliation.
 */
export async function repush(config: Config, db: Db, where: SQL | undefined, now = Date.now()) {
  const rows = await db.update(subscriptions).set(repushSet(now)).where(where).returning({ id: subscriptions.id });
  const ids = rows.map((r) => r.id);
  const direct = ids.slice(0, IMMEDIATE_ENQUEUE_LIMIT);
  await enqueueAfterCommit(config.SYNC_QUEUE, syncMessages(direct));
  return { repushed: ids.length, enqueued: direct.length, ids };
}

export const ofNewsletter = (newsletterId: string) => eq(subscriptions.newsletterId, newsletterId);
export const failedOf = (newsletterId?: string) =>
  newsletterId
    ? and(eq(subscriptions.transferStatus, 'failed'), eq(subscriptions.newsletterId, newsletterId))
    : eq(subscriptions.transferStatus, 'failed');
export const byIds = (ids: string[]) => inArray(subscriptions.id, ids);
