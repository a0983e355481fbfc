import { describe, expect, it } from 'vitest';
import { SubscriptionPage } from '../../src/schemas/admin';
import { adminJson, postBatch, subscribeMany } from '../support/admin';
import { defined } from '../support/defined';
import { at, settled, uid } from '../support/worker';

type Page = {
  items: {
    subscriptionId: string;
    userId: string;
    newsletterId: string;
    state: string;
    transfer: { status: string };
  }[];
  nextCursor: string | null;
  limit: number;
};

const list = (query: Record<string, string>) =>
  adminJson(`/v1/admin/subscriptions?${new URLSearchParams(query)}`, SubscriptionPage) as Promise<Page>;

describe('GET /v1/admin/subscriptions', () => {
  it('pages without duplicates or gaps while rows are inserted between pages', async () => {
    const newsletterId = uid('paging');
    await subscribeMany(newsletterId, 12);
    const before = await list({ newsletterId, limit: '100' });
    const existing = before.items.map((i) => i.subscriptionId);
    expect(existing).toHaveLength(12);

    const seen: string[] = [];
    const first = await list({ newsletterId, limit: '5' });
    expect(first.items).toHaveLength(5);
    expect(first.nextCursor).toEqual(expect.any(String));
    seen.push(...first.items.map((i) => i.subscriptionId));

    // Rows arrive between page 1 and page 2: some sort before the cursor, some after.
    await subscribeMany(newsletterId, 10);
    let cursor = first.nextCursor;
    while (cursor) {
      const page = await list({ newsletterId, limit: '5', cursor });
      expect(page.items.length).toBeLessThanOrEqual(5);
      seen.push(...page.items.map((i) => i.subscriptionId));
      cursor = page.nextCursor;
    }
    expect(new Set(seen).size, 'no duplicates').toBe(seen.length);
    for (const id of existing) expect(seen, `row ${id} that existed before paging`).toContain(id);
    expect([...seen].sort()).toEqual(seen);
  });

  it('answers every item like the subscription view plus its userId, 50 by default', async () => {
    const newsletterId = uid('shape');
    const [user] = await subscribeMany(newsletterId, 1);
    const view = await settled(defined(user, 'the subscribed user'));
    const page = await list({ newsletterId });
    expect(page.limit).toBe(50);
    expect(page.nextCursor).toBeNull();
    expect(page.items).toEqual([{ userId: user, ...view.subscriptions[0] }]);
  });

  it('filters by transfer status, desired state and newsletter, combined', async () => {
    const newsletterId = uid('filters');
    const users = await subscribeMany(newsletterId, 4);
    await postBatch([
      { type: 'subscription.cancelled', occurredAt: at(1000), data: { userId: users[0], newsletterId } },
    ]);
    for (const u of users) await settled(u);
    // Unmapped: the subscribed ones failed, naming the missing mapping; the cancelled one never
    // had a recipient, so its cancellation has nothing to do at the provider.
    expect((await list({ newsletterId, status: 'failed' })).items).toHaveLength(3);
    expect((await list({ newsletterId, status: 'synced' })).items.map((i) => i.userId)).toEqual([users[0]]);
    const unsubscribed = await list({ newsletterId, state: 'unsubscribed' });
    expect(unsubscribed.items.map((i) => i.userId)).toEqual([users[0]]);
    expect((await list({ newsletterId, state: 'subscribed', status: 'failed' })).items).toHaveLength(3);
  });

  it("finds subscriptions by the subscriber's address, case-insensitively, exactly or by prefix", async () => {
    const newsletterId = uid('email');
    const tag = uid('Mail').toLowerCase();
    const users = await subscribeMany(newsletterId, 3, (u) => `${tag}.${u}@Example.COM`);
    const [other] = await subscribeMany(newsletterId, 1);
    const exact = await list({ email: `${tag}.${users[1]}@example.com`.toUpperCase() });
    expect(exact.items.map((i) => i.userId)).toEqual([users[1]]);
    const prefix = await list({ email: `${tag.toUpperCase()}.*` });
    expect(prefix.items.map((i) => i.userId).sort()).toEqual([...users].sort());
    expect(prefix.items.map((i) => i.userId)).not.toContain(other);
    // A prefix is not a substring search, and an exact address is not a prefix.
    expect((await list({ email: `${tag.slice(1)}*` })).items).toHaveLength(0);
    expect((await list({ email: `${tag}.` })).items).toHaveLength(0);
  });
});
