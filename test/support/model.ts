import { env } from 'cloudflare:test';
import { and, count, eq, inArray } from 'drizzle-orm';
import { expect } from 'vitest';
import { getConfig } from '../../src/config';
import { createDb } from '../../src/db/client';
import { subscriptions } from '../../src/db/schema';
import { portalBody } from '../../stack/portal-event.mjs';
import { type EmulatedRecipient, emulator } from './emulator';
import { type SubscriptionJson, subscriber } from './worker';

/**
 * An independent model of "the same final state" (contract §6), for scenario tests: given the
 * events a portal sent (in any order, any number of times), what must Newsletter2Go hold?
 * It restates the contract's rules directly rather than calling the worker's code.
 */

export interface Profile {
  email: string;
  firstName?: string;
  lastName?: string;
  gender?: 'm' | 'f';
}

export type ScenarioEvent =
  | { type: 'subscription.confirmed'; at: number; userId: string; newsletterId: string; profile: Profile }
  | { type: 'subscriber.updated'; at: number; userId: string; profile: Profile }
  | { type: 'subscription.cancelled'; at: number; userId: string; newsletterId: string }
  | { type: 'user.deleted'; at: number; userId: string };

/** The portal's body for a scenario event (contract §1): the one mapping the Node drills use too. */
export const toPortalEvent = (e: ScenarioEvent) => portalBody(e);

export interface Expected {
  deleted: boolean;
  profile: Profile | null;
  /** newsletterId → state; absent when no state event exists for it. */
  states: Map<string, 'subscribed' | 'unsubscribed' | 'deleted'>;
}

/** The contract's ordering rules, restated: latest occurredAt wins; on a tie a cancellation wins. */
export function expectedFor(userId: string, events: ScenarioEvent[]): Expected {
  const mine = events.filter((e) => e.userId === userId);
  const deleted = mine.some((e) => e.type === 'user.deleted');
  let profile: { at: number; p: Profile } | null = null;
  for (const e of mine) {
    if ((e.type === 'subscription.confirmed' || e.type === 'subscriber.updated') && (!profile || e.at > profile.at))
      profile = { at: e.at, p: e.profile };
  }
  const states = new Map<string, 'subscribed' | 'unsubscribed' | 'deleted'>();
  const newsletters = new Set(mine.flatMap((e) => ('newsletterId' in e ? [e.newsletterId] : [])));
  for (const n of newsletters) {
    const stateEvents = mine.filter(
      (e): e is Extract<ScenarioEvent, { newsletterId: string }> => 'newsletterId' in e && e.newsletterId === n,
    );
    const latest = Math.max(...stateEvents.map((e) => e.at));
    const atLatest = stateEvents.filter((e) => e.at === latest);
    const state = atLatest.some((e) => e.type === 'subscription.cancelled') ? 'unsubscribed' : 'subscribed';
    states.set(n, deleted ? 'deleted' : state);
  }
  return { deleted, profile: deleted ? null : (profile?.p ?? null), states };
}

/**
 * Checks the emulator against the model for one user. `pool` is every address the scenario
 * ever gave the user; `lists` maps newsletterId → list id.
 */
