import { env, SELF } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { defined } from '../support/defined';
import { emulator } from '../support/emulator';
import { extraSetting } from '../support/env';
import { ownList } from '../support/lists';
import { allSettled } from '../support/model';
import { confirmed, mapNewsletter, signedRequest, subscriber, uid } from '../support/worker';

/**
 * A subscriber base loaded through the batch endpoint and the real local queue, counting every
 * Newsletter2Go call: alone in the slow project, since the emulator's counters are account-wide.
 * `npm run bench:load` runs it with 10,000 subscribers (LOAD_SUBSCRIBERS) and prints the figures.
 */

type BatchAnswer = { results: { id: string; status: string }[] };

const postBatch = async (events: unknown[]) =>
  SELF.fetch(await signedRequest(JSON.stringify({ events }), { path: '/v1/events/batch' }));

describe('bulk load', () => {
  const newsletterId = uid('bulk');
  let list = '';
  beforeAll(async () => {
    list = await ownList('bulk');
    await mapNewsletter(newsletterId, list);
  });

  it('loads a subscriber base with two provider calls per 100 subscribers (array upsert, id read-back)', async () => {
    const size = Number(extraSetting(env, 'LOAD_SUBSCRIBERS') ?? 300);
    const users = Array.from({ length: size }, () => uid('load'));
    await emulator.clearLog();
    const started = Date.now();
    for (let i = 0; i < users.length; i += 500) {
      const events = users
        .slice(i, i + 500)
        .map((u) => ({ id: uid('e'), ...confirmed(u, newsletterId, `${u}@example.com`, { firstName: 'Load' }) }));
      const res = await postBatch(events);
      expect(res.status).toBe(200);
      const { results } = await res.json<BatchAnswer>();
      expect(results.every((r) => r.status === 'accepted')).toBe(true);
    }
    const posted = Date.now();
    await allSettled(users, Math.max(60_000, size * 60));
    const { counters } = await emulator.log();
    const calls = (counters as { total: number }).total;
    console.log(
      JSON.stringify({
        bulkLoad: {
          subscribers: size,
          providerCalls: calls,
          callsPerEvent: Number((calls / size).toFixed(4)),
          secondsToPost: (posted - started) / 1000,
          secondsToSync: (Date.now() - started) / 1000,
          byRoute: (counters as { byRoute: unknown }).byRoute,
        },
      }),
    );
    // One id read-back per array upsert (0.02 calls per subscriber with full batches of 100; the
    // queue may hand over a partial batch, so the total has some room).
    const byRoute = (counters as { byRoute: Record<string, number> }).byRoute;
    expect(byRoute['GET /lists/{list_id}/recipients'] ?? 0).toBeLessThanOrEqual(byRoute['POST /recipients'] ?? 0);
    expect(calls).toBeLessThanOrEqual(users.length / 40);
    expect(await emulator.find(list, `${users[123]}@example.com`)).toMatchObject({ first_name: 'Load' });
    expect((await subscriber(defined(users[0], 'the first user')))?.subscriptions[0]?.transfer.status).toBe('synced');
  }, 1_200_000);
});
