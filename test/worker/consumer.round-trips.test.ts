import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { getConfig } from '../../src/config';
import { createDb, type Db } from '../../src/db/client';
import { createNotice, noticeMessages } from '../../src/notify/notices';
import { enqueue } from '../../src/schemas/queue';
import { defined } from '../support/defined';
import { type Lane, openLane } from '../support/lane';
import { logLines } from '../support/log-lines';
import { TEST_LISTS } from '../support/settings';
import { portal } from '../support/unsubscribe';
import { cancelled, confirmed, deleted, uid, updated } from '../support/worker';

/**
 * In production every libSQL request is a network round trip of 10–100 ms, so a queue batch
 * must cost a fixed number of them, not one or more per message (issue 17). The consumer logs
 * what each batch cost (`dbRoundTrips` on its "sync batch" and "notice batch" lines); these
 * tests read those lines for batches of 1, 10 and 100 messages of every kind, with provider and
 * portal failures among them, and check the outcomes are still right.
 */

const BUDGET = 6;
const LIST = TEST_LISTS[0].id;

interface BatchLine {
  msg: string;
  dbRoundTrips: number;
  messages?: number;
  notices?: number;
}

/** The consumer's batch lines written while `work` ran. */
async function batchLines(work: () => Promise<unknown>): Promise<BatchLine[]> {
  const stop = logLines<BatchLine>('sync batch', 'notice batch');
  try {
    await work();
  } catch (error) {
    stop();
    throw error;
  }
  return stop();
}

/** One stored notice per user, due at once; their ids in order. */
async function noticesFor(db: Db, users: string[], newsletterId: string): Promise<string[]> {
  const ids: string[] = [];
  for (const userId of users)
    ids.push(
      defined(
        await createNotice(db, {
          type: 'subscription.cancelled',
          userId,
          subscriptionId: null,
          data: { userId, newsletterId },
        }),
        'a notice',
      ),
    );
  return ids;
}

const figures: string[] = [];

