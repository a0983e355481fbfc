import type { Db } from '../db/client';
import { insertNotice, logNotice, noticeExists } from '../db/notices';
import { randomAlnum } from '../lib/encoding';
import type { QueueMessage } from '../schemas/queue';

/**
 * Worker → portal notices (contract §4). A notice is stored before anything is sent, so a
 * lost queue message or a crash loses nothing: the scheduled run delivers what is due.
 * The body is fixed at creation; every attempt sends the same bytes under the same
 * `webhook-id` (the notice id), so the portal can drop repeats.
 */

export type NoticeType = 'subscription.cancelled' | 'subscription.conflict';

export interface NoticeInput {
  type: NoticeType;
  userId: string;
  subscriptionId: string | null;
  data: { userId: string; newsletterId: string } & Record<string, string>;
  /** ISO time the notice is about; now when absent. */
  occurredAt?: string;
  /** Top-level `source`, e.g. 'unsubscribe-link'; absent for reconciliation's notices. */
  source?: string;
  /** A caller that must not create the same notice twice passes a stable id. */
  id?: string;
}

export const newNoticeId = () => `ntc_${randomAlnum(20)}`;

export function noticeBody(input: NoticeInput, now = Date.now()): string {
  const occurredAt = input.occurredAt ?? new Date(now).toISOString();
  return JSON.stringify({
    type: input.type,
    occurredAt,
    ...(input.source ? { source: input.source } : {}),
    data: input.data,
  });
}

/**
 * Stores a pending notice, due at once, and returns its id; null when a notice with the
 * caller's stable id already exists. The caller enqueues `noticeMessages` after its commit
 * (a failed enqueue only delays delivery until the next scheduled run).
 *
 * Reconciliation: `createNotice(db, { type: 'subscription.conflict', userId, subscriptionId,
 * data: { userId, newsletterId, reason } })`.
 */
export async function createNotice(db: Db, input: NoticeInput, now = Date.now()): Promise<string | null> {
  const id = input.id ?? newNoticeId();
  if (await noticeExists(db, id)) return null;
  // One round trip, one transaction: the notice and its timeline entry.
  const [rows] = await db.batch(noticeStatements(db, { ...input, id }, now));
  return rows.length ? id : null;
}

/**
 * The notice and its timeline entry as statements, for a caller that commits them in its own
 * batch (the unsubscribe link's, with the cancellation). An id that exists stays as it is.
 */
export function noticeStatements(db: Db, input: NoticeInput & { id: string }, now: number) {
  return [
    insertNotice(db, {
      id: input.id,
      type: input.type,
      userId: input.userId,
      subscriptionId: input.subscriptionId,
      body: noticeBody(input, now),
      status: 'pending',
      nextAttemptAt: now,
      createdAt: now,
    }),
    logNotice(db, {
      at: now,
      kind: 'notice.created',
      userId: input.userId,
      subscriptionId: input.subscriptionId,
      outcome: 'pending',
      // Ids and the type only: the timeline never holds personal data.
      detail: {
        noticeId: input.id,
        type: input.type,
        ...(input.source ? { source: input.source } : {}),
        newsletterId: input.data.newsletterId,
      },
    }),
  ] as const;
}

export const noticeMessages = (ids: string[]): QueueMessage[] => ids.map((noticeId) => ({ kind: 'notice', noticeId }));
