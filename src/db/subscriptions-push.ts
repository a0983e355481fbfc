import { and, asc, eq, inArray, isNotNull, isNull, lte, ne, or, sql } from 'drizzle-orm';
import type { Executor } from './client';
import { newsletters, recipients, subscribers, subscriptions, transferPause } from './schema';

/**
 * Finding the transfers to push and holding them while a consumer talks to the provider: the
 * sweep's due rows, the leases (see schema.ts, `leaseUntil`), and the rows a push is planned from.
 */

/** No pause stands (see schema.ts, `transferPause`): every statement that sends work checks it. */
const notPaused = sql`not exists (select 1 from ${transferPause})`;

/**
 * Leases those among `ids` that are pending and free (never leased, or the lease has ended), and
 * none while transfers are paused (the pause is checked in the same statement).
 */
export function leasePendingRows(db: Executor, ids: string[], now: number, leaseMs: number) {
  return db
    .update(subscriptions)
    .set({ leaseUntil: now + leaseMs })
    .where(
      and(
        inArray(subscriptions.id, ids),
        eq(subscriptions.transferStatus, 'pending'),
        or(isNull(subscriptions.leaseUntil), lte(subscriptions.leaseUntil, now)),
        notPaused,
      ),
    )
    .returning({ id: subscriptions.id });
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
 * Rows whose subscriber's address, lower-cased, is that of a subscribed row among `ids`, and
 * that have or may have a recipient under it in a list one of those rows' newsletters is mapped
 * to (scope `list`; anywhere for `account`, where the provider keeps one contact per address):
 * in one of those newsletters or owning a recipient there (from before a mapping change), in
 * any state but deleted, with a recipient known or possibly created (a write-ahead address, or a
 * subscribed push still to come). `ownedLists` are the lists they own recipients in,
 * comma-separated. The addresses and lists are subqueries, so this is read in the same round
 * trip as the rows themselves; the caller matches each row to the holders of its own address.
 */
export function addressHoldersOf(db: Executor, ids: string[], scope: 'list' | 'account') {
  const subscribedAmong = and(inArray(subscriptions.id, ids), eq(subscriptions.state, 'subscribed'));
  const emails = db
    .select({ email: sql`lower(${subscribers.email})` })
    .from(subscriptions)
    .innerJoin(subscribers, eq(subscribers.userId, subscriptions.userId))
    .where(and(subscribedAmong, isNotNull(subscribers.email)));
  const newsletterIds = db.select({ id: subscriptions.newsletterId }).from(subscriptions).where(subscribedAmong);
  const listIds = db
    .select({ id: newsletters.listId })
    .from(subscriptions)
    .innerJoin(newsletters, eq(newsletters.newsletterId, subscriptions.newsletterId))
    .where(and(subscribedAmong, isNotNull(newsletters.listId)));
  const owns = (inLists: boolean) =>
    sql`exists (select 1 from ${recipients} where ${recipients.subscriptionId} = ${subscriptions.id}${
      inLists ? sql` and ${inArray(recipients.listId, listIds)}` : sql``
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
        scope === 'list' ? or(inArray(subscriptions.newsletterId, newsletterIds), owns(true)) : undefined,
        or(
          isNotNull(subscriptions.recipientId),
          isNotNull(subscriptions.lookupEmails),
          owns(false),
          and(eq(subscriptions.state, 'subscribed'), ne(subscriptions.transferStatus, 'failed')),
        ),
      ),
    );
}

export type AddressHolder = Awaited<ReturnType<typeof addressHoldersOf>>[number];

/**
 * Pending rows whose next attempt (or last change) is at or before `cutoff`, longest waiting
 * first; none while transfers are paused (checked in the statement, as the lease does).
 */
export function duePending(db: Executor, cutoff: number, limit: number) {
  return db
    .select({ id: subscriptions.id })
    .from(subscriptions)
    .where(
      and(
        eq(subscriptions.transferStatus, 'pending'),
        lte(sql`coalesce(${subscriptions.nextAttemptAt}, ${subscriptions.updatedAt})`, cutoff),
        notPaused,
      ),
    )
    .orderBy(asc(sql`coalesce(${subscriptions.nextAttemptAt}, ${subscriptions.updatedAt})`))
    .limit(limit);
}

/** Restarts the sweep's clock on rows it re-sent. */
export function markSwept(db: Executor, ids: string[], now: number) {
  return db.update(subscriptions).set({ nextAttemptAt: now }).where(inArray(subscriptions.id, ids));
}
