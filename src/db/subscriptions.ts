import { inArray, sql } from 'drizzle-orm';
import type { Executor } from './client';
import { fromExcluded } from './excluded';
import { subscriptions } from './schema';

/**
 * Subscriptions as desired state: what intake writes, what the unsubscribe link and the admin
 * views read. Their transfer to the provider: subscriptions-push.ts and subscriptions-transfer.ts.
 */

export type { Subscription } from './schema';
export type NewSubscription = typeof subscriptions.$inferInsert;

export function subscriptionsOfUsers(db: Executor, userIds: string[]) {
  return db.select().from(subscriptions).where(inArray(subscriptions.userId, userIds));
}

/** What every upsert of desired state overwrites; the transfer columns are the caller's choice. */
const desired = fromExcluded(subscriptions, [
  'state',
  'stateAt',
  'stateBy',
  'resubscribe',
  'lookupEmails',
  'updatedAt',
]);

/** Upserts rows whose change must reach the provider: a new version, its transfer started afresh. */
export function upsertToPush(db: Executor, rows: NewSubscription[]) {
  return db
    .insert(subscriptions)
    .values(rows)
    .onConflictDoUpdate({
      target: subscriptions.id,
      set: {
        ...desired,
        version: sql`${subscriptions.version} + 1`,
        transferStatus: 'pending',
        pendingSince: sql`excluded.updated_at`,
        attempts: 0,
        nextAttemptAt: null,
        // A conflict stays until the portal changes the state it is about.
        conflict: sql`CASE WHEN excluded.state <> ${subscriptions.state} THEN NULL ELSE ${subscriptions.conflict} END`,
      },
    });
}

/** Upserts rows whose change the provider need not hear of: version and transfer stay. */
export function upsertKeepingTransfer(db: Executor, rows: NewSubscription[]) {
  return db.insert(subscriptions).values(rows).onConflictDoUpdate({ target: subscriptions.id, set: desired });
}
