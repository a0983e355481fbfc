import { and, asc, eq, inArray, isNull, lte, or, sql } from 'drizzle-orm';
import type { Executor } from './client';
import { newsletters, subscribers, subscriptions } from './schema';

/**
 * Finding the transfers to push and holding them while a consumer talks to the provider: the
 * sweep's due rows, the leases (see schema.ts, `leaseUntil`), and the rows a push is planned from.
 */

/** Leases those among `ids` that are pending and free (never leased, or the lease has ended). */
export function leasePendingRows(db: Executor, ids: string[], now: number, leaseMs: number) {
  return db
    .update(subscriptions)
    .set({ leaseUntil: now + leaseMs })
    .where(
      and(
        inArray(subscriptions.id, ids),
        eq(subscriptions.transferStatus, 'pending'),
        or(isNull(subscriptions.leaseUntil), lte(subscriptions.leaseUntil, now)),
      ),
    )
    .returning({ id: subscriptions.id });
}

/** The leases of those among `ids` still pending. */
export function pendingLeases(db: Executor, ids: string[]) {
  return db
    .select({ id: subscriptions.id, leaseUntil: subscriptions.leaseUntil })
    .from(subscriptions)
    .where(and(inArray(subscriptions.id, ids), eq(subscriptions.transferStatus, 'pending')));
}

export function clearLeases(db: Executor, ids: string[]) {
  return db.update(subscriptions).set({ leaseUntil: null }).where(inArray(subscriptions.id, ids));
}

/** The subscriptions with their subscriber's profile and their newsletter's list, if any. */
export function subscriptionsForPush(db: Executor, ids: string[]) {
  return db
    .select({ s: subscriptions, p: subscribers, listId: newsletters.listId })
    .from(subscriptions)
    .leftJoin(subscribers, eq(subscribers.userId, subscriptions.userId))
    .leftJoin(newsletters, eq(newsletters.newsletterId, subscriptions.newsletterId))
    .where(inArray(subscriptions.id, ids));
}

/** Subscribed rows of these newsletters whose subscriber's address, lower-cased, is in `emails`. */
export function addressHolders(db: Executor, newsletterIds: string[], emails: string[]) {
  return db
    .select({
      id: subscriptions.id,
      userId: subscriptions.userId,
      newsletterId: subscriptions.newsletterId,
      email: sql<string>`lower(${subscribers.email})`,
      emailSince: subscribers.emailSince,
      createdAt: subscriptions.createdAt,
    })
    .from(subscriptions)
    .innerJoin(subscribers, eq(subscribers.userId, subscriptions.userId))
    .where(
      and(
        eq(subscriptions.state, 'subscribed'),
        inArray(subscriptions.newsletterId, newsletterIds),
        inArray(sql`lower(${subscribers.email})`, emails),
      ),
    );
}

/** Pending rows whose next attempt (or last change) is at or before `cutoff`, longest waiting first. */
export function duePending(db: Executor, cutoff: number, limit: number) {
  return db
    .select({ id: subscriptions.id })
    .from(subscriptions)
    .where(
      and(
        eq(subscriptions.transferStatus, 'pending'),
        lte(sql`coalesce(${subscriptions.nextAttemptAt}, ${subscriptions.updatedAt})`, cutoff),
      ),
    )
    .orderBy(asc(sql`coalesce(${subscriptions.nextAttemptAt}, ${subscriptions.updatedAt})`))
    .limit(limit);
}

/** Restarts the sweep's clock on rows it re-sent. */
export function markSwept(db: Executor, ids: string[], now: number) {
  return db.update(subscriptions).set({ nextAttemptAt: now }).where(inArray(subscriptions.id, ids));
}