export async function checkUser(
  userId: string,
  events: ScenarioEvent[],
  pool: string[],
  lists: Record<string, string>,
  recipientsByList: Map<string, EmulatedRecipient[]>,
) {
  const expected = expectedFor(userId, events);
  const view = await subscriber(userId);
  const subs = new Map<string, SubscriptionJson>((view?.subscriptions ?? []).map((s) => [s.newsletterId, s]));
  const lower = new Set(pool.map((e) => e.toLowerCase()));
  for (const [newsletterId, listId] of Object.entries(lists)) {
    const state = expected.states.get(newsletterId);
    const sub = subs.get(newsletterId);
    const recipients = recipientsByList.get(listId) ?? [];
    const ours = recipients.filter(
      (r) => lower.has(r.email.toLowerCase()) || (sub && r.email === `deleted-${sub.subscriptionId}@deleted.invalid`),
    );
    const where = `${userId} in ${newsletterId}`;
    // A deleted user's later events create nothing, so a subscription may be absent then.
    if (state && !(state === 'deleted' && !sub)) expect(sub?.state, `desired state of ${where}`).toBe(state);
    if (sub) expect(sub.transfer.status, `transfer of ${where}: ${JSON.stringify(sub.transfer.error)}`).toBe('synced');
    if (ours.length > 1) {
      const history = events
        .filter((e) => e.userId === userId)
        .map((e) => ({ ...e, at: new Date(e.at).toISOString() }));
      const timeline = view?.timeline
        .slice()
        .reverse()
        .map((t) => ({ kind: t.kind, outcome: t.outcome, detail: t.detail }));
      expect.fail(
        `duplicate recipients of ${where}: ${JSON.stringify(ours)}\nevents: ${JSON.stringify(history)}\ntimeline: ${JSON.stringify(timeline)}`,
      );
    }
    const [recipient] = ours;
    if (state === 'subscribed') {
      const p = expected.profile;
      expect(recipient, `recipient of ${where}`).toBeDefined();
      expect(recipient?.is_unsubscribed, `is_unsubscribed of ${where}`).toBe(false);
      expect(recipient?.email.toLowerCase()).toBe(p?.email.toLowerCase());
      expect(recipient?.first_name ?? '').toBe(p?.firstName ?? '');
      expect(recipient?.last_name ?? '').toBe(p?.lastName ?? '');
      expect(recipient?.gender ?? '').toBe(p?.gender ?? '');
    } else if (state === 'deleted') {
      if (recipient) {
        expect(lower.has(recipient.email.toLowerCase()), `personal data left at the provider for ${where}`).toBe(false);
        expect(recipient).toMatchObject({ first_name: 'DELETED', last_name: 'DELETED', is_unsubscribed: true });
      }
    } else if (recipient) {
      expect(recipient.is_unsubscribed, `${where} must not be subscribed at the provider`).toBe(true);
    }
  }
}

/**
 * Waits until no subscription of these users is pending. It asks the database directly: polling
 * the admin JSON of hundreds of users would compete with the consumer it is waiting for.
 */
