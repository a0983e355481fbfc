import { and, eq, ne } from 'drizzle-orm';
import type { Executor } from './client';
import { type Newsletter, newsletters } from './schema';

/** Portal newsletter → provider list: the mapping admins maintain. */

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

export function deleteNewsletter(db: Executor, newsletterId: string) {
  return db.delete(newsletters).where(eq(newsletters.newsletterId, newsletterId)).returning();
}
