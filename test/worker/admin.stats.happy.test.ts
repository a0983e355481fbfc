import { createMessageBatch } from 'cloudflare:test';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getConfig } from '../../src/config';
import { createDb } from '../../src/db/client';
import { subscriptions } from '../../src/db/schema';
import { handleQueue } from '../../src/handlers';
import { Stats } from '../../src/schemas/admin';
import { adminToolsFor } from '../support/admin';
import { defined } from '../support/defined';
import { type Lane, openLane } from '../support/lane';
import { TEST_LISTS } from '../support/settings';
import { uid } from '../support/worker';

/** The stats count the whole database: the file has a lane, so other files' rows are not counted. */
describe('GET /v1/admin/stats', () => {
  const mapped = uid('stats');
  let lane: Lane;
  let tools: ReturnType<typeof adminToolsFor>;
  beforeAll(async () => {
    lane = await openLane();
    tools = adminToolsFor(lane.fetch);
    await lane.mapNewsletter(mapped, TEST_LISTS[1].id);
  });
  afterAll(async () => {
    await lane.close();
  });

  const stats = () => tools.adminJson('/v1/admin/stats', Stats);
  const subscribeMany = (newsletterId: string, count: number) => tools.subscribeMany(newsletterId, count);
  const postBatch = (events: Record<string, unknown>[]) => tools.postBatch(events);

  it("counts subscriptions per desired state and transfer status, and the last hour's attempts by outcome", async () => {
    const before = await stats();
    const synced = await subscribeMany(mapped, 2);
    const unmapped = await subscribeMany(uid('stats-unmapped'), 3);
    await postBatch([
      {
        type: 'subscription.cancelled',
        occurredAt: new Date().toISOString(),
        data: { userId: synced[0], newsletterId: mapped },
      },
    ]);
    for (const u of [...synced, ...unmapped]) await lane.settled(u);
    const after = await stats();

    expect(after.subscriptions.total - before.subscriptions.total).toBe(5);
    expect(after.subscriptions.byState.subscribed - before.subscriptions.byState.subscribed).toBe(4);
    expect(after.subscriptions.byState.unsubscribed - before.subscriptions.byState.unsubscribed).toBe(1);
    const sum = (o: Record<string, number>) => Object.values(o).reduce((a, b) => a + b, 0);
    expect(sum(after.subscriptions.byState)).toBe(after.subscriptions.total);
    expect(sum(after.subscriptions.byTransferStatus)).toBe(after.subscriptions.total);
    expect(after.subscriptions.byTransferStatus.failed - before.subscriptions.byTransferStatus.failed).toBe(3);
    expect(after.attemptsLastHour.total - before.attemptsLastHour.total).toBeGreaterThanOrEqual(5);
    expect((after.attemptsLastHour.byOutcome.failed ?? 0) - (before.attemptsLastHour.byOutcome.failed ?? 0)).toBe(3);
    expect(after.attemptsLastHour.byOutcome.synced ?? 0).toBeGreaterThanOrEqual(2);
    expect(sum(after.attemptsLastHour.byOutcome)).toBe(after.attemptsLastHour.total);
    expect(after.provider).toEqual({
      name: 'newsletter2go',
      login: 'ok',
      error: null,
      since: null,
      transfersWaiting: false,
      reason: null,
    });
  });

  it('reports the age of the oldest pending transfer from when it became pending', async () => {
    const [user] = await subscribeMany(uid('stats-pending'), 1);
    const view = await lane.settled(defined(user, 'the subscribed user'));
    const id = view.subscriptions[0]?.subscriptionId ?? '';
    const db = createDb(getConfig(lane.env));
    // An hour-old pending transfer (its queue message lost), put back as it was afterwards.
    await db
      .update(subscriptions)
      .set({ transferStatus: 'pending', pendingSince: Date.now() - 3_600_000 })
      .where(eq(subscriptions.id, id));
    try {
      const s = await stats();
      expect(s.oldestPendingAgeSeconds).toBeGreaterThanOrEqual(3600);
      expect(s.oldestPendingAgeSeconds).toBeLessThan(3600 + 600);
      expect(s.subscriptions.byTransferStatus.pending).toBe(1);
    } finally {
      await db
        .update(subscriptions)
        .set({ transferStatus: 'failed', pendingSince: null })
        .where(eq(subscriptions.id, id));
    }
  });

  it('counts dead letters', async () => {
    const config = getConfig(lane.env);
    const before = await stats();
    const batch = createMessageBatch(config.DEAD_LETTER_QUEUE, [
      { id: 'dl-stats', timestamp: new Date(), attempts: 21, body: { kind: 'sync', subscriptionId: uid('sub') } },
    ]);
    await handleQueue(config, batch);
    expect((await stats()).deadLettered - before.deadLettered).toBe(1);
  });
});
