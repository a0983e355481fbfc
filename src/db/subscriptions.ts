import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Executor } from './client';
import { fromExcluded } from './excluded';
import { newsletters, subscriptions } from './schema';

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

export function subscriptionById(db: Executor, id: string) {
  return db.select().from(subscriptions).where(eq(subscriptions.id, id));
}

export function subscriptionsOfUser(db: Executor, userId: string) {
  return db.select().from(subscriptions).where(eq(subscriptions.userId, userId));
}

/** Whose subscription it is. */
export function findOwner(db: Executor, id: string) {
  return db.select({ userId: subscriptions.userId }).from(subscriptions).where(eq(subscriptions.id, id)).limit(1);
}

/** The subscription with its newsletter's name (null when unnamed or unmapped). */
export function findWithNewsletterName(db: Executor, id: string) {
  return db
    .select({ s: subscriptions, name: newsletters.name })
    .from(subscriptions)
    .leftJoin(newsletters, eq(newsletters.newsletterId, subscriptions.newsletterId))
    .where(eq(subscriptions.id, id))
    .limit(1);
}

/** Those among `ids` whose current state is a cancellation by the unsubscribe link. */
export function cancelledByLink(db: Executor, ids: string[]) {
  return db
    .select()
    .from(subscriptions)
    .where(
      and(
        inArray(subscriptions.id, ids),
        eq(subscriptions.state, 'unsubscribed'),
        eq(subscriptions.stateBy, 'unsubscribe-link'),
      ),
    );
}

/** When the oldest pending transfer became pending (ms), or null when none is. */
export async function oldestPendingSince(db: Executor): Promise<number | null> {
  const [row] = await db
    .select({ oldest: sql<number | null>`min(${subscriptions.pendingSince})` })
    .from(subscriptions)
    .where(eq(subscriptions.transferStatus, 'pending'));
  return row?.oldest ?? null;
}
