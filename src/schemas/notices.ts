import * as v from 'valibot';
import { Timestamp } from './common';
import { NewsletterId, UserId } from './events';

/**
 * What the worker sends to the portal (contract §4), as valibot schemas: the document's
 * `webhooks` are generated from them, and the tests parse every notice the stand-in portal
 * receives with them, so the description cannot drift from the bodies.
 */

export const CancelledNotice = v.pipe(
  v.strictObject({
    type: v.literal('subscription.cancelled'),
    occurredAt: v.pipe(Timestamp, v.description('When the reader unsubscribed (never before the state it replaces)')),
    source: v.literal('unsubscribe-link'),
    data: v.strictObject({ userId: UserId, newsletterId: NewsletterId }),
  }),
  v.description('A reader unsubscribed by the link in a newsletter. Same shape as the portal event, plus `source`.'),
);

export const ConflictNotice = v.pipe(
  v.strictObject({
    type: v.literal('subscription.conflict'),
    occurredAt: v.pipe(Timestamp, v.description('When reconciliation found the conflict')),
    data: v.strictObject({
      userId: UserId,
      newsletterId: NewsletterId,
      reason: v.pipe(
        v.picklist(['unsubscribed', 'blacklisted', 'bounced']),
        v.description('What the provider shows for the contact'),
      ),
    }),
  }),
  v.description(
    'Reconciliation found a subscription the portal holds as subscribed that the provider shows unsubscribed, blacklisted or bounced. The worker never re-subscribes: the portal decides. Sent once per conflict.',
  ),
);
