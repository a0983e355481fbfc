import { and, asc, eq, inArray, isNotNull, isNull, lte, ne, or, sql } from 'drizzle-orm';
import type { Executor } from './client';
import { newsletters, recipients, subscribers, subscriptions } from './schema';

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

/**
 * Rows whose subscriber's address, lower-cased, is in `emails`, and that have or may have a
 * recipient under it in one of `listIds`: in one of these newsletters (mapped to those lists) or
 * owning a recipient there (from before a mapping change), in any state but deleted, with a
 * recipient known or possibly created (a write-ahead address, or a subscribed push still to
 * come). `ownedLists` are the lists they own recipients in, comma-separated.
 */
export function addressHolders(db: Executor, newsletterIds: string[], listIds: string[], emails: string[]) {
  const owns = (lists: string[] | null) =>
    sql`exists (select 1 from ${recipients} where ${recipients.subscriptionId} = ${subscriptions.id}${
      lists ? sql` and ${inArray(recipients.listId, lists)}` : sql``
    })`;
  return db
    .select({
      id: subscriptions.id,
      userId: subscriptions.userId,
      newsletterId: subscriptions.newsletterId,
      email: sql<string>`lower(${subscribers.email})`,
      emailSince: subscribers.emailSince,
      createdAt: subscriptions.createdAt,
      listId: subscriptions.listId,
      recipientId: subscriptions.recipientId,
      ownedLists: sql<
        string | null
      >`(select group_concat(${recipients.listId}) from ${recipients} where ${recipients.subscriptionId} = ${subscriptions.id})`,
    })
    .from(subscriptions)
    .innerJoin(subscribers, eq(subscribers.userId, subscriptions.userId))
    .where(
      and(
        ne(subscriptions.state, 'deleted'),
        inArray(sql`lower(${subscribers.email})`, emails),
        or(inArray(subscriptions.newsletterId, newsletterIds), owns(listIds)),
        or(
          isNotNull(subscriptions.recipientId),
          isNotNull(subscriptions.lookupEmails),
          owns(null),
          and(eq(subscriptions.state, 'subscribed'), ne(subscriptions.transferStatus, 'failed')),
        ),
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
