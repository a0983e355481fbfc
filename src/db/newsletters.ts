import { and, eq, ne, sql } from 'drizzle-orm';
import type { Db, Executor } from './client';
import { type Newsletter, newsletters } from './schema';
import { markForRepush, ofNewsletter } from './subscriptions-transfer';
import { guard } from './write-batch';

/**
 * Portal newsletter → provider list: the mapping admins maintain. A change is one atomic batch
 * whose statements decide in SQL what depends on the stored mapping (whether its list changed,
 * whether it exists), so concurrent changes of one mapping serialize in the database; only
 * "the list is free" is decided on a read, and a guard re-checks it.
 */

export type { Newsletter };

export function listNewsletters(db: Executor) {
  return db.select().from(newsletters).orderBy(newsletters.newsletterId);
}

export function findNewsletter(db: Executor, newsletterId: string) {
  return db.select().from(newsletters).where(eq(newsletters.newsletterId, newsletterId)).limit(1);
}

/** Stores the mapping, created or replaced (a replaced one keeps its `createdAt`); returns the row. */
export function upsertNewsletter(
  db: Executor,
  mapping: { newsletterId: string; listId: string; name: string | null },
  now: number,
) {
  return db
    .insert(newsletters)
    .values({ ...mapping, createdAt: now, updatedAt: now })
    .onConflictDoUpdate({
      target: newsletters.newsletterId,
      set: { listId: mapping.listId, name: mapping.name, updatedAt: now },
    })
    .returning();
}

/** Another newsletter mapped to `listId`, if any. */
export function otherNewsletterOnList(db: Executor, listId: string, newsletterId: string) {
  return db
    .select({ newsletterId: newsletters.newsletterId })
    .from(newsletters)
    .where(and(eq(newsletters.listId, listId), ne(newsletters.newsletterId, newsletterId)))
    .limit(1);
}

/** Fails the batch if another newsletter has been mapped to `listId` since the read said none. */
export function guardListFree(db: Db, listId: string, newsletterId: string) {
  return guard(db, sql`not exists ${otherNewsletterOnList(db, listId, newsletterId)}`);
}

const mapped = (newsletterId: string, listId?: string) =>
  sql`exists (select 1 from ${newsletters} where ${newsletters.newsletterId} = ${newsletterId}${
    listId === undefined ? sql`` : sql` and ${newsletters.listId} = ${listId}`
  })`;

/**
 * Marks the newsletter's subscriptions for a fresh push unless it is mapped to `listId` already;
 * before the mapping is stored, in the same batch, so "the list changed" is what the batch saw.
 */
export function repushUnlessOnList(db: Executor, newsletterId: string, listId: string, now: number) {
  return markForRepush(db, and(ofNewsletter(newsletterId), sql`not ${mapped(newsletterId, listId)}`), now);
}

/** Marks the newsletter's subscriptions for a push (which fails them as unmapped) if it is mapped. */
export function repushIfMapped(db: Executor, newsletterId: string, now: number) {
  return markForRepush(db, and(ofNewsletter(newsletterId), mapped(newsletterId)), now);
}

export function deleteNewsletter(db: Executor, newsletterId: string) {
  return db.delete(newsletters).where(eq(newsletters.newsletterId, newsletterId)).returning();
}
