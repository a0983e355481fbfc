import { env } from 'cloudflare:test';
import { and, count, eq, inArray } from 'drizzle-orm';
import { expect } from 'vitest';
import { getConfig } from '../../src/config';
import { createDb } from '../../src/db/client';
import { subscriptions } from '../../src/db/schema';
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

export function toPortalEvent(e: ScenarioEvent) {
  const occurredAt = new Date(e.at).toISOString();
  switch (e.type) {
    case 'subscription.confirmed':
      return { type: e.type, occurredAt, data: { userId: e.userId, newsletterId: e.newsletterId, ...e.profile } };
    case 'subscriber.updated':
      return { type: e.type, occurredAt, data: { userId: e.userId, ...e.profile } };
    case 'subscription.cancelled':
      return { type: e.type, occurredAt, data: { userId: e.userId, newsletterId: e.newsletterId } };
    case 'user.deleted':
      return { type: e.type, occurredAt, data: { userId: e.userId } };
  }
}

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
export async function allSettled(userIds: string[], timeoutMs: number): Promise<void> {
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
    await new Promise((r) => setTimeout(r, 500));
  }
}

export async function recipientsOf(lists: string[]): Promise<Map<string, EmulatedRecipient[]>> {
  return new Map(await Promise.all(lists.map(async (l) => [l, await emulator.recipients(l)] as const)));
}
