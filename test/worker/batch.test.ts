import { SELF } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { defined } from '../support/defined';
import { openLane } from '../support/lane';
import { ownList } from '../support/lists';
import { TEST_LISTS } from '../support/settings';
import { at, confirmed, mapNewsletter, postEvent, settled, signedRequest, uid } from '../support/worker';

/** In a lane (an account of its own) one newsletter may use a seeded list. */
const LANE_LIST = TEST_LISTS[1].id;
type BatchAnswer = { results: { id: string; status: string; errors?: { path: string; message: string }[] }[] };

const postBatch = async (events: unknown[], options: { secret?: string } = {}) =>
  SELF.fetch(await signedRequest(JSON.stringify({ events }), { ...options, path: '/v1/events/batch' }));

describe('POST /v1/events/batch', () => {
  const newsletterId = uid('batch');
  beforeAll(async () => {
    await mapNewsletter(newsletterId, await ownList('batch'));
  });

  it('answers a result per event in request order: accepted, duplicate, rejected', async () => {
    const [u1, u2] = [uid('u'), uid('u')];
    const first = { id: uid('e'), ...confirmed(u1, newsletterId, `${u1}@example.com`) };
    const answer = await postBatch([
      first,
      { id: uid('e'), ...confirmed(u2, newsletterId, `${u2}@example.com`) },
      { id: uid('e'), type: 'subscription.confirmed', occurredAt: at(), data: { userId: u2, email: 'nope' } },
      first,
      { ...first, data: { ...first.data, email: `${u1}.other@example.com` } },
      { type: 'user.deleted', occurredAt: at(), data: { userId: u2 } },
    ]);
    expect(answer.status).toBe(200);
    const { results } = await answer.json<BatchAnswer>();
    expect(results.map((r) => r.status)).toEqual([
      'accepted',
      'accepted',
      'rejected',
      'duplicate',
      'rejected',
      'rejected',
    ]);
    expect(results[2]?.errors?.map((e) => e.path)).toEqual(
      expect.arrayContaining(['/data/email', '/data/newsletterId']),
    );
    expect(results[4]?.errors?.[0]?.message).toMatch(/different body/);
    expect(results[5]?.errors?.[0]?.path).toBe('/id');
    expect((await settled(u1)).subscriptions[0]?.transfer.status).toBe('synced');
  });

  it('shares one id space with single deliveries', async () => {
    const user = uid('u');
    const id = uid('e');
    const event = confirmed(user, newsletterId, `${user}@example.com`);
    expect((await postEvent(event, { id })).status).toBe(202);
    const { results } = await (await postBatch([{ id, ...event }])).json<BatchAnswer>();
    expect(results[0]?.status).toBe('duplicate');
  });

  it('accepts ids up to the documented 256 characters and rejects longer ones', async () => {
    const [u1, u2] = [uid('u'), uid('u')];
    const longest = uid('e').padEnd(256, 'x');
    const answer = await postBatch([
      { id: longest, ...confirmed(u1, newsletterId, `${u1}@example.com`) },
      { id: `${longest}x`, ...confirmed(u2, newsletterId, `${u2}@example.com`) },
    ]);
    const { results } = await answer.json<BatchAnswer>();
    expect(results.map((r) => r.status)).toEqual(['accepted', 'rejected']);
    expect(results[1]?.errors).toEqual([{ path: '/id', message: 'id must be at most 256 characters' }]);
    const doc = await (await SELF.fetch('http://bridge.test/openapi.json')).json<{
      components: { schemas: Record<string, { allOf?: { properties?: { id?: { maxLength?: number } } }[] }> };
    }>();
    const documented = doc.components.schemas.BatchEvent?.allOf?.find((s) => s.properties?.id)?.properties?.id
      ?.maxLength;
    expect(documented).toBe(256);
  });

  it('rejects more than 500 events, an empty list and a body that is not JSON', async () => {
    const many = Array.from({ length: 501 }, (_, i) => ({ id: `x${i}`, ...confirmed('u', 'n', 'a@example.com') }));
    expect((await postBatch(many)).status).toBe(422);
    expect((await postBatch([])).status).toBe(422);
    const res = await SELF.fetch(await signedRequest('{"events": [', { path: '/v1/events/batch' }));
    expect(res.status).toBe(400);
  });

  it('rejects a batch over 1 MiB with 413 and an unsigned one with 401', async () => {
    const big = JSON.stringify({ events: [{ pad: 'x'.repeat(1024 * 1024) }] });
    const res = await SELF.fetch('http://bridge.test/v1/events/batch', { method: 'POST', body: big });
    expect(res.status).toBe(413);
    const unsigned = await SELF.fetch('http://bridge.test/v1/events/batch', { method: 'POST', body: '{"events":[]}' });
    expect(unsigned.status).toBe(401);
  });

  // The slow project loads 2,000 (npm run bench:load: 10,000) through the real queue; this one
  // delivers a smaller load in a lane, where every provider call is the load's own.
  it('loads a subscriber base with far fewer provider calls than events (array upserts per list)', async () => {
    const lane = await openLane();
    try {
      const nl = uid('bulk');
      await lane.mapNewsletter(nl, LANE_LIST);
      const users = Array.from({ length: 250 }, () => uid('load'));
      const events = users.map((u) => ({
        id: uid('e'),
        ...confirmed(u, nl, `${u}@example.com`, { firstName: 'Load' }),
      }));
      const res = await lane.fetch(await signedRequest(JSON.stringify({ events }), { path: '/v1/events/batch' }));
      expect((await res.json<BatchAnswer>()).results.every((r) => r.status === 'accepted')).toBe(true);
      await lane.emulator.clearLog();
      await lane.drain();
      const { counters } = await lane.emulator.log();
      const calls = (counters as { total: number }).total;
      // 3 batches of at most 100: an array upsert and its id look-ups each, no call per subscriber.
      expect(calls).toBeLessThan(users.length / 20);
      expect(await lane.emulator.find(LANE_LIST, `${users[123]}@example.com`)).toMatchObject({ first_name: 'Load' });
      for (const u of [defined(users[0], 'the first user'), defined(users[249], 'the last user')])
        expect((await lane.subscriber(u))?.subscriptions[0]?.transfer.status).toBe('synced');
    } finally {
      await lane.close();
    }
  });
});
