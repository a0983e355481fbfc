import { and, asc, eq, gt, inArray, sql } from 'drizzle-orm';
import type { SelectedFields } from 'drizzle-orm/sqlite-core';
import type { Executor } from './client';
import { fromExcluded } from './excluded';
import {
  newsletters,
  type SubscriptionState,
  subscribers,
  subscriptions,
  type TransferStatus,
  userVersions,
} from './schema';

/**
 * Subscriptions as desired state: what intake writes, what the unsubscribe link and the admin
 * views read. Their transfer to the provider: subscriptions-push.ts and subscriptions-transfer.ts.
 */

export type { Subscription } from './schema';

type NewSubscription = typeof subscriptions.$inferInsert;

export function subscriptionsOfUsers(db: Executor, userIds: string[]) {
  return db.select().from(subscriptions).where(inArray(subscriptions.userId, userIds));
}

/**
 * What every upsert of desired state overwrites; the transfer columns are the caller's choice.
 * Not `lookupEmails`: after its creation only the transfer writes it (its write-ahead), and
 * intake commits what it read earlier, so writing it back could undo a transfer's addition.
 */
const desired = fromExcluded(subscriptions, ['state', 'stateAt', 'stateBy', 'resubscribe', 'updatedAt']);

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

/**
 * The rows of the user who holds subscription `id`, found by the subscription inside the query:
 * an unsubscribe link names only the subscription, and its read stays one round trip.
 */
function ownerOf(id: string) {
  return sql`(select ${subscriptions.userId} from ${subscriptions} where ${subscriptions.id} = ${id})`;
}

export function subscriberOfOwner(db: Executor, id: string) {
  return db
    .select()
    .from(subscribers)
    .where(eq(subscribers.userId, ownerOf(id)));
}

export function subscriptionsOfOwner(db: Executor, id: string) {
  return db
    .select()
    .from(subscriptions)
    .where(eq(subscriptions.userId, ownerOf(id)));
}

export function versionOfOwner(db: Executor, id: string) {
  return db
    .select()
    .from(userVersions)
    .where(eq(userVersions.userId, ownerOf(id)));
}

/** Whose subscription it is. */
export function findOwner(db: Executor, id: string) {
  return db.select({ userId: subscriptions.userId }).from(subscriptions).where(eq(subscriptions.id, id)).limit(1);
}

/** Subscriptions with columns of their newsletter's mapping (null where unmapped). */
function withNewsletter<F extends SelectedFields>(db: Executor, fields: F) {
  return db
    .select(fields)
    .from(subscriptions)
    .leftJoin(newsletters, eq(newsletters.newsletterId, subscriptions.newsletterId));
}

/** The subscription with its newsletter's name (null when unnamed or unmapped). */
export function findWithNewsletterName(db: Executor, id: string) {
  return withNewsletter(db, { s: subscriptions, name: newsletters.name }).where(eq(subscriptions.id, id)).limit(1);
}

export function findUserSubscription(db: Executor, userId: string, newsletterId: string) {
  return db
    .select({ id: subscriptions.id, status: subscriptions.transferStatus })
    .from(subscriptions)
    .where(and(eq(subscriptions.userId, userId), eq(subscriptions.newsletterId, newsletterId)))
    .limit(1);
}

/** A user's subscriptions with their mapped list, by newsletter id. */
export function subscriptionsOfUserWithList(db: Executor, userId: string) {
  return withNewsletter(db, { s: subscriptions, listId: newsletters.listId })
    .where(eq(subscriptions.userId, userId))
    .orderBy(subscriptions.newsletterId);
}

interface SubscriptionFilter {
  status?: TransferStatus | undefined;
  state?: SubscriptionState | undefined;
  newsletterId?: string | undefined;
  /** An address, or a prefix ending in `*`; case-insensitive. */
  email?: string | undefined;
  /** Keyset paging: only ids after this one. */
  after?: string | undefined;
}

/** Subscriptions matching the filter with their mapped list, by id. */
export function listSubscriptions(db: Executor, filter: SubscriptionFilter, limit: number) {
  return withNewsletter(db, { s: subscriptions, listId: newsletters.listId })
    .leftJoin(subscribers, eq(subscribers.userId, subscriptions.userId))
    .where(
      and(
        filter.status ? eq(subscriptions.transferStatus, filter.status) : undefined,
        filter.state ? eq(subscriptions.state, filter.state) : undefined,
        filter.newsletterId ? eq(subscriptions.newsletterId, filter.newsletterId) : undefined,
        filter.email ? emailMatches(filter.email) : undefined,
        filter.after ? gt(subscriptions.id, filter.after) : undefined,
      ),
    )
    .orderBy(asc(subscriptions.id))
    .limit(limit);
}

/** Exact or prefix, case-insensitive, as a range on lower(email) so its index serves it. */
function emailMatches(pattern: string) {
  const email = sql`lower(${subscribers.email})`;
  if (!pattern.endsWith('*')) return sql`${email} = lower(${pattern})`;
  const prefix = pattern.slice(0, -1);
  // U+10FFFF sorts after every character, so [prefix, prefix + U+10FFFF) is "starts with prefix".
  return sql`${email} >= lower(${prefix}) and ${email} < lower(${prefix}) || char(1114111)`;
}

export function countByStateAndStatus(db: Executor) {
  return db
    .select({ state: subscriptions.state, status: subscriptions.transferStatus, n: sql<number>`count(*)` })
    .from(subscriptions)
    .groupBy(subscriptions.state, subscriptions.transferStatus);
}

/** When the oldest pending transfer became pending (ms), or null when none is. */
export async function oldestPendingSince(db: Executor): Promise<number | null> {
  const [row] = await db
    .select({ oldest: sql<number | null>`min(${subscriptions.pendingSince})` })
    .from(subscriptions)
    .where(eq(subscriptions.transferStatus, 'pending'));
  return row?.oldest ?? null;
}
