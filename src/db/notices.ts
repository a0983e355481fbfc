import { and, asc, desc, eq, inArray, lte, sql } from 'drizzle-orm';
import type { Executor } from './client';
import { type EventLogEntry, eventLog, type Notice, notices } from './schema';

/**
 * The notices table, and the timeline entries a notice's life writes. Builders return drizzle's
 * unawaited query: a caller awaits one alone or commits several in one `db.batch([...])`.
 */

export type NewNotice = typeof notices.$inferInsert;
/** What one delivery attempt leaves on the notice. */
export type NoticeAttempt = Pick<NewNotice, 'status' | 'nextAttemptAt' | 'lastStatus' | 'lastError' | 'deliveredAt'>;

const isDue = (now: number) => and(eq(notices.status, 'pending'), lte(sql`coalesce(${notices.nextAttemptAt}, 0)`, now));

export async function noticeExists(db: Executor, id: string): Promise<boolean> {
  const rows = await db.select({ id: notices.id }).from(notices).where(eq(notices.id, id)).limit(1);
  return rows.length > 0;
}

export async function getNotice(db: Executor, id: string): Promise<Notice | null> {
  const [row] = await db.select().from(notices).where(eq(notices.id, id)).limit(1);
  return row ?? null;
}

/** When each of these notices is due next, and whether it is still pending (a batch's read). */
export function noticeSchedules(db: Executor, ids: string[]) {
  return db
    .select({ id: notices.id, status: notices.status, nextAttemptAt: notices.nextAttemptAt })
    .from(notices)
    .where(inArray(notices.id, ids));
}

/** A user's notices, newest first. */
export function noticesOf(db: Executor, userId: string, limit: number) {
  return db
    .select()
    .from(notices)
    .where(eq(notices.userId, userId))
    .orderBy(desc(notices.createdAt), desc(notices.id))
    .limit(limit);
}

/** Pending notices whose time has come, the longest waiting first. */
export async function dueNoticeIds(db: Executor, now: number, limit: number): Promise<string[]> {
  const rows = await db
    .select({ id: notices.id })
    .from(notices)
    .where(isDue(now))
    .orderBy(asc(notices.nextAttemptAt))
    .limit(limit);
  return rows.map((r) => r.id);
}

/** Returns the new id, or no row when a notice with that id exists already. */
export function insertNotice(db: Executor, notice: NewNotice) {
  return db.insert(notices).values(notice).onConflictDoNothing().returning({ id: notices.id });
}

/** Takes the pending, due notices among `ids` for one attempt each (until `leaseUntil`), counting the attempt; the ones taken are returned. */
export function claimNotices(db: Executor, ids: string[], now: number, leaseUntil: number) {
  return db
    .update(notices)
    .set({ nextAttemptAt: leaseUntil, attempts: sql`${notices.attempts} + 1` })
    .where(and(inArray(notices.id, ids), isDue(now)))
    .returning();
}

export function recordNoticeAttempt(db: Executor, id: string, attempt: NoticeAttempt) {
  return db.update(notices).set(attempt).where(eq(notices.id, id));
}

/** Makes a pending or failed notice due at `now`; a delivered one is left alone (no row). */
export function makeNoticeDue(db: Executor, id: string, now: number) {
  return db
    .update(notices)
    .set({ status: 'pending', nextAttemptAt: now })
    .where(and(eq(notices.id, id), inArray(notices.status, ['pending', 'failed'])))
    .returning({ id: notices.id });
}

/** Makes every failed notice (optionally of one user) due at `now`. */
export function makeFailedNoticesDue(db: Executor, now: number, userId?: string) {
  return db
    .update(notices)
    .set({ status: 'pending', nextAttemptAt: now })
    .where(userId ? and(eq(notices.status, 'failed'), eq(notices.userId, userId)) : eq(notices.status, 'failed'))
    .returning({ id: notices.id });
}

/** A notice's timeline entry: its creation or one delivery attempt. */
export function logNotice(db: Executor, entry: EventLogEntry & { kind: 'notice.created' | 'notice.attempt' }) {
  return db.insert(eventLog).values(entry);
}
