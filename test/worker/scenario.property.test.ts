import { env } from 'cloudflare:test';
import fc from 'fast-check';
import { beforeAll, describe, it } from 'vitest';
import { defined } from '../support/defined';
import { extraSetting } from '../support/env';
import { ownList } from '../support/lists';
import { allSettled, checkUser, type Profile, recipientsOf, type ScenarioEvent, toPortalEvent } from '../support/model';
import { mapNewsletter, postEvent, uid } from '../support/worker';

/**
 * Any order, any repetition: whatever order and however often a sequence of portal events
 * arrives, Newsletter2Go ends in "the same final state" (contract §6), checked at the
 * emulator against an independent model.
 */

// `npm test` runs a fixed seed; PROPERTY_RUNS / PROPERTY_SEED explore further (fast-check prints
// the seed and path of a failure, to replay it).
const RUNS = Number(extraSetting(env, 'PROPERTY_RUNS') ?? 40);
const SEED = Number(extraSetting(env, 'PROPERTY_SEED') ?? 20261129);

const step = fc.record({
  user: fc.integer({ min: 0, max: 1 }),
  kind: fc.constantFrom('confirm', 'confirm', 'confirm', 'update', 'cancel', 'cancel', 'delete'),
  newsletter: fc.integer({ min: 0, max: 1 }),
  email: fc.integer({ min: 0, max: 2 }),
  firstName: fc.constantFrom(undefined, 'Anna', 'Ben'),
  gender: fc.constantFrom(undefined, 'm' as const, 'f' as const),
  tie: fc.boolean(),
});

const scenario = fc.record({
  steps: fc.array(step, { minLength: 2, maxLength: 9 }),
  order: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 20, maxLength: 20 }),
  repeats: fc.array(fc.record({ index: fc.nat(), sameId: fc.boolean() }), { maxLength: 4 }),
});

describe('any order, any repetition', () => {
  const newsletters: [string, string] = [uid('prop-a'), uid('prop-b')];
  let listIds: [string, string] = ['', ''];
  let lists: Record<string, string> = {};
  beforeAll(async () => {
    listIds = [await ownList('prop-a'), await ownList('prop-b')];
    lists = { [newsletters[0]]: listIds[0], [newsletters[1]]: listIds[1] };
    await mapNewsletter(newsletters[0], listIds[0]);
    await mapNewsletter(newsletters[1], listIds[1]);
  });

  it(
    'ends in the same final state for random sequences, permutations and duplicates',
    async () => {
      await fc.assert(
        fc.asyncProperty(scenario, async ({ steps, order, repeats }) => {
          const users = [uid('p'), uid('p')];
          const pool = (u: string) => [`${u}-0@example.com`, `${u}-1@example.com`, `${u.toUpperCase()}-2@EXAMPLE.COM`];
          const base = Date.now() - 10 * 60_000;
          const events: ScenarioEvent[] = [];
          steps.forEach((s, i) => {
            const userId = defined(users[s.user], `user ${s.user}`);
            const newsletterId = defined(newsletters[s.newsletter], `newsletter ${s.newsletter}`);
            const profile: Profile = {
              email: defined(pool(userId)[s.email], `email ${s.email}`),
              ...(s.firstName ? { firstName: s.firstName } : {}),
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
            if (s.kind === 'confirm')
              events.push({ type: 'subscription.confirmed', at, userId, newsletterId, profile });
            if (s.kind === 'update') events.push({ type: 'subscriber.updated', at, userId, profile });
            if (s.kind === 'cancel') events.push({ type: 'subscription.cancelled', at, userId, newsletterId });
            if (s.kind === 'delete') events.push({ type: 'user.deleted', at, userId });
          });

          const deliveries = events.map((e, i) => ({
            id: uid('evt'),
            body: toPortalEvent(e),
            key: defined(order[i % order.length], 'an order key') + i * 1e-9,
          }));
          deliveries.sort((a, b) => a.key - b.key);
          for (const r of repeats) {
            const original = defined(deliveries[r.index % deliveries.length], 'the delivery to repeat');
            // A redelivery of the same id, or the portal sending the same event again under a new id.
            deliveries.push({ ...original, id: r.sameId ? original.id : uid('evt') });
          }
          for (const d of deliveries) {
            const res = await postEvent(d.body, { id: d.id });
            if (res.status !== 202 && res.status !== 200)
              throw new Error(`delivery answered ${res.status}: ${await res.text()}`);
          }

          await allSettled(users, 30_000);
          const recipients = await recipientsOf(listIds);
          for (const u of users) await checkUser(u, events, pool(u), lists, recipients);
        }),
        { numRuns: RUNS, seed: SEED, endOnFailure: true },
      );
    },
    Math.max(240_000, RUNS * 15_000),
  );
});
