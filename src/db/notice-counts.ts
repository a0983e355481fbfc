import { eq, sql } from 'drizzle-orm';
import type { Executor } from './client';
import { notices } from './schema';

/** Notices to the portal counted per delivery status, for the stats (their lifecycle: notify/). */
export function countNoticesByStatus(db: Executor) {
  return db
    .select({ status: notices.status, n: sql<number>`count(*)` })
    .from(notices)
    .where(eq(notices.destination, 'portal'))
    .groupBy(notices.status);
}
