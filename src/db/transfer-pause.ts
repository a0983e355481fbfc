import { asc, eq, sql } from 'drizzle-orm';
import type { Executor } from './client';
import { subscriptions, transferPause } from './schema';

/**
 * The pause switch's row (see schema.ts, `transferPause`) and what resuming sends first. Read in
 * the same batch as the work it governs, so a pause set by one isolate stops the next batch of
 * every other at once.
 */

export function readPause(db: Executor) {
  return db.select().from(transferPause).where(eq(transferPause.id, 1)).limit(1);
}

/** Pauses, or changes the reason of a pause that stands (its start stays: "since when"). */
export function setPause(db: Executor, reason: string, now: number) {
  return db
    .insert(transferPause)
    .values({ id: 1, reason, pausedAt: now, updatedAt: now })
    .onConflictDoUpdate({ target: transferPause.id, set: { reason, updatedAt: now } })
    .returning();
}

export function clearPause(db: Executor) {
  return db.delete(transferPause).where(eq(transferPause.id, 1)).returning();
}

/**
 * What waited, in the order resuming sends it: cancellations and erasures first (a reader's
 * unsubscribe has a 48-hour deadline at the mailbox providers), each kind oldest first.
 */
export function pendingInResumeOrder(db: Executor, limit: number) {
  return db
    .select({ id: subscriptions.id })
    .from(subscriptions)
    .where(eq(subscriptions.transferStatus, 'pending'))
    .orderBy(
      asc(sql`case when ${subscriptions.state} = 'subscribed' then 1 else 0 end`),
      asc(sql`coalesce(${subscriptions.pendingSince}, ${subscriptions.updatedAt})`),
    )
    .limit(limit);
}
