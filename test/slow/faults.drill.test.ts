import { env } from 'cloudflare:test';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emulator } from '../support/emulator';
import { extraSetting } from '../support/env';
import { ownList } from '../support/lists';
import { allSettled, checkUser, recipientsOf, toPortalEvent } from '../support/model';
import { buildScenario, deliveries } from '../support/scenario';
import { mapNewsletter, postEvent, uid } from '../support/worker';

/**
 * Portal events of all four types, delivered out of order and repeated, while the emulator
 * fails a seeded 30% of calls (429 with and without Retry-After, 500, 503, timeouts) and
 * expires every token once mid-run: everything must still end synced, in the right final
 * state, with no duplicate recipient. `npm run drill` runs the same with 2,000+ events.
 */

const EVENTS = Number(extraSetting(env, 'DRILL_EVENTS') ?? 300);
const SEED = Number(extraSetting(env, 'DRILL_SEED') ?? 30);

describe(`${EVENTS} events under a 30% fault rate`, () => {
  const newsletters: [string, string] = [uid('drill-a'), uid('drill-b')];
  let listIds: [string, string] = ['', ''];
  beforeAll(async () => {
    listIds = [await ownList('drill-a'), await ownList('drill-b')];
    await mapNewsletter(newsletters[0], listIds[0]);
    await mapNewsletter(newsletters[1], listIds[1]);
  });
  afterAll(async () => {
    await emulator.clearFaults();
  });

  it(
    'ends in the right final state, all synced, with zero duplicate recipients',
    async () => {
      const scenario = buildScenario(EVENTS, newsletters, SEED);
      const sends = deliveries(scenario.events, SEED + 1);
      const started = Date.now();
      await emulator.clearLog();
      await emulator.faults({
        rate: 0.3,
        seed: SEED,
        kinds: ['429_retry_after', '429', '500', '503', 'timeout'],
        retryAfterSeconds: 1,
        delayMs: 2500,
      });
      let expired = false;
      for (const [i, d] of sends.entries()) {
        const res = await postEvent(toPortalEvent(d.event), { id: d.id });
        expect([200, 202]).toContain(res.status);
        // A long run says how far it got (a drill of 2,000+ events posts for many minutes).
        if ((i + 1) % 250 === 0)
          console.log(
            `drill: posted ${i + 1}/${sends.length} deliveries after ${((Date.now() - started) / 1000).toFixed(0)} s`,
          );
        if (!expired && i >= sends.length / 2) {
          await emulator.expireTokens({ access: true, refresh: true });
          expired = true;
        }
      }
      const posted = Date.now();
      await allSettled(scenario.users, Math.max(120_000, EVENTS * 600));
      const settledAt = Date.now();
      await emulator.clearFaults();

      const recipients = await recipientsOf(listIds);
      const lists = { [newsletters[0]]: listIds[0], [newsletters[1]]: listIds[1] };
      for (const u of scenario.users)
        await checkUser(u, scenario.events, scenario.pool.get(u) ?? [], lists, recipients);

      const { counters, entries } = await emulator.log();
      const faults = entries.filter((e) => e.fault).length;
      console.log(
        JSON.stringify({
          drill: { events: scenario.events.length, deliveries: sends.length, users: scenario.users.length, seed: SEED },
          providerCalls: entries.length,
          injectedFaults: faults,
          callsPerEvent: Number((entries.length / scenario.events.length).toFixed(3)),
          secondsToPost: (posted - started) / 1000,
          secondsToSettle: (settledAt - started) / 1000,
          checked: 'every user: desired state, transfer synced, ≤1 recipient per list, profile/flags at the emulator',
          counters,
        }),
      );
      expect(faults).toBeGreaterThan(0);
    },
    Math.max(300_000, EVENTS * 900),
  );
});
