import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { newsletters, subscribers, subscriptions } from '../db/schema';
import { chunks } from '../lib/chunks';
import type { PlanInput } from './plan';

/** A pending subscription with everything needed to plan its transfer. */
export interface WorkItem {
  id: string;
  userId: string;
  version: number;
  attempts: number;
  createdAt: number;
  input: Omit<PlanInput, 'unsubscribeUrl' | 'unsubscribeAttribute' | 'clashWithUserId' | 'now' | 'uncertainWindowMs'>;
}

export async function loadPending(db: Db, ids: string[]): Promise<WorkItem[]> {
  const items: WorkItem[] = [];
  for (const chunk of chunks([...new Set(ids)], 100)) {
    const rows = await db
      .select({ s: subscriptions, p: subscribers, listId: newsletters.listId })
      .from(subscriptions)
      .leftJoin(subscribers, eq(subscribers.userId, subscriptions.userId))
      .leftJoin(newsletters, eq(newsletters.newsletterId, subscriptions.newsletterId))
      // Only pending rows: a duplicate message for a synced or failed row costs nothing.
      .where(and(inArray(subscriptions.id, chunk), eq(subscriptions.transferStatus, 'pending')));
    for (const { s, p, listId } of rows) {
      items.push({
        id: s.id,
        userId: s.userId,
        version: s.version,
        attempts: s.attempts,
        createdAt: s.createdAt,
        input: {
          subscriptionId: s.id,
          state: s.state,
          resubscribe: s.resubscribe,
          mappedListId: listId ?? null,
          newsletterId: s.newsletterId,
          recipientListId: s.listId,
          recipientId: s.recipientId,
          profile: { email: p?.email ?? null, firstName: p?.firstName ?? '', lastName: p?.lastName ?? '', gender: p?.gender ?? '' },
          lookupEmails: s.lookupEmails ?? [],
          createIntentAt: s.createIntentAt,
        },
      });
    }
  }
  return items;
}

/**
 * Two portal users with one address in one newsletter: Newsletter2Go would merge them, so the
 * later subscription (by creation, then id) fails naming the earlier one's user.
 */
export async function findClashes(db: Db, items: WorkItem[]): Promise<Map<string, string>> {
  const candidates = items.filter((i) => i.input.state === 'subscribed' && i.input.profile.email);
  const clashes = new Map<string, string>();
  if (!candidates.length) return clashes;
  const emails = [...new Set(candidates.map((i) => (i.input.profile.email ?? '').toLowerCase()))];
  const newsletterIds = [...new Set(candidates.map((i) => i.input.newsletterId))];
  const holders: { id: string; userId: string; newsletterId: string; email: string; createdAt: number }[] = [];
  for (const chunk of chunks(emails, 100)) {
    holders.push(
      ...(await db
        .select({ id: subscriptions.id, userId: subscriptions.userId, newsletterId: subscriptions.newsletterId, email: sql<string>`lower(${subscribers.email})`, createdAt: subscriptions.createdAt })
        .from(subscriptions)
        .innerJoin(subscribers, eq(subscribers.userId, subscriptions.userId))
        .where(and(eq(subscriptions.state, 'subscribed'), inArray(subscriptions.newsletterId, newsletterIds), inArray(sql`lower(${subscribers.email})`, chunk)))),
    );
  }
  for (const item of candidates) {
    const email = (item.input.profile.email ?? '').toLowerCase();
    const earlier = holders.find(
      (h) =>
        h.newsletterId === item.input.newsletterId &&
        h.email === email &&
        h.userId !== item.userId &&
        (h.createdAt < item.createdAt || (h.createdAt === item.createdAt && h.id < item.id)),
    );
    if (earlier) clashes.set(item.id, earlier.userId);
  }
  return clashes;
}
