import type { Db } from '../db/client';
import { noticesOf } from '../db/notices';
import type { Notice } from '../db/schema';

/** What the admin JSON shows of a notice (not its body: the ids it carries are shown elsewhere). */

const iso = (ms: number | null | undefined) => (ms == null ? null : new Date(ms).toISOString());

export function noticeView(n: Notice) {
  return {
    id: n.id,
    type: n.type,
    subscriptionId: n.subscriptionId,
    status: n.status,
    attempts: n.attempts,
    lastStatus: n.lastStatus,
    lastError: n.lastError,
    nextAttemptAt: n.status === 'pending' ? iso(n.nextAttemptAt) : null,
    createdAt: iso(n.createdAt),
    deliveredAt: iso(n.deliveredAt),
  };
}

/** A user's notices, newest first. */
export async function noticesOfUser(db: Db, userId: string, limit = 100) {
  const rows = await noticesOf(db, userId, limit);
  return rows.map(noticeView);
}