export async function allSettled(userIds: string[], timeoutMs: number, pollMs = 500): Promise<void> {
  const db = createDb(getConfig(env));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let pending = 0;
    for (let i = 0; i < userIds.length; i += 100) {
      const [row] = await db
        .select({ n: count() })
        .from(subscriptions)
        .where(
          and(inArray(subscriptions.userId, userIds.slice(i, i + 100)), eq(subscriptions.transferStatus, 'pending')),
        );
      pending += row?.n ?? 0;
    }
    if (!pending) return;
    if (Date.now() > deadline) throw new Error(`${pending} transfers still pending`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

export async function recipientsOf(lists: string[]): Promise<Map<string, EmulatedRecipient[]>> {
  return new Map(await Promise.all(lists.map(async (l) => [l, await emulator.recipients(l)] as const)));
}

/*
 * Shared addresses and consent changed inside Newsletter2Go (contract §6), for the property test.
 * The deliveries are replayed in the order they came, since who took an address first and which
 * events had to reach the provider depend on that order; settles split them into phases, and
 * between phases the test changes recipients inside Newsletter2Go.
 */

/** A delivery in the order the portal sent it, and the phase it fell in. */
export interface Sent {
  event: ScenarioEvent;
  phase: number;
}

export type DesiredState = 'subscribed' | 'unsubscribed' | 'deleted';

export interface IntakeSubscription {
  state: DesiredState;
  at: number;
  /** The type of the event that set `state`: a cancellation or deletion wins ties. */
  by: ScenarioEvent['type'];
  /** Creation order, the last tie-break of who took an address first. */
  created: number;
  /** Created by a confirmation and subscribed ever since. */
  steady: boolean;
}

export interface IntakeUser {
  profile: Profile | null;
  profileAt: number;
  /** The occurredAt of the profile that set the current address (a change of case keeps it). */
  emailSince: number;
  deleted: boolean;
  subscriptions: Map<string, IntakeSubscription>;
  /** Every address the user sent, lower-cased. */
  addresses: Set<string>;
  /** newsletterId → when (in delivery order) the user's first confirmation of it arrived. */
  confirmed: Map<string, number>;
}

/**
 * The desired state the deliveries leave (contract §1 "Ordering", §6 "what orders events"), and
 * per subscription the phases in which the provider had to be told something (`told`: its state
 * changed, or the profile of a subscribed one) and in which the portal re-subscribed it
 * (`resubscribed`: a confirmation newer than a cancellation that was applied, §6 consent).
 */
export interface Intake {
  users: Map<string, IntakeUser>;
  told: Map<string, Set<number>>;
  resubscribed: Map<string, Set<number>>;
}

export const subscriptionKey = (userId: string, newsletterId: string) => `${userId}|${newsletterId}`;

const WINS_TIES = new Set<ScenarioEvent['type']>(['subscription.cancelled', 'user.deleted']);

/** An absent optional field means empty (contract §6 "profile data"); the address as given. */
function sameProfile(a: Profile, b: Profile): boolean {
  return (
    a.email === b.email &&
    (a.firstName ?? '') === (b.firstName ?? '') &&
    (a.lastName ?? '') === (b.lastName ?? '') &&
    (a.gender ?? '') === (b.gender ?? '')
  );
}

export function replayIntake(sent: Sent[]): Intake {
  const intake: Intake = { users: new Map(), told: new Map(), resubscribed: new Map() };
  const mark = (into: Map<string, Set<number>>, key: string, phase: number) =>
    into.set(key, (into.get(key) ?? new Set<number>()).add(phase));
  let created = 0;
  for (const [index, { event: e, phase }] of sent.entries()) {
    const user: IntakeUser = intake.users.get(e.userId) ?? {
      profile: null,
      profileAt: Number.NEGATIVE_INFINITY,
      emailSince: 0,
      deleted: false,
      subscriptions: new Map(),
      addresses: new Set(),
      confirmed: new Map(),
    };
    intake.users.set(e.userId, user);
    if ('profile' in e) user.addresses.add(e.profile.email.toLowerCase());
    if (user.deleted) continue; // a deleted user stays deleted, whatever comes later
    if (e.type === 'subscription.confirmed' && !user.confirmed.has(e.newsletterId))
      user.confirmed.set(e.newsletterId, index);
    if (e.type === 'user.deleted') {
      user.deleted = true;
      user.profile = null;
      for (const [n, s] of user.subscriptions) {
        Object.assign(s, { state: 'deleted', steady: false });
        mark(intake.told, subscriptionKey(e.userId, n), phase);
      }
      continue;
    }
    if ('profile' in e && e.at > user.profileAt) {
      const before = user.profile;
      if (before?.email.toLowerCase() !== e.profile.email.toLowerCase()) user.emailSince = e.at;
      user.profile = e.profile;
      user.profileAt = e.at;
      // Every subscribed recipient of the user carries the profile.
      if (!before || !sameProfile(before, e.profile))
        for (const [n, s] of user.subscriptions)
          if (s.state === 'subscribed') mark(intake.told, subscriptionKey(e.userId, n), phase);
    }
    if (e.type === 'subscriber.updated') continue;
    const key = subscriptionKey(e.userId, e.newsletterId);
    const target = e.type === 'subscription.confirmed' ? 'subscribed' : 'unsubscribed';
    const sub = user.subscriptions.get(e.newsletterId);
    if (!sub) {
      const steady = target === 'subscribed';
      user.subscriptions.set(e.newsletterId, { state: target, at: e.at, by: e.type, created: created++, steady });
      mark(intake.told, key, phase);
      continue;
    }
    if (!(e.at > sub.at || (e.at === sub.at && WINS_TIES.has(e.type) && !WINS_TIES.has(sub.by)))) continue;
    if (sub.state !== target) {
      sub.steady = false;
      mark(intake.told, key, phase);
      if (target === 'subscribed') mark(intake.resubscribed, key, phase);
    }
    Object.assign(sub, { state: target, at: e.at, by: e.type });
  }
  return intake;
}

export type ClashExpectation = 'clash' | 'no-clash' | 'either';

/**
 * Whether a subscription, subscribed under the user's current address, must end failed with
 * `clash` (contract §6): of two portal users with one address (case-insensitively) in one
 * newsletter, the one who took it later (by the occurredAt of the profile that set it, then by
 * subscription creation) fails; every other user counts whose subscription has or may have a
 * recipient there.
 *
 * Exact only where the order in which the queue pushes cannot matter:
 * - a user no other user ever sent the address never clashes;
 * - where every other user who sent the address always sent it and was never deleted, claims
 *   never move. If the earliest claimer of those who confirmed the newsletter confirmed it
 *   before any of the others and stayed subscribed, it counted at every push of theirs: it never
 *   clashes and every later one does.
 * Otherwise the model does not predict who fails, and the invariants the checker applies to
 * every subscription stand: if the later claimer's confirmation came first (it may have been
 * pushed before the earlier claimer's events arrived, and holds the recipient), the contract's
 * "the later one fails" would mean moving a recipient from one user to another, which it leaves
 * open; what it does say holds either way: neither user's events touch the other's recipient.
 */
export function clashExpectation(intake: Intake, userId: string, newsletterId: string): ClashExpectation {
  const me = intake.users.get(userId);
  const address = me?.profile?.email.toLowerCase();
  if (!me || !address) return 'no-clash';
  const others = [...intake.users].filter(
    ([id, u]) => id !== userId && u.addresses.has(address) && u.subscriptions.has(newsletterId),
  );
  if (!others.length) return 'no-clash';
  if (!others.every(([, u]) => !u.deleted && u.addresses.size === 1)) return 'either';
  const claim = (u: IntakeUser) => [u.emailSince, u.subscriptions.get(newsletterId)?.created ?? 0] as const;
  const contenders = [[userId, me] as const, ...others]
    .filter(([, u]) => u.confirmed.has(newsletterId))
    .sort(([, a], [, b]) => claim(a)[0] - claim(b)[0] || claim(a)[1] - claim(b)[1]);
  const [first, ...later] = contenders;
  if (!first) return 'no-clash';
  const confirmedAt = (u: IntakeUser) => u.confirmed.get(newsletterId) ?? Number.POSITIVE_INFINITY;
  const held =
    first[1].subscriptions.get(newsletterId)?.steady === true &&
    later.every(([, u]) => confirmedAt(u) > confirmedAt(first[1]));
  if (!held) return 'either';
  return first[0] === userId ? 'no-clash' : 'clash';
}

/** What a recipient held at the start of a phase (after the changes made inside Newsletter2Go). */
export interface Held {
  unsubscribed: boolean;
  blacklisted: boolean;
}

/**
 * What a subscription's recipient must look like at the end of a phase, from what it was at the
 * start (`before`, null when it had none: never created, or deleted inside Newsletter2Go):
 * - `unchanged`: the provider had nothing to be told, so nothing may touch it: no other user's
 *   events, nothing the worker does on its own.
 * - `present`, `profile` ('erased': the dummy values; 'own': some profile of its own user's):
 *   `'either'` where a push earlier in the phase may or may not have created it.
 * - `unsubscribed`: `is_unsubscribed` never goes from true to false but by a re-subscription from
 *   the portal in this phase (contract §6 consent), so one unsubscribed inside Newsletter2Go
 *   stays so unless the portal re-subscribes it; a recipient re-created after it was deleted
 *   inside Newsletter2Go starts subscribed (§6 "recipient gone at the provider").
 * - `blacklisted`: the worker never touches the flag.
 */
export type RecipientRule =
  | 'unchanged'
  | {
      present: boolean | 'either';
      profile: Profile | 'erased' | 'own';
      unsubscribed: boolean | 'either';
      blacklisted: boolean;
    };

export function recipientRule(input: {
  state: DesiredState;
  profile: Profile | null;
  told: boolean;
  resubscribed: boolean;
  outcome: 'synced' | 'failed';
  before: Held | null;
}): RecipientRule {
  const { state, profile, told, resubscribed, outcome, before } = input;
  if (!told) return 'unchanged';
  const blacklisted = before?.blacklisted ?? false;
  if (outcome === 'failed') {
    // A clash sends nothing; a push earlier in the phase may have. Without a re-subscription the
    // state was subscribed all phase long, so nothing unsubscribed or re-subscribed it.
    return before
      ? { present: true, profile: 'own', unsubscribed: resubscribed ? 'either' : before.unsubscribed, blacklisted }
      : { present: 'either', profile: 'own', unsubscribed: 'either', blacklisted };
  }
  if (state === 'subscribed' && profile)
    return {
      present: true,
      profile,
      unsubscribed: before ? (resubscribed ? false : before.unsubscribed) : false,
      blacklisted,
    };
  return {
    present: before ? true : 'either',
    profile: state === 'deleted' ? 'erased' : 'own',
    unsubscribed: true,
    blacklisted,
  };
}
