import type { Config } from '../config';
import { retryOnBusy } from '../db/busy';
import type { Db } from '../db/client';
import { findSubscriber } from '../db/subscribers';
import {
  cancelledByLink,
  findWithNewsletterName,
  type Subscription,
  subscriptionById,
  subscriptionsOfUser,
} from '../db/subscriptions';
import { storeEvents } from '../intake/store-events';
import { randomAlnum, sha256Hex } from '../lib/encoding';
import { createNotice, noticeMessages } from '../notify/notices';
import type { PortalEvent } from '../schemas/events';
import { enqueueAfterCommit, syncMessages } from '../schemas/queue';

/**
 * What an unsubscribe link does (contract §2 and §4). The reader's click is applied exactly
 * like a portal `subscription.cancelled`, through the same intake, marked as coming from the
 * link; then the portal is told by a notice per newsletter left.
 */

export interface LinkTarget {
  subscription: Subscription;
  newsletterName: string;
}

/** The subscription a verified token names, with the name the page shows; null if unknown. */
export async function findLinkTarget(db: Db, subscriptionId: string): Promise<LinkTarget | null> {
  const [row] = await findWithNewsletterName(db, subscriptionId);
  return row ? { subscription: row.s, newsletterName: row.name || row.s.newsletterId } : null;
}

export type Scope = 'one' | 'all';

/**
 * Unsubscribes the token's subscription, or every subscription of its user. Idempotent: what
 * is no longer subscribed is left alone, and a deleted user's links change nothing. Because it
 * is, a write refused as busy is simply run again (see retryOnBusy): a reader's click, or a
 * mailbox provider's one-click POST, should not fail for that.
 */
export async function unsubscribeByLink(config: Config, db: Db, target: Subscription, scope: Scope) {
  return retryOnBusy(() => unsubscribeOnce(config, db, target, scope, Date.now()));
}

async function unsubscribeOnce(config: Config, db: Db, target: Subscription, scope: Scope, now: number) {
  const [user] = await findSubscriber(db, target.userId);
  if (user?.deletedAt != null) return { cancelled: 0, notices: 0 };

  // Read afresh on every try: a try that stored its cancellation and then failed must not
  // store it again.
  const targets = await (scope === 'all' ? subscriptionsOfUser(db, target.userId) : subscriptionById(db, target.id));
  const events = await Promise.all(
    targets
      .filter((s) => s.state === 'subscribed')
      .map(async (s) => {
        // The reader's decision wins over the state they were shown, even should the portal's
        // clock run ahead of ours: at an equal time a link cancellation wins over a confirmation.
        const event: PortalEvent = {
          type: 'subscription.cancelled',
          occurredAt: new Date(Math.max(now, s.stateAt)).toISOString(),
          data: { userId: s.userId, newsletterId: s.newsletterId },
        };
        return {
          eventId: `unsubscribe-link_${randomAlnum(20)}`,
          bodyHash: await sha256Hex(JSON.stringify(event)),
          event,
          source: 'unsubscribe-link' as const,
        };
      }),
  );
  const { pushIds } = events.length ? await storeEvents(db, events, now) : { pushIds: [] };
  await enqueueAfterCommit(config.SYNC_QUEUE, syncMessages(pushIds));

  const noticeIds = await ensureNotices(
    db,
    targets.map((s) => s.id),
    now,
  );
  await enqueueAfterCommit(config.SYNC_QUEUE, noticeMessages(noticeIds));
  return { cancelled: pushIds.length, notices: noticeIds.length };
}

/**
 * One notice per cancellation by link, named by the subscription and the cancellation's
 * time. Deriving the id (rather than drawing it) makes this safe to repeat: a second POST,
 * or one after a request that died between storing the cancellation and its notice, adds
 * the missing notice and nothing else.
 */
async function ensureNotices(db: Db, subscriptionIds: string[], now: number): Promise<string[]> {
  if (!subscriptionIds.length) return [];
  const rows = await cancelledByLink(db, subscriptionIds);
  const created: string[] = [];
  for (const s of rows) {
    const id = await createNotice(
      db,
      {
        id: `ntc_${s.id.replace(/^sub_/, '')}_${s.stateAt.toString(36)}`,
        type: 'subscription.cancelled',
        userId: s.userId,
        subscriptionId: s.id,
        occurredAt: new Date(s.stateAt).toISOString(),
        source: 'unsubscribe-link',
        data: { userId: s.userId, newsletterId: s.newsletterId },
      },
      now,
    );
    if (id) created.push(id);
  }
  return created;
}
