import type { Config } from '../config';
import type { Db } from '../db/client';
import { findWithNewsletterName } from '../db/subscriptions';
import { commitWithRetries } from '../db/write-batch';
import { type LinkTarget, linkTargetOf, readLinkState } from '../intake/read-state';
import { type IncomingEvent, planIntake } from '../intake/store-events';
import { randomAlnum, sha256Hex } from '../lib/encoding';
import { noticeMessages, noticeStatements } from '../notify/notices';
import type { PortalEvent } from '../schemas/events';
import { enqueueAfterCommit, syncMessages } from '../schemas/queue';

/**
 * What an unsubscribe link does (contract §2 and §4). The reader's click is applied exactly
 * like a portal `subscription.cancelled`, through the same intake, marked as coming from the
 * link; the portal is told by a notice per newsletter left, stored in the same batch.
 */

/** The subscription a verified token names, with the name the page shows; null if unknown. */
export async function findLinkTarget(db: Db, subscriptionId: string): Promise<LinkTarget | null> {
  const [row] = await findWithNewsletterName(db, subscriptionId);
  return linkTargetOf(row);
}

export type Scope = 'one' | 'all';

/**
 * Unsubscribes the token's subscription, or every subscription of its user; null when the
 * token names no subscription we know. Idempotent: what is no longer subscribed is left alone,
 * and a deleted user's links change nothing. One read (the subscription, its user's rows),
 * one atomic batch (the cancellations, their timeline, their notices); a click that raced
 * another write about the same user reads again and decides again.
 */
export async function unsubscribeByLink(config: Config, db: Db, subscriptionId: string, scope: Scope) {
  const now = Date.now();
  const outcome = await commitWithRetries(db, async () => {
    const state = await readLinkState(db, subscriptionId);
    const target = state.target;
    if (!target) return { statements: [], value: null };
    const userId = target.subscription.userId;
    const user = state.users.get(userId);
    const deleted = user?.subscriber?.deletedAt != null;
    const candidates = deleted
      ? []
      : [...(user?.subs.values() ?? [])].filter(
          (s) => s.state === 'subscribed' && (scope === 'all' || s.id === target.subscription.id),
        );
    const events = await Promise.all(candidates.map((s) => linkEvent(s, now)));
    const plan = planIntake(db, state, events, now);
    // The plan's rows say which subscriptions this click cancelled, and at what time.
    const cancelled = [...(user?.subs.values() ?? [])].filter(
      (s) => s.dirty && s.state === 'unsubscribed' && s.stateBy === 'unsubscribe-link',
    );
    const notices = cancelled.map((s) => ({
      // Derived from the subscription and the cancellation's time: a repeat can only meet itself.
      id: `ntc_${s.id.replace(/^sub_/, '')}_${s.stateAt.toString(36)}`,
      type: 'subscription.cancelled' as const,
      userId: s.userId,
      subscriptionId: s.id,
      occurredAt: new Date(s.stateAt).toISOString(),
      source: 'unsubscribe-link',
      data: { userId: s.userId, newsletterId: s.newsletterId },
    }));
    const statements = plan.statements.length
      ? [...plan.statements, ...notices.flatMap((n) => noticeStatements(db, n, now))]
      : [];
    return {
      statements,
      value: { target, pushIds: plan.pushIds, noticeIds: notices.map((n) => n.id) },
    };
  });
  if (!outcome) return null;
  await enqueueAfterCommit(config.SYNC_QUEUE, syncMessages(outcome.pushIds));
  await enqueueAfterCommit(config.SYNC_QUEUE, noticeMessages(outcome.noticeIds));
  return { target: outcome.target, cancelled: outcome.pushIds.length, notices: outcome.noticeIds.length };
}

async function linkEvent(s: { userId: string; newsletterId: string; stateAt: number }, now: number) {
  // The reader's decision wins over the state they were shown, even should the portal's
  // clock run ahead of ours: at an equal time a link cancellation wins over a confirmation.
  const event: PortalEvent = {
    type: 'subscription.cancelled',
    occurredAt: new Date(Math.max(now, s.stateAt)).toISOString(),
    data: { userId: s.userId, newsletterId: s.newsletterId },
  };
  const incoming: IncomingEvent = {
    eventId: `unsubscribe-link_${randomAlnum(20)}`,
    bodyHash: await sha256Hex(JSON.stringify(event)),
    event,
    source: 'unsubscribe-link',
  };
  return incoming;
}
