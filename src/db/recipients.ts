import { and, eq, inArray, or, sql } from 'drizzle-orm';
import type { Executor } from './client';
import { recipients, subscriptions } from './schema';

/** A recipient a subscription owns (created or adopted through its own write-ahead address). */
export interface OwnedRecipient {
  subscriptionId: string;
  listId: string;
  recipientId: string;
}

/** Records (or moves, when the provider gave a new id) the subscription's recipient in a list. */
export function ownRecipient(db: Executor, owned: OwnedRecipient, now: number) {
  return db
    .insert(recipients)
    .values({ ...owned, createdAt: now, updatedAt: now })
    .onConflictDoUpdate({
      target: [recipients.subscriptionId, recipients.listId],
      set: { recipientId: sql`excluded.recipient_id`, updatedAt: now },
    });
}

export function recipientsOf(db: Executor, subscriptionIds: string[]) {
  return db
    .select({
      subscriptionId: recipients.subscriptionId,
      listId: recipients.listId,
      recipientId: recipients.recipientId,
    })
    .from(recipients)
    .where(inArray(recipients.subscriptionId, subscriptionIds));
}

/**
 * Who owns these recipients (an owner is a subscription, with its user): in their list, or in
 * any list where the provider's ids are account-wide (scope `account`: one contact, many lists).
 */
export function ownersOf(
  db: Executor,
  refs: { listId: string; recipientId: string }[],
  scope: 'list' | 'account' = 'list',
) {
  return db
    .select({
      subscriptionId: recipients.subscriptionId,
      listId: recipients.listId,
      recipientId: recipients.recipientId,
      userId: subscriptions.userId,
    })
    .from(recipients)
    .innerJoin(subscriptions, eq(subscriptions.id, recipients.subscriptionId))
    .where(
      refs.length
        ? or(
            ...refs.map((r) =>
              scope === 'account'
                ? eq(recipients.recipientId, r.recipientId)
                : and(eq(recipients.listId, r.listId), eq(recipients.recipientId, r.recipientId)),
            ),
          )
        : sql`0`,
    );
}

/** A recipient the provider answered 404 for: no longer this subscription's in that list. */
export function disownRecipient(db: Executor, owned: OwnedRecipient) {
  return db
    .delete(recipients)
    .where(
      and(
        eq(recipients.subscriptionId, owned.subscriptionId),
        eq(recipients.listId, owned.listId),
        eq(recipients.recipientId, owned.recipientId),
      ),
    );
}
