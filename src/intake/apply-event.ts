import type { SubscriptionState } from '../db/schema';
import type { PortalEvent } from '../schemas/events';

/**
 * What a portal event does to the stored desired state (contract §1 "Ordering" and §6).
 * Pure: the caller loads the user's rows, applies the result in one transaction and enqueues
 * the subscriptions marked `push`.
 *
 * - Subscription state is ordered by `occurredAt` per subscription; the profile by
 *   `occurredAt` per user, and a confirmation's profile on the profile's own clock.
 * - Equal times: a cancellation or deletion wins over a confirmation; otherwise the first
 *   applied stays.
 * - A deleted user stays deleted whatever arrives later, at any time.
 */

export interface Profile {
  email: string;
  firstName: string;
  lastName: string;
  gender: 'm' | 'f' | '';
}

export interface SubscriberRow {
  email: string | null;
  firstName: string;
  lastName: string;
  gender: 'm' | 'f' | '';
  profileAt: number;
  deletedAt: number | null;
}

export interface SubscriptionRow {
  id: string;
  newsletterId: string;
  state: SubscriptionState;
  stateAt: number;
  stateBy: string;
  recipientId: string | null;
  /** See subscriptions.lookupEmails. */
  lookupEmails?: string[] | null;
}

export interface UserState {
  subscriber: SubscriberRow | null;
  subscriptions: SubscriptionRow[];
}

/** How an event changed a subscription; `id` is absent for a subscription created now. */
export interface SubscriptionChange {
  id?: string;
  newsletterId: string;
  state: SubscriptionState;
  stateAt: number;
  stateBy: string;
  /** Set when the state changes (true only for a re-subscription); absent = keep the stored flag. */
  resubscribe?: boolean;
  /** True when the provider must be told: the row becomes pending with a new version. */
  push: boolean;
  /** For an erasure without a known recipient id: the address to find it by at the provider. */
  lookupEmails?: string[] | null;
}

export interface Decision {
  outcome: 'applied' | 'stale';
  /** Why nothing (or only part) changed, for the timeline. */
  notes: string[];
  /** The subscriber row to store, or null to leave it as it is. */
  subscriber: { profile: Profile | null; profileAt: number; deletedAt: number | null } | null;
  subscriptions: SubscriptionChange[];
}

/** Who may override whom at equal `occurredAt`. */
const WINS_TIES = new Set(['subscription.cancelled', 'unsubscribe-link', 'user.deleted']);

export type EventSource = PortalEvent['type'] | 'unsubscribe-link';

export function applyEvent(state: UserState, event: PortalEvent, source: EventSource = event.type): Decision {
  const at = Date.parse(event.occurredAt);
  const decision: Decision = { outcome: 'stale', notes: [], subscriber: null, subscriptions: [] };

  if (state.subscriber?.deletedAt != null) {
    decision.notes.push('user is deleted; a deleted user stays deleted');
    return decision;
  }

  switch (event.type) {
    case 'subscription.confirmed':
      applyProfile(state, decision, at, profileOf(event.data));
      applyState(state, decision, event.data.newsletterId, 'subscribed', at, source);
      break;
    case 'subscriber.updated':
      applyProfile(state, decision, at, profileOf(event.data));
      break;
    case 'subscription.cancelled':
      applyState(state, decision, event.data.newsletterId, 'unsubscribed', at, source);
      break;
    case 'user.deleted':
      applyDeletion(state, decision, at);
      break;
  }
  return decision;
}

function profileOf(data: { email: string; firstName?: string; lastName?: string; gender?: 'm' | 'f' }): Profile {
  // An absent optional field means empty: every profile event carries the whole profile.
  return {
    email: data.email,
    firstName: data.firstName ?? '',
    lastName: data.lastName ?? '',
    gender: data.gender ?? '',
  };
}

function applyProfile(state: UserState, decision: Decision, at: number, profile: Profile): void {
  const current = state.subscriber;
  if (current && at <= current.profileAt) {
    decision.notes.push('profile is older than the one applied; kept');
    return;
  }
  decision.outcome = 'applied';
  decision.subscriber = { profile, profileAt: at, deletedAt: null };
  if (current && sameProfile(current, profile)) return;
  // The provider holds the profile of every subscribed recipient: push them all again.
  for (const sub of state.subscriptions) {
    if (sub.state === 'subscribed') upsertChange(decision, sub, { push: true });
  }
}

function applyState(
  state: UserState,
  decision: Decision,
  newsletterId: string,
  target: 'subscribed' | 'unsubscribed',
  at: number,
  source: EventSource,
): void {
  const sub = state.subscriptions.find((s) => s.newsletterId === newsletterId);
  if (!sub) {
    decision.outcome = 'applied';
    decision.subscriptions.push({
      newsletterId,
      state: target,
      stateAt: at,
      stateBy: source,
      resubscribe: false,
      push: true,
    });
    return;
  }
  const newer = at > sub.stateAt || (at === sub.stateAt && WINS_TIES.has(source) && !WINS_TIES.has(sub.stateBy));
  if (!newer) {
    decision.notes.push(`${newsletterId}: state event is not newer than the one applied; kept`);
    return;
  }
  decision.outcome = 'applied';
  if (sub.state === target) {
    // Same state, newer clock: remember the time, nothing to tell the provider.
    upsertChange(decision, sub, { stateAt: at, stateBy: source });
    return;
  }
  upsertChange(decision, sub, {
    state: target,
    stateAt: at,
    stateBy: source,
    // Re-subscription is the one case that may clear the provider's unsubscribe flag.
    resubscribe: target === 'subscribed',
    push: true,
  });
}

function applyDeletion(state: UserState, decision: Decision, at: number): void {
  decision.outcome = 'applied';
  const previous = state.subscriber;
  decision.subscriber = { profile: null, profileAt: Math.max(at, previous?.profileAt ?? 0), deletedAt: at };
  for (const sub of state.subscriptions) {
    upsertChange(decision, sub, {
      state: 'deleted',
      stateAt: Math.max(at, sub.stateAt),
      stateBy: 'user.deleted',
      resubscribe: false,
      push: true,
      // The look-up addresses stay what they are: only those this subscription sent itself
      // (its write-ahead). Adding the current address would let the erasure find, and rename,
      // a recipient another user holds under it (a shared address that failed with clash).
    });
  }
}

function upsertChange(decision: Decision, sub: SubscriptionRow, patch: Partial<SubscriptionChange>): void {
  const existing = decision.subscriptions.find((c) => c.id === sub.id);
  if (existing) {
    Object.assign(existing, patch, { push: existing.push || Boolean(patch.push) });
    return;
  }
  decision.subscriptions.push({
    id: sub.id,
    newsletterId: sub.newsletterId,
    state: sub.state,
    stateAt: sub.stateAt,
    stateBy: sub.stateBy,
    push: false,
    ...patch,
  });
}

function sameProfile(a: SubscriberRow, b: Profile): boolean {
  return a.email === b.email && a.firstName === b.firstName && a.lastName === b.lastName && a.gender === b.gender;
}
