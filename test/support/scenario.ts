import fc from 'fast-check';
import { prng } from '../../stack/emulator-kit/prng.mjs';
import { defined } from './defined';
import type { Profile, ScenarioEvent } from './model';
import { uid } from './worker';

export interface Scenario {
  users: string[];
  events: ScenarioEvent[];
  pool: Map<string, string[]>;
}

/**
 * A seeded, repeatable portal history for many users: confirmations, profile changes,
 * cancellations, re-subscriptions and deletions, with unique times per user so the
 * expected final state is unambiguous. Used by the fault test and the drill.
 */
export function buildScenario(eventCount: number, newsletters: string[], seed: number): Scenario {
  const random = prng(seed);
  const pick = <T>(items: readonly T[]): T => defined(items[Math.floor(random() * items.length)], 'an item to pick');
  const users: string[] = [];
  const pool = new Map<string, string[]>();
  const events: ScenarioEvent[] = [];
  const base = Date.now() - 30 * 60_000;
  let clock = 0;
  while (events.length < eventCount) {
    const userId = uid('d');
    const emails = [`${userId}-0@example.com`, `${userId}-1@example.com`];
    users.push(userId);
    pool.set(userId, emails);
    const profile = (): Profile => ({
      email: pick(emails),
      ...(random() < 0.7 ? { firstName: pick(['Anna', 'Ben', 'Cem']) } : {}),
      ...(random() < 0.5 ? { gender: pick(['m', 'f'] as const) } : {}),
    });
    // Every user confirms first; what follows is random, as a real portal history would be.
    events.push({
      type: 'subscription.confirmed',
      at: base + ++clock,
      userId,
      newsletterId: pick(newsletters),
      profile: profile(),
    });
    const more = 1 + Math.floor(random() * 4);
    for (let i = 0; i < more && events.length < eventCount; i++) {
      const r = random();
      const at = base + ++clock;
      if (r < 0.35)
        events.push({
          type: 'subscription.confirmed',
          at,
          userId,
          newsletterId: pick(newsletters),
          profile: profile(),
        });
      else if (r < 0.6) events.push({ type: 'subscriber.updated', at, userId, profile: profile() });
      else if (r < 0.9) events.push({ type: 'subscription.cancelled', at, userId, newsletterId: pick(newsletters) });
      else {
        events.push({ type: 'user.deleted', at, userId });
        break;
      }
    }
  }
  return { users, events, pool };
}

/** Deliveries in a shuffled order, with a share sent twice (same id) and a share resent (new id). */
export function deliveries(events: ScenarioEvent[], seed: number, repeatShare = 0.1) {
  const random = prng(seed);
  const list = events.map((event) => ({ id: uid('evt'), event, key: random() }));
  list.sort((a, b) => a.key - b.key);
  const extra = list
    .filter(() => random() < repeatShare)
    .map((d) => ({ ...d, id: random() < 0.5 ? d.id : uid('evt') }));
  return [...list, ...extra];
}

/*
 * The property test's scenarios (test/worker/scenario.property.test.ts): two or three users, each
 * sending only addresses of their own, only one address shared by every user of the run (in
 * varying case), or both; deliveries shuffled and repeated, split into phases by settles; between
 * phases, recipients changed inside Newsletter2Go.
 */

export type ProviderChange = 'unsubscribe' | 'blacklist' | 'remove';

const step = fc.record({
  user: fc.nat(2),
  kind: fc.constantFrom('confirm', 'confirm', 'confirm', 'update', 'cancel', 'cancel', 'delete'),
  newsletter: fc.nat(1),
  email: fc.nat(3),
  firstName: fc.constantFrom(undefined, 'Anna', 'Ben'),
  lastName: fc.boolean(),
  gender: fc.constantFrom(undefined, 'm' as const, 'f' as const),
  tie: fc.boolean(),
});

const addressMode = fc.constantFrom('own', 'shared', 'mixed');

export const propertyInput = fc.record({
  userCount: fc.integer({ min: 2, max: 3 }),
  modes: fc.tuple(addressMode, addressMode, addressMode),
  steps: fc.array(step, { minLength: 4, maxLength: 12 }),
  order: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 20, maxLength: 20 }),
  repeats: fc.array(fc.record({ index: fc.nat(), sameId: fc.boolean() }), { maxLength: 4 }),
  /** Where the deliveries pause for a settle (a share of them), and what then changes inside Newsletter2Go. */
  pauses: fc.array(
    fc.record({
      /** Percent of the deliveries sent before it. */
      at: fc.integer({ min: 20, max: 70 }),
      changes: fc.array(
        fc.record({
          /** Which of the recipients there are then (in list order, mod their number). */
          pick: fc.nat(),
          kind: fc.constantFrom<ProviderChange>('unsubscribe', 'unsubscribe', 'blacklist', 'remove'),
        }),
        { minLength: 1, maxLength: 3 },
      ),
    }),
    { minLength: 1, maxLength: 2 },
  ),
});