describe('the queue consumer: a fixed number of database round trips per batch', () => {
  let lane: Lane;
  const newsletterId = uid('rt');
  beforeAll(async () => {
    lane = await openLane();
    await lane.mapNewsletter(newsletterId, LIST);
  });
  afterEach(async () => {
    await lane.emulator.clearFaults();
  });
  afterAll(async () => {
    // The figures, for the README and the issue.
    console.info(`consumer round trips per batch:\n${figures.join('\n')}`);
    await lane.close();
  });

  /** Users subscribed and synced already, so the batch can update, cancel and erase them. */
  async function existing(count: number): Promise<string[]> {
    const users = Array.from({ length: count }, () => uid('old'));
    for (const u of users) await lane.postEvent(confirmed(u, newsletterId, `${u}@example.com`));
    await lane.drain();
    return users;
  }

  /**
   * A batch of `size` sync messages: a third creations, the rest updates, cancellations and
   * erasures in turn; one creation the provider refuses and one update answered 503.
   */
  async function syncBatch(size: number) {
    const creations = Math.max(1, Math.ceil(size / 3));
    const old = await existing(size - creations);
    const fresh = Array.from({ length: creations }, () => uid('new'));
    for (const u of fresh) await lane.postEvent(confirmed(u, newsletterId, `${u}@example.com`));
    const kinds = old.map((u, i) => ({ user: u, kind: (['update', 'cancel', 'erase'] as const)[i % 3] }));
    for (const { user, kind } of kinds) {
      if (kind === 'update') await lane.postEvent(updated(user, `${user}@example.com`, { firstName: 'Neu' }));
      if (kind === 'cancel') await lane.postEvent(cancelled(user, newsletterId));
      if (kind === 'erase') await lane.postEvent(deleted(user));
    }
    const refused = fresh.length > 1 ? fresh[fresh.length - 1] : undefined;
    if (refused) await lane.emulator.rejectEmails([`${refused}@example.com`]);
    const flaky = kinds.find((k) => k.kind === 'update')?.user;
    if (flaky) await lane.emulator.rule({ kind: '503', method: 'PATCH', email: `${flaky}@example.com`, times: 1 });

    let delivered = 0;
    const lines = await batchLines(async () => {
      delivered = defined(await lane.round({ batchSize: size }), 'a round').messages.length;
    });
    expect(delivered).toBe(size);
    return { lines, fresh, refused, flaky, kinds };
  }

  for (const size of [1, 10, 100]) {
    it(`a batch of ${size} sync messages costs at most ${BUDGET} round trips, and each outcome lands`, async () => {
      const { lines, fresh, refused, flaky, kinds } = await syncBatch(size);
      const line = defined(
        lines.find((l) => l.msg === 'sync batch'),
        'the sync batch line',
      );
      figures.push(`  sync ×${size}: ${line.dbRoundTrips}`);
      expect(line.dbRoundTrips).toBeLessThanOrEqual(BUDGET);

      const status = async (user: string) => (await lane.subscriber(user))?.subscriptions[0]?.transfer.status;
      for (const u of fresh) {
        expect(await status(u)).toBe(u === refused ? 'failed' : 'synced');
        if (u !== refused) expect(await lane.emulator.find(LIST, `${u}@example.com`)).not.toBeNull();
      }
      for (const { user, kind } of kinds) {
        expect(await status(user)).toBe(user === flaky ? 'pending' : 'synced');
        const found = await lane.emulator.find(LIST, `${user}@example.com`);
        if (kind === 'update' && user !== flaky) expect(found).toMatchObject({ first_name: 'Neu' });
        if (kind === 'cancel') expect(found).toMatchObject({ is_unsubscribed: true });
        if (kind === 'erase') expect(found).toBeNull();
      }
      // The retry ends synced on the next round.
      await lane.drain();
      if (flaky) expect(await status(flaky)).toBe('synced');
    });
  }

  for (const size of [1, 10, 100]) {
    it(`a batch of ${size} notice messages costs at most ${BUDGET} round trips`, async () => {
      const db = createDb(getConfig(lane.env));
      const users = Array.from({ length: size }, () => uid('ntc'));
      const ids = await noticesFor(db, users, newsletterId);
      // The portal refuses one; its message comes back with a delay.
      const refusedUser = defined(users[0], 'a user');
      await portal.fail(1, 503, refusedUser);
      await lane.drain();
      await enqueue(lane.env.SYNC_QUEUE, noticeMessages(ids));
      let retried: string[] = [];
      const lines = await batchLines(async () => {
        const round = defined(await lane.round({ batchSize: size }), 'a round');
        retried = round.retried.map((r) => r.id);
      });
      const line = defined(
        lines.find((l) => l.msg === 'notice batch'),
        'the notice batch line',
      );
      figures.push(`  notices ×${size}: ${line.dbRoundTrips}`);
      expect(line.dbRoundTrips).toBeLessThanOrEqual(BUDGET);
      expect(retried).toHaveLength(1);
      // Every other notice reached the portal once.
      const received = await portal.received((n) => users.includes(n.body?.data?.userId ?? ''));
      expect(new Set(received.filter((n) => n.status === 204).map((n) => n.id)).size).toBe(size - 1);
      // An admin retry delivers the refused one now; its queue message then finds it delivered.
      const retry = await lane.admin(`/v1/admin/notices/${ids[0]}/retry`, { method: 'POST' });
      expect(await retry.json()).toMatchObject({ status: 'delivered', attempts: 2 });
      await lane.drain();
    });
  }

  it(`a batch of sync and notice messages together costs at most ${BUDGET} round trips`, async () => {
    const db = createDb(getConfig(lane.env));
    await lane.drain();
    const old = await existing(20);
    for (const u of old.slice(0, 10)) await lane.postEvent(cancelled(u, newsletterId));
    for (const u of old.slice(10)) await lane.postEvent(deleted(u));
    for (let i = 0; i < 30; i++) {
      const u = uid('mix');
      await lane.postEvent(confirmed(u, newsletterId, `${u}@example.com`));
    }
    const ids = await noticesFor(db, old, newsletterId);
    await enqueue(lane.env.SYNC_QUEUE, noticeMessages(ids));
    const lines = await batchLines(() => lane.round({ batchSize: 100 }));
    const total = lines.reduce((sum, l) => sum + l.dbRoundTrips, 0);
    figures.push(`  50 sync + 20 notices: ${total} (${lines.map((l) => `${l.msg} ${l.dbRoundTrips}`).join(', ')})`);
    expect(lines).toHaveLength(2);
    expect(total).toBeLessThanOrEqual(BUDGET);
  });
});
