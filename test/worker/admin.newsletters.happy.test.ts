import { describe, expect, it } from 'vitest';
import { MappingList, MappingRemoved, MappingSaved } from '../../src/schemas/admin';
import { adminJson } from '../support/admin';
import { emulator } from '../support/emulator';
import { confirmed, postEvent, settled, uid } from '../support/worker';

const put = (newsletterId: string, body: unknown, status: number) =>
  adminJson(
    `/v1/admin/newsletters/${newsletterId}`,
    MappingSaved,
    { method: 'PUT', body: JSON.stringify(body) },
    status,
  );
const newList = async () => (await emulator.createList({ name: uid('List'), attributes: ['unsubscribe_url'] })).id;
const stamp = () => new Date(Date.now() - 60_000).toISOString();

describe('the newsletter → list mapping', () => {
  it('creates (201), lists, renames (200, nothing pushed) a mapping', async () => {
    const newsletterId = uid('map');
    const list = await newList();
    const created = await put(newsletterId, { listId: list }, 201);
    expect(created).toMatchObject({
      newsletterId,
      listId: list,
      name: null,
      displayName: newsletterId,
      previousListId: null,
      repushed: 0,
    });
    const renamed = await put(newsletterId, { listId: list, name: '  Weekly digest ' }, 200);
    expect(renamed).toMatchObject({
      name: 'Weekly digest',
      displayName: 'Weekly digest',
      previousListId: null,
      repushed: 0,
    });
    const all = await adminJson('/v1/admin/newsletters', MappingList);
    expect(all.newsletters.find((n) => n.newsletterId === newsletterId)).toEqual({
      newsletterId,
      listId: list,
      name: 'Weekly digest',
      displayName: 'Weekly digest',
      updatedAt: renamed.updatedAt,
    });
    const ids = all.newsletters.map((n) => n.newsletterId);
    expect([...ids].sort()).toEqual(ids);
  });

  it('pushes every subscription to a new list, names the old one and leaves it untouched', async () => {
    const [oldList, nextList] = [await newList(), await newList()];
    const newsletterId = uid('move');
    await put(newsletterId, { listId: oldList }, 201);
    const users = [uid('u'), uid('u'), uid('u')];
    for (const u of users)
      await postEvent(confirmed(u, newsletterId, `${u}@example.com`, { firstName: 'Ann' }, stamp()));
    await postEvent({
      type: 'subscription.cancelled',
      occurredAt: new Date().toISOString(),
      data: { userId: users[2], newsletterId },
    });
    for (const u of users) await settled(u);
    const oldBefore = await emulator.recipients(oldList);
    // The cancellation may reach the worker before the creation was pushed: then nothing was created.
    expect(oldBefore.length).toBeGreaterThanOrEqual(2);

    const moved = await put(newsletterId, { listId: nextList }, 200);
    expect(moved).toMatchObject({ listId: nextList, previousListId: oldList, repushed: 3 });
    for (const u of users) {
      const view = await settled(u);
      expect(view.subscriptions[0]).toMatchObject({ listId: nextList, transfer: { status: 'synced' } });
    }
    const fresh = await emulator.recipients(nextList);
    for (const u of users.slice(0, 2)) {
      expect(fresh.find((r) => r.email === `${u}@example.com`)).toMatchObject({
        first_name: 'Ann',
        is_unsubscribed: false,
      });
    }
    // The cancelled one is not subscribed in the new list (absent or unsubscribed there).
    const cancelled = fresh.find((r) => r.email === `${users[2]}@example.com`);
    expect(cancelled === undefined || cancelled.is_unsubscribed).toBe(true);
    expect(await emulator.recipients(oldList)).toEqual(oldBefore);
  });

  it('removing a mapping deletes nothing at the provider; the subscriptions show failed until a mapping returns', async () => {
    const list = await newList();
    const newsletterId = uid('unmap');
    await put(newsletterId, { listId: list }, 201);
    const user = uid('u');
    await postEvent(confirmed(user, newsletterId, `${user}@example.com`, {}, stamp()));
    await settled(user);
    const before = await emulator.recipients(list);

    const removed = await adminJson(`/v1/admin/newsletters/${newsletterId}`, MappingRemoved, { method: 'DELETE' });
    expect(removed).toEqual({ newsletterId, removedListId: list, affectedSubscriptions: 1 });
    const unmapped = await settled(user);
    expect(unmapped.subscriptions[0]).toMatchObject({
      listId: null,
      transfer: { status: 'failed', error: { code: 'unmapped' } },
    });
    expect(unmapped.subscriptions[0]?.transfer.error?.message).toContain(newsletterId);
    expect(await emulator.recipients(list)).toEqual(before);
    expect(
      (await adminJson('/v1/admin/newsletters', MappingList)).newsletters.some((n) => n.newsletterId === newsletterId),
    ).toBe(false);

    expect(await put(newsletterId, { listId: list }, 201)).toMatchObject({ repushed: 1, previousListId: null });
    expect((await settled(user)).subscriptions[0]?.transfer).toMatchObject({ status: 'synced', error: null });
    expect(await emulator.recipients(list)).toHaveLength(1);
  });
});