export type PropertyInput = typeof propertyInput extends fc.Arbitrary<infer T> ? T : never;

export interface PropertyRun {
  users: string[];
  /** userId → the last name only that user sends, so a recipient shows whose data it carries. */
  markers: Map<string, string>;
  events: ScenarioEvent[];
  /** In the order they are sent; `phase` counts the pauses before it. */
  deliveries: { id: string; event: ScenarioEvent; phase: number; repeat: boolean }[];
  /** After phase k: which recipients (see `pick`) to change inside Newsletter2Go, and how. */
  changes: { pick: number; kind: ProviderChange }[][];
}

/** `shared`: this run's shared address, lower-case; users send it in three spellings. */
export function buildPropertyRun(input: PropertyInput, newsletters: string[], shared: string): PropertyRun {
  const users = Array.from({ length: input.userCount }, () => uid('p'));
  const userAt = (i: number) => defined(users[i % users.length], `user ${i}`);
  const markers = new Map(users.map((u, i) => [u, `Muster${i}`]));
  const [local = '', domain = ''] = shared.split('@');
  const spellings = [
    shared,
    `${local.slice(0, 1).toUpperCase()}${local.slice(1)}@${domain.toUpperCase()}`,
    shared.toUpperCase(),
  ];
  const addressOf = (userIndex: number, choice: number) => {
    const u = userAt(userIndex);
    const own = [`${u}-0@example.com`, `${u}-1@example.com`, `${u.toUpperCase()}-2@EXAMPLE.COM`];
    const mode = input.modes[userIndex % users.length] ?? 'own';
    const from = mode === 'own' ? own : mode === 'shared' ? spellings : [own[0], own[1], spellings[0], spellings[2]];
    return defined(from[choice % from.length], 'an address');
  };
  const base = Date.now() - 10 * 60_000;
  const events: ScenarioEvent[] = [];
  input.steps.forEach((s, i) => {
    const userId = userAt(s.user);
    const newsletterId = defined(newsletters[s.newsletter % newsletters.length], `newsletter ${s.newsletter}`);
    const profile: Profile = {
      email: addressOf(s.user, s.email),
      ...(s.firstName ? { firstName: s.firstName } : {}),
      ...(s.lastName ? { lastName: markers.get(userId) } : {}),
      ...(s.gender ? { gender: s.gender } : {}),
    };
    let at = base + i * 1000;
    if (s.kind === 'cancel' && s.tie) {
      // The same instant as an earlier confirmation: the cancellation must win either way.
      const twin = events.find(
        (e) => e.type === 'subscription.confirmed' && e.userId === userId && e.newsletterId === newsletterId,
      );
      if (twin) at = twin.at;
    }
    if (s.kind === 'confirm') events.push({ type: 'subscription.confirmed', at, userId, newsletterId, profile });
    if (s.kind === 'update') events.push({ type: 'subscriber.updated', at, userId, profile });
    if (s.kind === 'cancel') events.push({ type: 'subscription.cancelled', at, userId, newsletterId });
    if (s.kind === 'delete') events.push({ type: 'user.deleted', at, userId });
  });

  const sends = events.map((event, i) => ({
    id: uid('evt'),
    event,
    key: defined(input.order[i % input.order.length], 'an order key') + i * 1e-9,
    repeat: false,
  }));
  sends.sort((a, b) => a.key - b.key);
  for (const r of input.repeats) {
    const original = defined(sends[r.index % sends.length], 'the delivery to repeat');
    // A redelivery of the same id, or the portal sending the same event again under a new id.
    sends.push({ ...original, id: r.sameId ? original.id : uid('evt'), repeat: true });
  }
  // Pauses fall between deliveries; two at one place are one pause with both sets of changes.
  const pauses = new Map<number, PropertyRun['changes'][number]>();
  if (sends.length > 1)
    for (const p of input.pauses) {
      const before = Math.min(sends.length - 1, Math.max(1, Math.round((p.at / 100) * sends.length)));
      pauses.set(before, [...(pauses.get(before) ?? []), ...p.changes]);
    }
  const cuts = [...pauses.keys()].sort((a, b) => a - b);
  const deliveries = sends.map((s, i) => ({ ...s, phase: cuts.filter((c) => c <= i).length }));
  return { users, markers, events, deliveries, changes: cuts.map((c) => pauses.get(c) ?? []) };
}
