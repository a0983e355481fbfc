import { and, asc, eq, gt, inArray, lte, ne, notExists, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { reconciliationSeen, subscribers, subscriptions } from '../db/schema';
import { chunks } from '../lib/chunks';
import type { RemoteRecipient } from '../ports/provider';
import type { LocalRow } from './compare';

/**
 * The desired state a page is compared with, loaded by the page's recipient ids and e-mails
 * through indexes (subscriptions by list and recipient id, subscribers by lower(email)): a run
 * never holds a newsletter's whole table in memory.
 */

/** SQLite binds at most 32766 variables; 1000 covers a default page in one statement. */
const IN_CHUNK = 1000;

const columns = {
  subscriptionId: subscriptions.id,
  userId: subscriptions.userId,
  newsletterId: subscriptions.newsletterId,
  state: subscriptions.state,
  transferStatus: subscriptions.transferStatus,
  resubscribe: subscriptions.resubscribe,
  recipientListId: subscriptions.listId,
  recipientId: subscriptions.recipientId,
  conflict: subscriptions.conflict,
  email: subscribers.email,
  firstName: subscribers.firstName,
  lastName: subscribers.lastName,
  gender: subscribers.gender,
};

function toRow(r: {
  subscriptionId: string;
  userId: string;
  newsletterId: string;
  state: LocalRow['state'];
  transferStatus: LocalRow['transferStatus'];
  resubscribe: boolean;
  recipientListId: string | null;
  recipientId: string | null;
  conflict: LocalRow['conflict'] | null;
  email: string | null;
  firstName: string | null;
  lastName: string | null;
  gender: LocalRow['gender'] | null;
}): LocalRow {
  return {
    ...r,
    conflict: r.conflict ?? null,
    firstName: r.firstName ?? '',
    lastName: r.lastName ?? '',
    gender: r.gender ?? '',
  };
}

/** Rows of the list's newsletters that a page's recipients may match. */
export async function loadForPage(
  db: Db,
  listId: string,
  newsletterIds: string[],
  page: RemoteRecipient[],
): Promise<LocalRow[]> {
  const found = new Map<string, LocalRow>();
  for (const ids of chunks(
    page.map((r) => r.recipientId),
    IN_CHUNK,
  )) {
    const rows = await db
      .select(columns)
      .from(subscriptions)
      .leftJoin(subscribers, eq(subscribers.userId, subscriptions.userId))
      .where(
        and(
          eq(subscriptions.listId, listId),
          inArray(subscriptions.recipientId, ids),
          inArray(subscriptions.newsletterId, newsletterIds),
        ),
      );
    for (const r of rows) found.set(r.subscriptionId, toRow(r));
  }
  const emails = [...new Set(page.map((r) => r.email.toLowerCase()).filter(Boolean))];
  for (const batch of chunks(emails, IN_CHUNK)) {
    const rows = await db
      .select(columns)
      .from(subscribers)
      .innerJoin(subscriptions, eq(subscriptions.userId, subscribers.userId))
      // The unary `+` keeps SQLite from driving this join by the newsletter index (every row of
      // the newsletter) instead of the e-mail index (the few rows wanted): without ANALYZE
      // statistics it cannot tell them apart, and a 100,000-row list made each page 20x slower.
      .where(
        and(
          inArray(sql`lower(${subscribers.email})`, batch),
          inArray(sql`+${subscriptions.newsletterId}`, newsletterIds),
        ),
      );
    for (const r of rows) found.set(r.subscriptionId, toRow(r));
  }
  return [...found.values()];
}

/**
 * One newsletter's subscribed rows no recipient matched in this run, after `after` by id.
 * Rows in flight or changed since the run began are left for the next run: a subscription
 * created meanwhile may sit behind the pages already read.
 */
export async function loadUnseen(
  db: Db,
  runId: string,
  newsletterId: string,
  startedAt: number,
  after: string | null,
  limit: number,
): Promise<LocalRow[]> {
  const rows = await db
    .select(columns)
    .from(subscriptions)
    .leftJoin(subscribers, eq(subscribers.userId, subscriptions.userId))
    .where(
      and(
        eq(subscriptions.newsletterId, newsletterId),
        after ? gt(subscriptions.id, after) : undefined,
        eq(subscriptions.state, 'subscribed'),
        ne(subscriptions.transferStatus, 'pending'),
        lte(subscriptions.updatedAt, startedAt),
        notExists(
          db
            .select({ one: sql`1` })
            .from(reconciliationSeen)
            .where(and(eq(reconciliationSeen.runId, runId), eq(reconciliationSeen.subscriptionId, subscriptions.id))),
        ),
      ),
    )
    .orderBy(asc(subscriptions.id))
    .limit(limit);
  return rows.map(toRow);
}
