import { eq, inArray, sql } from 'drizzle-orm';
import type { Executor } from './client';
import { receivedEvents } from './schema';

/** Idempotency records: one row per accepted `webhook-id`, with the first answer given. */

type NewReceivedEvent = typeof receivedEvents.$inferInsert;

/**
 * What a deleted user's digests become (db/scrub.ts): no digest of a body that held an address
 * stays behind, and a redelivery of such an id is answered as the duplicate it most likely is.
 */
export const ERASED_DIGEST = 'erased';

/** Whether an incoming body's digest matches the stored one: same body, or the stored one erased. */
export function sameBody(stored: string, incoming: string): boolean {
  return stored === incoming || stored === ERASED_DIGEST;
}

/**
 * Inserts records of ids read as unknown, in a write batch: an id another request stored
 * meanwhile fails the batch on the primary key (write-batch.ts isStaleRead), and it is decided
 * again, now as a duplicate.
 */
export function insertNewReceived(db: Executor, rows: NewReceivedEvent[]) {
  return db.insert(receivedEvents).values(rows);
}

export function receivedByIds(db: Executor, eventIds: string[]) {
  return db.select().from(receivedEvents).where(inArray(receivedEvents.eventId, eventIds));
}

export function findReceived(db: Executor, eventId: string) {
  return db.select().from(receivedEvents).where(eq(receivedEvents.eventId, eventId)).limit(1);
}

/** Deletes up to `limit` records received before `cutoff` (one short write; run it again for more). */
export function deleteReceivedBefore(db: Executor, cutoff: number, limit: number) {
  return db.run(
    sql`delete from ${receivedEvents} where ${receivedEvents.eventId} in (select ${receivedEvents.eventId} from ${receivedEvents} where ${receivedEvents.receivedAt} < ${cutoff} limit ${limit})`,
  );
}
