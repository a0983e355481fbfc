import { env } from 'cloudflare:test';
import { eq } from 'drizzle-orm';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { getConfig } from '../../src/config';
import { createDb } from '../../src/db/client';
import { subscriptions } from '../../src/db/schema';
import { subscribeMany } from '../support/admin';
import { adminWriteLogged, failedNotice } from '../support/admin-writes';
import { ownList, ownNewsletter } from '../support/lists';
import { admin, uid } from '../support/worker';

/**
 * Round trips to the database per admin write (issue 17: at most one read, then one atomic
 * batch). Each admin write logs its count; what a provider call reads from the database (its
 * login) is counted apart and left out here. Reconciliation starts: reconcile.round-trips.
 */

afterEach(() => vi.restoreAllMocks());

const put = (newsletterId: string, listId: string) =>
  admin(`/v1/admin/newsletters/${newsletterId}`, { method: 'PUT', body: JSON.stringify({ listId }) });

async function trips(request: () => Promise<Response>, status: number): Promise<number> {
  const line = adminWriteLogged();
  const res = await request();
  expect(res.status, await res.text()).toBe(status);
  return line().dbRoundTrips;
}

async function failAll(newsletterId: string) {
  await createDb(getConfig(env))
    .update(subscriptions)
    .set({ transferStatus: 'failed' })
    .where(eq(subscriptions.newsletterId, newsletterId));
}

describe('database round trips per admin write', () => {
  it('PUT a mapping: one read, one write, whether new, unchanged or moved to another list', async () => {
    const newsletterId = uid('rt');
    const [first, second] = [await ownList('rt'), await ownList('rt')];
    expect(await trips(() => put(newsletterId, first), 201)).toBe(2);
    expect(await trips(() => put(newsletterId, first), 200)).toBe(2);
    await subscribeMany(newsletterId, 3);
    expect(await trips(() => put(newsletterId, second), 200)).toBe(2);
  });

  it('PUT a list another newsletter has: the read alone, then the 422', async () => {
    const taken = await ownNewsletter('rt-taken');
    expect(await trips(() => put(uid('rt'), taken.listId), 422)).toBe(1);
  });

  it('DELETE a mapping: one atomic write, and a 404 costs the same', async () => {
    const { newsletterId } = await ownNewsletter('rt-del');
    await subscribeMany(newsletterId, 2);
    const del = () => admin(`/v1/admin/newsletters/${newsletterId}`, { method: 'DELETE' });
    expect(await trips(del, 200)).toBe(1);
    expect(await trips(del, 404)).toBe(1);
  });

  it('POST /transfers/retry and a subscription retry: one write each', async () => {
    const { newsletterId } = await ownNewsletter('rt-retry');
    const [user] = await subscribeMany(newsletterId, 2);
    await failAll(newsletterId);
    const retryAll = () =>
      admin('/v1/admin/transfers/retry', { method: 'POST', body: JSON.stringify({ newsletterId }) });
    expect(await trips(retryAll, 202)).toBe(1);
    const retryOne = (u: string) =>
      admin(`/v1/admin/subscribers/${u}/subscriptions/${newsletterId}/retry`, { method: 'POST' });
    expect(await trips(() => retryOne(user ?? ''), 202)).toBe(1);
    expect(await trips(() => retryOne(uid('nobody')), 404)).toBe(1);
  });

  it('POST /notices/retry: one write; a notice retried by id: as before (see notify/retry.ts)', async () => {
    const { userId } = await failedNotice();
    const retryAll = () => admin('/v1/admin/notices/retry', { method: 'POST', body: JSON.stringify({ userId }) });
    expect(await trips(retryAll, 202)).toBe(1);
    const { id } = await failedNotice();
    const retryOne = () => admin(`/v1/admin/notices/${id}/retry`, { method: 'POST' });
    // Made due, claimed, recorded (deliver.ts), read back for the answer.
    expect(await trips(retryOne, 200)).toBe(4);
    // Delivered now: making it due changes nothing, the read answers.
    expect(await trips(retryOne, 200)).toBe(2);
    const unknown = () => admin(`/v1/admin/notices/ntc_${'0'.repeat(20)}/retry`, { method: 'POST' });
    expect(await trips(unknown, 404)).toBe(2);
  });
});
