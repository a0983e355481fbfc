import type * as v from 'valibot';
import type { Config } from '../../config';
import type { Db } from '../../db/client';
import { timelineOf } from '../../db/event-log';
import type { TransferStatus } from '../../db/schema';
import { findSubscriber } from '../../db/subscribers';
import { type Subscription, subscriptionsOfUserWithList } from '../../db/subscriptions';
import { readPause } from '../../db/transfer-pause';
import { noticesOfUser } from '../../notify/view';
import type { SubscriberView, SubscriptionView, TransferView } from '../../schemas/admin';
import { unsubscribeUrl } from '../../unsubscribe/token';
import { pauseView } from '../pause-view';
import { timelineEntry } from './timeline';

/**
 * The admin JSON's shapes (contract §3), built from rows. Each view is typed by its schema in
 * src/openapi/shapes, the one the served OpenAPI document is generated from.
 */

export const TRANSFER_LABELS = {
  pending: 'Übertragung ausstehend',
  synced: 'Übertragen',
  failed: 'Fehler bei der Übertragung',
} as const satisfies Record<TransferStatus, string>;

/** How many log entries the subscriber view shows, newest first. */
export const TIMELINE_LIMIT = 200;

const iso = (ms: number | null | undefined) => (ms == null ? null : new Date(ms).toISOString());

export function transferView(s: Subscription): v.InferOutput<typeof TransferView> {
  return {
    status: s.transferStatus,
    label: TRANSFER_LABELS[s.transferStatus],
    error: s.errorMessage
      ? { message: s.errorMessage, code: s.errorCode, httpStatus: s.errorHttpStatus, at: iso(s.errorAt) }
      : null,
    attempts: s.attempts,
    lastAttemptAt: iso(s.lastAttemptAt),
    nextAttemptAt: s.transferStatus === 'pending' ? iso(s.nextAttemptAt) : null,
    syncedAt: iso(s.syncedAt),
  };
}

export async function subscriptionView(
  config: Config,
  s: Subscription,
  listId: string | null,
): Promise<v.InferOutput<typeof SubscriptionView>> {
  return {
    subscriptionId: s.id,
    newsletterId: s.newsletterId,
    listId,
    state: s.state,
    stateSince: iso(s.stateAt),
    unsubscribeUrl: await unsubscribeUrl(config, s.id),
    conflict: s.conflict ?? null,
    transfer: transferView(s),
  };
}

export async function subscriberView(
  config: Config,
  db: Db,
  userId: string,
): Promise<v.InferOutput<typeof SubscriberView> | null> {
  const [subscriber] = await findSubscriber(db, userId);
  const rows = await subscriptionsOfUserWithList(db, userId);
  if (!subscriber && rows.length === 0) return null;
  const [timeline, [pause]] = await Promise.all([timelineOf(db, userId, TIMELINE_LIMIT), readPause(db)]);
  const newsletterOf = new Map(rows.map((r) => [r.s.id, r.s.newsletterId]));
  return {
    userId,
    deleted: subscriber?.deletedAt != null,
    transfers: { pause: pauseView(pause) },
    subscriptions: await Promise.all(rows.map((r) => subscriptionView(config, r.s, r.listId ?? null))),
    notices: await noticesOfUser(db, userId),
    timeline: timeline.map((t) => timelineEntry(t, newsletterOf)),
  };
}
