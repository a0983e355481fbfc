import { and, desc, eq, gte, sql } from 'drizzle-orm';
import type { Executor } from './client';
import { type EventLogEntry, eventLog } from './schema';

/** The append-only timeline (see schema.ts): written by every area, read by the admin views. */

export type { EventLogEntry };
export type EventLogRow = typeof eventLog.$inferSelect;

export function insertLogEntries(db: Executor, rows: EventLogEntry[]) {
  return db.insert(eventLog).values(rows);
}

/** A user's entries, newest first. */
export function timelineOf(db: Executor, userId: string, limit: number) {
  return db.select().from(eventLog).where(eq(eventLog.userId, userId)).orderBy(desc(eventLog.id)).limit(limit);
}

/** Transfer attempts since `since`, counted per outcome. */
export function countAttemptsSince(db: Executor, since: number) {
  return db
    .select({ outcome: eventLog.outcome, n: sql<number>`count(*)` })
    .from(eventLog)
    .where(and(eq(eventLog.kind, 'attempt'), gte(eventLog.at, since)))
    .groupBy(eventLog.outcome);
}

export function countDeadLetters(db: Executor) {
  return db.select({ n: sql<number>`count(*)` }).from(eventLog).where(eq(eventLog.kind, 'dead-letter'));
}

/** Deletes up to `limit` entries older than `cutoff` (one short write; run it again for more). */
export function deleteLogEntriesBefore(db: Executor, cutoff: number, limit: number) {
  return db.run(
    sql`delete from ${eventLog} where ${eventLog.id} in (select ${eventLog.id} from ${eventLog} where ${eventLog.at} < ${cutoff} limit ${limit})`,
  );
}
