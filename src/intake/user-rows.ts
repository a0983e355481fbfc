import type { Db } from '../db/client';
import { upsertSubscribers } from '../db/subscribers';
import { upsertKeepingTransfer, upsertToPush } from '../db/subscriptions';
import type { Statement } from '../db/write-batch';
import { chunks } from '../lib/chunks';
import { randomAlnum } from '../lib/encoding';
import type { Decision, SubscriberRow, SubscriptionRow, UserState } from './apply-event';

/**
 * The rows of the users one intake request touches: read once, changed in memory by each
 * event in request order, then written back with a few multi-row upserts in the request's batch.
 */

/** A user's rows as loaded, changed in memory by each event of the request, then written once. */
export interface UserRows {
  userId: string;
  subscriber:
    | (SubscriberRow & {
        email: string | null;
        firstName: string;
        lastName: string;
        gender: 'm' | 'f' | '';
        emailSince: number;
      })
    | null;
  subscriberDirty: boolean;
  subs: Map<string, SubRow>;
}

type SubRow = SubscriptionRow & {
  userId: string;
  resubscribe: boolean;
  lookupEmails: string[] | null;
  isNew: boolean;
  dirty: boolean;
  push: boolean;
};

/** The users' rows as read (intake/read-state.ts), keyed by user id. */
export function usersFrom(
  profiles: NonNullable<UserRows['subscriber'] & { userId: string }>[],
  subs: Omit<SubRow, 'isNew' | 'dirty' | 'push'>[],
): Map<string, UserRows> {
  const users = new Map<string, UserRows>();
  for (const s of profiles)
    users.set(s.userId, { userId: s.userId, subscriber: { ...s }, subscriberDirty: false, subs: new Map() });
  for (const s of subs) {
    const user = users.get(s.userId) ?? newUser(users, s.userId);
    user.subs.set(s.newsletterId, { ...s, isNew: false, dirty: false, push: false });
  }
  return users;
}

export function newUser(users: Map<string, UserRows>, userId: string): UserRows {
  const user: UserRows = { userId, subscriber: null, subscriberDirty: false, subs: new Map() };
  users.set(userId, user);
  return user;
}

export function toUserState(user: UserRows): UserState {
  return { subscriber: user.subscriber, subscriptions: [...user.subs.values()] };
}

export function applyDecision(user: UserRows, decision: Decision, userId: string): void {
  if (decision.subscriber) {
    const { profile, profileAt, deletedAt } = decision.subscriber;
    const before = user.subscriber;
    const email = profile ? profile.email : null;
    const sameAddress = before?.email != null && email != null && before.email.toLowerCase() === email.toLowerCase();
    user.subscriber = {
      email,
      emailSince: sameAddress ? before.emailSince : profileAt,
      firstName: profile?.firstName ?? '',
      lastName: profile?.lastName ?? '',
      gender: profile?.gender ?? '',
      profileAt,
      deletedAt,
    };
    user.subscriberDirty = true;
  }
  for (const change of decision.subscriptions) {
    const existing = user.subs.get(change.newsletterId);
    const row = existing ?? {
      id: `sub_${randomAlnum(20)}`,
      userId,
      newsletterId: change.newsletterId,
      recipientId: null,
      resubscribe: false,
      lookupEmails: null,
      isNew: true,
      dirty: true,
      push: true,
      state: change.state,
      stateAt: change.stateAt,
      stateBy: change.stateBy,
    };
    row.state = change.state;
    row.stateAt = change.stateAt;
    row.stateBy = change.stateBy;
    if (change.resubscribe !== undefined) row.resubscribe = change.resubscribe;
    if (change.lookupEmails !== undefined) row.lookupEmails = change.lookupEmails;
    row.dirty = true;
    row.push ||= change.push;
    user.subs.set(change.newsletterId, row);
  }
}

/** The changed rows as a few multi-row upserts, and the ids to push. */
export function userWrites(db: Db, users: UserRows[], now: number): { statements: Statement[]; pushIds: string[] } {
  const statements: Statement[] = [];
  const subscriberRows = users.flatMap((u) =>
    u.subscriberDirty && u.subscriber ? [{ userId: u.userId, ...u.subscriber, createdAt: now, updatedAt: now }] : [],
  );
  for (const chunk of chunks(subscriberRows, 100)) statements.push(upsertSubscribers(db, chunk));
  const changed = users.flatMap((u) => [...u.subs.values()].filter((s) => s.dirty));
  const rowOf = (s: SubRow) => ({
    id: s.id,
    userId: s.userId,
    newsletterId: s.newsletterId,
    state: s.state,
    stateAt: s.stateAt,
    stateBy: s.stateBy,
    resubscribe: s.resubscribe,
    lookupEmails: s.lookupEmails,
    pendingSince: now,
    createdAt: now,
    updatedAt: now,
  });
  // Rows to push get a new version and start their transfer afresh; the others keep theirs.
  for (const chunk of chunks(changed.filter((s) => s.push).map(rowOf), 100)) statements.push(upsertToPush(db, chunk));
  for (const chunk of chunks(changed.filter((s) => !s.push).map(rowOf), 100))
    statements.push(upsertKeepingTransfer(db, chunk));
  return { statements, pushIds: changed.filter((s) => s.push).map((s) => s.id) };
}
