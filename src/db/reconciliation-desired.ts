import { and, asc, eq, gt, inArray, lte, ne, notExists, sql } from 'drizzle-orm';
import type { SQLiteUpdateSetSource } from 'drizzle-orm/sqlite-core';
import type { Executor } from './client';
import {
  type ConflictInfo,
  type EventLogEntry,
  eventLog,
  newsletters,
  reconciliationSeen,
  subscribers,
  subscriptions,
} from './schema';

/**
 * The desired state as reconciliation reads and heals it: the mapped lists, the rows a page is
 * compared with, and the re-pushes, conflict marks and timeline entries a heal writes.
 */

/** A subscription with its subscriber's profile, as compared with a recipient. */
const columns = {
  subscriptionId: subscriptions.id,
  userId: subscriptions.userId,
  newsletterId: subscriptions.newsletterId,
  state: subscriptions.state,
  transferStatus: subscriptions.transferStatus,
  resubscribe: subscriptions.resubscribe,
  recipientListId: subscriptions.listId,
  recipientId: subscriptions.recipientId,
  conflict: subscriptions.conflict,
  email: subscribers.email,
  firstName: subscribers.firstName,
  lastName: subscribers.lastName,
  gender: subscribers.gender,
};

/** Subscriptions with their subscriber's profile (if the subscriber row is there). */
const withProfile = (db: Executor) =>
  db.select(columns).from(subscriptions).leftJoin(subscribers, eq(subscribers.userId, subscriptions.userId));

/** Every newsletter's list, by newsletter id. */
export function mappedNewsletters(db: Executor) {
  return db
    .select({ newsletterId: newsletters.newsletterId, listId: newsletters.listId })
    .from(newsletters)
    .orderBy(asc(newsletters.newsletterId));
}

/** The newsletters' rows that hold one of these recipient ids in the list. */
export function rowsByRecipient(db: Executor, listId: string, recipientIds: string[], newsletterIds: string[]) {
  return withProfile(db).where(
    and(
      eq(subscriptions.listId, listId),
      inArray(subscriptions.recipientId, recipientIds),
      inArray(subscriptions.newsletterId, newsletterIds),
    ),
  );
}

/** The newsletters' rows of subscribers with one of these (lower-case) e-mails. */
export function rowsByEmail(db: Executor, emails: string[], newsletterIds: string[]) {
  return (
    db
      .select(columns)
      .from(subscribers)
      .innerJoin(subscriptions, eq(subscriptions.userId, subscribers.userId))
      // The unary `+` keeps SQLite from driving this join by the newsletter index (every row of
      // the newsletter) instead of the e-mail index (the few rows wanted): without ANALYZE
      // statistics it cannot tell them apart, and a 100,000-row list made each page 20x slower.
      .where(
        and(
          inArray(sql`lower(${subscribers.email})`, emails),
          inArray(sql`+${subscriptions.newsletterId}`, newsletterIds),
        ),
      )
  );
}

/**
 * One newsletter's subscribed rows no recipient matched in this run, after `after` by id.
 * Rows in flight or changed since the run began are left for the next run: a subscription
 * created meanwhile may sit behind the pages already read.
 */
export function unseenRows(
  db: Executor,
  runId: string,
  newsletterId: string,
  startedAt: number,
  after: string | null,
  limit: number,
) {
  return withProfile(db)
    .where(
      and(
        eq(subscriptions.newsletterId, newsletterId),
        after ? gt(subscriptions.id, after) : undefined,
        eq(subscriptions.state, 'subscribed'),
        ne(subscriptions.transferStatus, 'pending'),
        lte(subscriptions.updatedAt, startedAt),
        notExists(
          db
            .select({ one: sql`1` })
            .from(reconciliationSeen)
            .where(and(eq(reconciliationSeen.runId, runId), eq(reconciliationSeen.subscriptionId, subscriptions.id))),
        ),
      ),
    )
    .orderBy(asc(subscriptions.id))
    .limit(limit);
}

/** Applies `set` (push's re-push change) to those rows not pending: a pending row is pushed by its own message already. */
export function repushUnlessPending(db: Executor, ids: string[], set: SQLiteUpdateSetSource<typeof subscriptions>) {
  return db
    .update(subscriptions)
    .set(set)
    .where(and(inArray(subscriptions.id, ids), ne(subscriptions.transferStatus, 'pending')))
    .returning({ id: subscriptions.id });
}

export function markConflict(db: Executor, subscriptionId: string, conflict: ConflictInfo, now: number) {
  return db.update(subscriptions).set({ conflict, updatedAt: now }).where(eq(subscriptions.id, subscriptionId));
}

export function clearConflicts(db: Executor, ids: string[], now: number) {
  return db.update(subscriptions).set({ conflict: null, updatedAt: now }).where(inArray(subscriptions.id, ids));
}

export type HealLogEntry = EventLogEntry & { kind: 'reconciliation.heal' };

/** A heal's timeline entries. */
export function logHeal(db: Executor, entries: HealLogEntry[]) {
  return db.insert(eventLog).values(entries);
}
