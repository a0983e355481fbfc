import { prng } from '../../stack/n2g-emulator/prng.mjs';
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
