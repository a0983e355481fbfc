import { describe, expect, it } from 'vitest';
import { applyEvent, type SubscriptionRow, type UserState } from '../../src/intake/apply-event';
import type { PortalEvent } from '../../src/schemas/events';

const T = Date.parse('2026-11-28T10:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();

const confirm = (
  t: number,
  extra: Partial<{ email: string; firstName: string; newsletterId: string }> = {},
): PortalEvent => ({
  type: 'subscription.confirmed',
  occurredAt: iso(t),
  data: {
    userId: 'u1',
    newsletterId: extra.newsletterId ?? 'nl',
    email: extra.email ?? 'a@example.com',
    ...(extra.firstName ? { firstName: extra.firstName } : {}),
  },
});
const cancel = (t: number, newsletterId = 'nl'): PortalEvent => ({
  type: 'subscription.cancelled',
  occurredAt: iso(t),
  data: { userId: 'u1', newsletterId },
});
const update = (t: number, email: string, firstName?: string): PortalEvent => ({
  type: 'subscriber.updated',
  occurredAt: iso(t),
  data: { userId: 'u1', email, ...(firstName ? { firstName } : {}) },
});
const remove = (t: number): PortalEvent => ({ type: 'user.deleted', occurredAt: iso(t), data: { userId: 'u1' } });

const sub = (
  state: SubscriptionRow['state'],
  stateAt: number,
  stateBy: string,
  newsletterId = 'nl',
): SubscriptionRow => ({
  id: `s-${newsletterId}`,
  newsletterId,
  state,
  stateAt,
  stateBy,
  recipientId: 'r1',
});
const user = (subs: SubscriptionRow[], profileAt = T, email = 'a@example.com'): UserState => ({
  subscriber: { email, firstName: '', lastName: '', gender: '', profileAt, deletedAt: null },
  subscriptions: subs,
});
const empty: UserState = { subscriber: null, subscriptions: [] };

describe('applyEvent: subscription state', () => {
  it('creates a subscribed subscription for a first confirmation, to be pushed, without resubscribe', () => {
    const d = applyEvent(empty, confirm(T));
    expect(d.outcome).toBe('applied');
    expect(d.subscriptions).toEqual([
      expect.objectContaining({ newsletterId: 'nl', state: 'subscribed', push: true, resubscribe: false }),
    ]);
    expect(d.subscriber?.profile?.email).toBe('a@example.com');
  });

  it('records a cancellation that arrives before its confirmation, so the older confirmation is stale', () => {
    const afterCancel = applyEvent(empty, cancel(T + 10));
    expect(afterCancel.subscriptions[0]).toMatchObject({ state: 'unsubscribed', stateAt: T + 10 });
    const d = applyEvent(user([sub('unsubscribed', T + 10, 'subscription.cancelled')], 0), confirm(T));
    expect(d.subscriptions).toEqual([]);
    expect(d.notes.join()).toMatch(/not newer/);
  });

  it('unsubscribes on a newer cancellation and pushes it', () => {
    const d = applyEvent(user([sub('subscribed', T, 'subscription.confirmed')]), cancel(T + 1));
    expect(d.subscriptions).toEqual([
      expect.objectContaining({ state: 'unsubscribed', push: true, resubscribe: false }),
    ]);
  });

  it('ignores an older cancellation', () => {
    const d = applyEvent(user([sub('subscribed', T, 'subscription.confirmed')]), cancel(T - 1));
    expect(d.outcome).toBe('stale');
    expect(d.subscriptions).toEqual([]);
  });

  it('lets a cancellation win over a confirmation at the same time, in either arrival order', () => {
    const cancelSecond = applyEvent(user([sub('subscribed', T, 'subscription.confirmed')]), cancel(T));
    expect(cancelSecond.subscriptions[0]).toMatchObject({ state: 'unsubscribed', push: true });
    const confirmSecond = applyEvent(user([sub('unsubscribed', T, 'subscription.cancelled')]), confirm(T));
    expect(confirmSecond.subscriptions).toEqual([]);
  });

  it('keeps the first applied of two confirmations at the same time', () => {
    const d = applyEvent(user([sub('subscribed', T, 'subscription.confirmed')]), confirm(T));
    expect(d.subscriptions).toEqual([]);
  });

  it('re-subscribes on a confirmation newer than an applied cancellation: the one case that sets resubscribe', () => {
    const d = applyEvent(user([sub('unsubscribed', T, 'subscription.cancelled')]), confirm(T + 1));
    expect(d.subscriptions).toEqual([expect.objectContaining({ state: 'subscribed', resubscribe: true, push: true })]);
  });

  it('treats an unsubscribe by link like a cancellation, winning ties', () => {
    const d = applyEvent(user([sub('subscribed', T, 'subscription.confirmed')]), cancel(T), 'unsubscribe-link');
    expect(d.subscriptions[0]).toMatchObject({ state: 'unsubscribed', stateBy: 'unsubscribe-link' });
  });

  it('moves the clock of an unchanged state without pushing', () => {
    const d = applyEvent(user([sub('subscribed', T, 'subscription.confirmed')]), confirm(T + 5));
    expect(d.subscriptions[0]).toMatchObject({ state: 'subscribed', stateAt: T + 5, push: false });
    expect(d.subscriptions[0]?.resubscribe).toBeUndefined();
  });
});

describe('applyEvent: profile', () => {
  it('applies a newer profile and pushes every subscribed subscription of the user, not unsubscribed ones', () => {
    const state = user([
      sub('subscribed', T, 'subscription.confirmed', 'a'),
      sub('unsubscribed', T, 'subscription.cancelled', 'b'),
    ]);
    const d = applyEvent(state, update(T + 1, 'new@example.com'));
    expect(d.subscriber?.profile?.email).toBe('new@example.com');
    expect(d.subscriptions.map((s) => [s.newsletterId, s.push])).toEqual([['a', true]]);
  });

  it('ignores an older or equally old profile', () => {
    expect(applyEvent(user([], T), update(T, 'x@example.com')).outcome).toBe('stale');
    expect(applyEvent(user([], T), update(T - 1, 'x@example.com')).subscriber).toBeNull();
  });

  it('treats an absent optional field as empty: the whole profile is replaced', () => {
    const state: UserState = {
      subscriber: {
        email: 'a@example.com',
        firstName: 'Erika',
        lastName: 'M',
        gender: 'f',
        profileAt: T,
        deletedAt: null,
      },
      subscriptions: [],
    };
    const d = applyEvent(state, update(T + 1, 'a@example.com'));
    expect(d.subscriber?.profile).toEqual({ email: 'a@example.com', firstName: '', lastName: '', gender: '' });
  });

  it("applies a confirmation's profile on the profile's own clock, even when its state is stale", () => {
    const state = user([sub('unsubscribed', T + 10, 'subscription.cancelled')], T);
    const d = applyEvent(state, confirm(T + 5, { email: 'newer@example.com' }));
    expect(d.subscriber?.profile?.email).toBe('newer@example.com');
    expect(d.subscriptions.every((s) => s.state === 'unsubscribed')).toBe(true);
  });

  it('does not push when the profile is unchanged', () => {
    const d = applyEvent(user([sub('subscribed', T, 'subscription.confirmed')]), update(T + 1, 'a@example.com'));
    expect(d.outcome).toBe('applied');
    expect(d.subscriptions).toEqual([]);
  });
});

describe('applyEvent: deletion', () => {
  it('deletes every subscription and scrubs the profile, adding no look-up address of its own', () => {
    // The current address is never added: a subscription that never sent it (a clash) would
    // find, and erase, the recipient another user holds under it.
    const noRecipient = { ...sub('subscribed', T, 'subscription.confirmed', 'b'), recipientId: null };
    const d = applyEvent(user([sub('subscribed', T, 'subscription.confirmed', 'a'), noRecipient]), remove(T + 1));
    expect(d.subscriber).toMatchObject({ profile: null, deletedAt: T + 1 });
    expect(d.subscriptions).toEqual([
      expect.objectContaining({ newsletterId: 'a', state: 'deleted', push: true }),
      expect.objectContaining({ newsletterId: 'b', state: 'deleted', push: true }),
    ]);
    for (const change of d.subscriptions) expect(change.lookupEmails).toBeUndefined();
  });

  it('stays deleted whatever arrives later, even events older or newer than the deletion', () => {
    const deleted: UserState = {
      subscriber: { email: null, firstName: '', lastName: '', gender: '', profileAt: T, deletedAt: T },
      subscriptions: [sub('deleted', T, 'user.deleted')],
    };
    for (const e of [
      confirm(T + 100),
      confirm(T - 100),
      update(T + 100, 'back@example.com'),
      cancel(T + 1),
      remove(T + 2),
    ]) {
      const d = applyEvent(deleted, e);
      expect(d.outcome).toBe('stale');
      expect(d.subscriber).toBeNull();
      expect(d.subscriptions).toEqual([]);
    }
  });

  it('records a deletion for a user never seen, so later events cannot create data', () => {
    const d = applyEvent(empty, remove(T));
    expect(d.subscriber).toMatchObject({ profile: null, deletedAt: T });
  });
});
