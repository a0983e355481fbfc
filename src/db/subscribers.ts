import { eq, inArray } from 'drizzle-orm';
import type { Executor } from './client';
import { fromExcluded } from './excluded';
import { subscribers } from './schema';

/** Portal users' profiles, ordered by their own `occurredAt` clock (see schema.ts). */

type NewSubscriber = typeof subscribers.$inferInsert;

export function findSubscriber(db: Executor, userId: string) {
  return db.select().from(subscribers).where(eq(subscribers.userId, userId)).limit(1);
}

export function subscribersByIds(db: Executor, userIds: string[]) {
  return db.select().from(subscribers).where(inArray(subscribers.userId, userIds));
}

/** Every column but the key and `createdAt`: a stored profile is replaced whole. */
const PROFILE = [
  'email',
  'firstName',
  'lastName',
  'gender',
  'profileAt',
  'emailSince',
  'deletedAt',
  'updatedAt',
] as const;

/** Inserts the profiles or overwrites the stored ones; a row keeps its `createdAt`. */
export function upsertSubscribers(db: Executor, rows: NewSubscriber[]) {
  return db
    .insert(subscribers)
    .values(rows)
    .onConflictDoUpdate({
      target: subscribers.userId,
      set: fromExcluded(subscribers, PROFILE),
    });
}
