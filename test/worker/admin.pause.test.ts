import * as v from 'valibot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PauseState, Resumed, Stats, SubscriberView } from '../../src/schemas/admin';
import { Health } from '../../src/schemas/common';
import { type Lane, openLane } from '../support/lane';
import { TEST_LISTS } from '../support/settings';
import { cancelled, confirmed, uid } from '../support/worker';

/**
 * The pause switch is account-wide (every isolate obeys it): a lane of its own, so other files'
 * transfers go on. The queue is the lane's, driven by the test.
 */
describe('pausing and resuming transfers', () => {
  let lane: Lane;
  const newsletterId = uid('pause');
  const list = TEST_LISTS[0].id;
  beforeAll(async () => {
    lane = await openLane({ settings: { SWEEP_PENDING_AFTER_SECONDS: '0' } });
    await lane.mapNewsletter(newsletterId, list);
  });
  afterAll(async () => {
    await lane?.close();
  });

  const json = async <T>(schema: v.GenericSchema<unknown, T>, res: Response | Promise<Response>) => {
    const answer = await res;
    return { status: answer.status, body: v.parse(schema, await answer.json()) };
  };
  const pause = (reason: string) =>
    json(PauseState, lane.admin('/v1/admin/transfers/pause', { method: 'PUT', body: JSON.stringify({ reason }) }));
  const resume = () => json(Resumed, lane.admin('/v1/admin/transfers/pause', { method: 'DELETE' }));
  const view = async (user: string) => v.parse(SubscriberView, await lane.subscriber(user));

  it('stops every write to the provider, keeps transfers pending without attempts, and says so everywhere', async () => {
    const kept = uid('u');
    await lane.postEvent(confirmed(kept, newsletterId, `${kept}@example.com`));
    await lane.settled(kept);

    const paused = await pause('migration to the new list');
    expect(paused).toMatchObject({
      status: 200,
      body: { paused: true, reason: 'migration to the new list', warning: null },
    });
    // A second PUT changes the reason, not the start.
    const again = await pause('migration, step 2');
    expect(again.body).toMatchObject({ paused: true, since: paused.body.since, reason: 'migration, step 2' });

    await lane.emulator.clearLog();
    const user = uid('u');
    await lane.postEvent(confirmed(user, newsletterId, `${user}@example.com`));
    await lane.postEvent(cancelled(kept, newsletterId));
    await lane.drain();
    const retry = await lane.admin(`/v1/admin/subscribers/${kept}/subscriptions/${newsletterId}/retry`, {
      method: 'POST',
    });
    expect(retry.status).toBeLessThan(300);
    await lane.drain();
    await lane.scheduled();
    await lane.drain();
    expect((await lane.emulator.log()).entries.filter((e) => !e.path.startsWith('/oauth'))).toEqual([]);
    for (const u of [user, kept])
      expect((await view(u)).subscriptions[0]?.transfer).toMatchObject({ status: 'pending', attempts: 0 });

    const health = await json(Health, lane.fetch(new Request('http://bridge.test/health')));
    expect(health).toMatchObject({
      status: 200,
      body: { status: 'paused', pause: { since: paused.body.since, reason: 'migration, step 2' } },
    });
    const stats = await json(Stats, lane.admin('/v1/admin/stats'));
    expect(stats.body.transfers.pause).toMatchObject({ paused: true, reason: 'migration, step 2' });
    expect((await view(user)).transfers.pause).toMatchObject({ paused: true, since: paused.body.since });
    expect((await json(PauseState, lane.admin('/v1/admin/transfers/pause'))).body.paused).toBe(true);
  });

  it('resuming sends what waited, cancellations first, and every transfer syncs', async () => {
    const sentBefore = lane.sent().length;
    const resumed = await resume();
    expect(resumed.status).toBe(200);
    expect(resumed.body).toMatchObject({ paused: false, since: null });
    expect(resumed.body.resumedAfterSeconds).toEqual(expect.any(Number));
    expect(resumed.body.enqueued).toBeGreaterThanOrEqual(2);
    const order = lane
      .sent()
      .slice(sentBefore)
      .map((m) => (m.body as { subscriptionId?: string }).subscriptionId);
    const states = new Map<string, string>();
    for (const user of await pendingUsers())
      for (const s of (await view(user)).subscriptions) states.set(s.subscriptionId, s.state);
    const kinds = order.map((id) => states.get(id ?? '') ?? 'other');
    // Both kinds were sent, the cancellation first.
    expect(kinds).toContain('subscribed');
    expect(kinds.indexOf('unsubscribed')).toBeGreaterThanOrEqual(0);
    expect(kinds.indexOf('unsubscribed')).toBeLessThan(kinds.indexOf('subscribed'));
    await lane.drain();
    const stats = await json(Stats, lane.admin('/v1/admin/stats'));
    expect(stats.body.subscriptions.byTransferStatus.pending).toBe(0);
    expect(stats.body.transfers.pause.paused).toBe(false);
    const health = await json(Health, lane.fetch(new Request('http://bridge.test/health')));
    expect(health.body).toMatchObject({ status: 'ok', pause: null });
    // Resuming again finds nothing to resume.
    expect((await resume()).body).toMatchObject({ paused: false, resumedAfterSeconds: null, enqueued: 0 });
  });

  it('needs a reason, answered in the one error shape', async () => {
    const empty = await lane.admin('/v1/admin/transfers/pause', {
      method: 'PUT',
      body: JSON.stringify({ reason: ' ' }),
    });
    expect(empty.status).toBe(422);
    expect(empty.headers.get('content-type')).toContain('application/problem+json');
    const notJson = await lane.admin('/v1/admin/transfers/pause', { method: 'PUT', body: 'pause!' });
    expect(notJson.status).toBe(400);
    expect((await json(PauseState, lane.admin('/v1/admin/transfers/pause'))).body.paused).toBe(false);
  });

  /** Users of this file's newsletter, from the admin list. */
  async function pendingUsers(): Promise<string[]> {
    const res = await lane.admin(`/v1/admin/subscriptions?newsletterId=${newsletterId}&limit=100`);
    const page = (await res.json()) as { items: { userId: string }[] };
    return [...new Set(page.items.map((i) => i.userId))];
  }
});
