import { env } from 'cloudflare:test';
import * as v from 'valibot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Stats } from '../../src/schemas/admin';
import type { BrevoContact } from '../support/brevo-emulator';
import { extraSetting } from '../support/env';
import { type Lane, openLane } from '../support/lane';
import { expectedFor, toPortalEvent } from '../support/model';
import { buildScenario, deliveries } from '../support/scenario';
import { uid } from '../support/worker';

/**
 * The fault drill on Brevo: portal events of all four types, out of order and repeated, while the
 * Brevo emulator fails a seeded 30% of calls (429, 500, 503, timeouts whose write still lands).
 * In a lane, so the queue is driven round by round: every retry is delivered at once, which is
 * the hardest timing for a write that is still landing. Everything must end synced, in the state
 * the independent model names, with one contact per person at most and nothing left of a deleted
 * user.
 */

const EVENTS = Number(extraSetting(env, 'DRILL_EVENTS') ?? 300);
const SEED = Number(extraSetting(env, 'DRILL_SEED') ?? 30);

describe(`Brevo: ${EVENTS} events under a 30% fault rate`, () => {
  let lane: Lane;
  const newsletters: [string, string] = [uid('bdrill-a'), uid('bdrill-b')];
  const lists = new Map<string, number>();
  beforeAll(async () => {
    lane = await openLane({
      brevo: {},
      settings: { SYNC_MAX_ATTEMPTS: '25', BREVO_TIMEOUT_MS: '1000', SWEEP_PENDING_AFTER_SECONDS: '0' },
    });
    for (const n of newsletters) {
      const { id } = await lane.brevo.createList(n);
      await lane.mapNewsletter(n, String(id));
      lists.set(n, id);
    }
  });
  afterAll(async () => {
    await lane?.close();
  });

  it(
    'ends in the state the model names, all synced, one contact per person, nothing left of the deleted',
    async () => {
      const scenario = buildScenario(EVENTS, newsletters, SEED);
      const sends = deliveries(scenario.events, SEED + 1);
      const started = Date.now();
      await fetch(`${lane.brevo.url()}/_emulator/faults`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ rate: 0.3, seed: SEED, kinds: ['429', '500', '503', 'timeout'], delayMs: 1_500 }),
      });
      for (const d of sends) {
        const res = await lane.postEvent(toPortalEvent(d.event), { id: d.id });
        expect([200, 202]).toContain(res.status);
      }
      // Rounds until nothing waits. A round the worker sent back whole (a lease kept after a
      // timeout, a rate-limit deferral) waits a moment of real time: those end by the clock.
      const rounds = async () => {
        for (let round = await lane.round(); round; round = await lane.round())
          if (!round.acked.length) await new Promise((r) => setTimeout(r, 250));
      };
      for (let pass = 0; pass < 10; pass++) {
        await rounds();
        const stats = v.parse(Stats, await (await lane.admin('/v1/admin/stats')).json());
        if (!stats.subscriptions.byTransferStatus.pending) break;
        await lane.scheduled();
      }
      const settledAt = Date.now();
      await fetch(`${lane.brevo.url()}/_emulator/faults`, { method: 'DELETE' });

      const contacts = await lane.brevo.contacts();
      const byExtId = new Map<string, BrevoContact[]>();
      for (const c of contacts) if (c.ext_id) byExtId.set(c.ext_id, [...(byExtId.get(c.ext_id) ?? []), c]);
      for (const userId of scenario.users) {
        const expected = expectedFor(userId, scenario.events);
        const pool = new Set((scenario.pool.get(userId) ?? []).map((e) => e.toLowerCase()));
        const mine = contacts.filter((c) => c.ext_id === userId || pool.has((c.email ?? '').toLowerCase()));
        expect(mine.length, `contacts of ${userId}`).toBeLessThanOrEqual(1);
        const [contact] = mine;
        const view = await lane.subscriber(userId);
        for (const s of view?.subscriptions ?? [])
          expect(s.transfer.status, `${userId} ${s.newsletterId}: ${JSON.stringify(s.transfer.error)}`).toBe('synced');
        if (expected.deleted) {
          expect(contact, `nothing left of deleted ${userId}`).toBeUndefined();
          continue;
        }
        for (const [newsletterId, state] of expected.states) {
          const list = lists.get(newsletterId) ?? -1;
          const inList = contact?.listIds.includes(list) ?? false;
          expect(inList, `${userId} in ${newsletterId} (${state})`).toBe(state === 'subscribed');
        }
        if ([...expected.states.values()].includes('subscribed')) {
          expect(contact?.email?.toLowerCase()).toBe(expected.profile?.email.toLowerCase());
          expect(contact?.attributes.FIRSTNAME ?? '').toBe(expected.profile?.firstName ?? '');
          expect(contact?.attributes.LASTNAME ?? '').toBe(expected.profile?.lastName ?? '');
        }
      }
      const log = await lane.brevo.log();
      const injected = log.filter((e) => e.fault).length;
      // The drill means nothing if the faults never came.
      expect(injected).toBeGreaterThan(log.length / 10);
      console.log(
        JSON.stringify({
          brevoDrill: {
            events: scenario.events.length,
            deliveries: sends.length,
            users: scenario.users.length,
            seed: SEED,
          },
          providerCalls: log.length,
          injectedFaults: injected,
          callsPerEvent: Number((log.length / scenario.events.length).toFixed(3)),
          contacts: contacts.length,
          secondsToSettle: (settledAt - started) / 1000,
        }),
      );
    },
    Math.max(240_000, EVENTS * 1_500),
  );
});
