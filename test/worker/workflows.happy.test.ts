import { beforeAll, describe, expect, it } from 'vitest';
import { emulator } from '../support/emulator';
import { ownList } from '../support/lists';
import {
  at,
  cancelled,
  confirmed,
  deleted,
  mapNewsletter,
  postEvent,
  settled,
  subscriber,
  uid,
  updated,
} from '../support/worker';

describe('the four portal workflows', () => {
  const nlA = uid('nl-a');
  const nlB = uid('nl-b');
  let [A, B] = ['', ''];
  beforeAll(async () => {
    [A, B] = await Promise.all([ownList('nl-a'), ownList('nl-b')]);
    await mapNewsletter(nlA, A);
    await mapNewsletter(nlB, B);
  });

  it('subscriber.updated changes the recipient in every list, e-mail included, through the stored id', async () => {
    const user = uid('u');
    await postEvent(confirmed(user, nlA, `${user}@example.com`, { firstName: 'Old' }));
    await postEvent(confirmed(user, nlB, `${user}@example.com`, { firstName: 'Old' }));
    const before = await settled(user);
    const ids = before.subscriptions.map((s) => s.subscriptionId);

    await postEvent(updated(user, `${user}.new@example.com`, { firstName: 'New', lastName: 'Name', gender: 'm' }));
    const after = await settled(user);
    expect(after.subscriptions.map((s) => s.transfer.status)).toEqual(['synced', 'synced']);
    for (const list of [A, B]) {
      expect(await emulator.find(list, `${user}@example.com`)).toBeNull();
      expect(await emulator.find(list, `${user}.new@example.com`)).toMatchObject({
        first_name: 'New',
        last_name: 'Name',
        gender: 'm',
        is_unsubscribed: false,
      });
    }
    expect(after.subscriptions.map((s) => s.subscriptionId)).toEqual(ids);
  });

  it('an e-mail change that collides with another recipient ends failed with the provider message, without a retry loop', async () => {
    const user = uid('u');
    const taken = `${uid('other')}@example.com`;
    await emulator.insert({ list_id: A, email: taken });
    await postEvent(confirmed(user, nlA, `${user}@example.com`));
    await settled(user);
    await postEvent(updated(user, taken));
    const view = await settled(user);
    expect(view.subscriptions[0]?.transfer).toMatchObject({
      status: 'failed',
      attempts: 1,
      error: { code: '1062', httpStatus: 400 },
    });
    expect(view.subscriptions[0]?.transfer.error?.message).toMatch(/Duplicate/i);
  });

  it('two users with one address in one newsletter: the later fails naming the clash', async () => {
    const first = uid('u');
    const second = uid('u');
    const email = `${uid('shared')}@example.com`;
    await postEvent(confirmed(first, nlA, email, { firstName: 'First' }));
    await settled(first);
    await postEvent(confirmed(second, nlA, email.toUpperCase(), { firstName: 'Second' }));
    const view = await settled(second);
    expect(view.subscriptions[0]?.transfer.status).toBe('failed');
    expect(view.subscriptions[0]?.transfer.error?.message).toContain(first);
    expect(await emulator.find(A, email)).toMatchObject({ first_name: 'First' });
  });

  it('the one who takes an address later fails, even with the older subscription', async () => {
    const older = uid('u');
    const newer = uid('u');
    const taken = `${uid('taken')}@example.com`;
    await postEvent(confirmed(older, nlA, `${older}@example.com`, { firstName: 'Older' }, at(0)));
    await settled(older);
    await postEvent(confirmed(newer, nlA, taken, { firstName: 'Newer' }, at(1000)));
    await settled(newer);
    // The older subscriber now claims the newer one's address.
    await postEvent(updated(older, taken, { firstName: 'Older' }, at(2000)));
    const olderView = await settled(older);
    expect(olderView.subscriptions[0]?.transfer).toMatchObject({
      status: 'failed',
      error: { message: expect.stringContaining(newer) },
    });
    // The newer one keeps the address, and a later push of theirs is not refused for it.
    await postEvent(updated(newer, taken, { firstName: 'Newer', lastName: 'Again' }, at(3000)));
    expect((await settled(newer)).subscriptions[0]?.transfer.status).toBe('synced');
    expect(await emulator.find(A, taken)).toMatchObject({ first_name: 'Newer', last_name: 'Again' });
    expect(await emulator.find(A, `${older}@example.com`)).toMatchObject({ first_name: 'Older' });
  });

  it('subscription.cancelled sets is_unsubscribed=true; a newer confirmation re-subscribes', async () => {
    const user = uid('u');
    const email = `${user}@example.com`;
    const t0 = Date.now() - 60_000;
    const t = (ms: number) => new Date(t0 + ms).toISOString();
    await postEvent(confirmed(user, nlA, email, {}, t(0)));
    await settled(user);
    await postEvent(cancelled(user, nlA, t(1000)));
    const off = await settled(user);
    expect(off.subscriptions[0]).toMatchObject({ state: 'unsubscribed', transfer: { status: 'synced' } });
    expect(await emulator.find(A, email)).toMatchObject({ is_unsubscribed: true });

    await postEvent(confirmed(user, nlA, email, {}, t(2000)));
    const on = await settled(user);
    expect(on.subscriptions[0]?.state).toBe('subscribed');
    expect(await emulator.find(A, email)).toMatchObject({ is_unsubscribed: false });
  });

  it('a late, older confirmation after a cancellation changes nothing and is logged as stale', async () => {
    const user = uid('u');
    const email = `${user}@example.com`;
    const t0 = Date.now() - 60_000;
    const t = (ms: number) => new Date(t0 + ms).toISOString();
    await postEvent(confirmed(user, nlA, email, {}, t(0)));
    await postEvent(cancelled(user, nlA, t(5000)));
    await settled(user);
    await postEvent(confirmed(user, nlA, email, {}, t(-1000)));
    const view = await settled(user);
    expect(view.subscriptions[0]?.state).toBe('unsubscribed');
    expect(view.timeline.some((t) => t.kind === 'event.received' && t.outcome === 'stale')).toBe(true);
    // "The same final state": no recipient, or one that is unsubscribed.
    const recipient = await emulator.find(A, email);
    expect(recipient === null || recipient.is_unsubscribed).toBe(true);
  });

  it('user.deleted unsubscribes and anonymises in every list, scrubs local data, and nothing brings it back', async () => {
    const user = uid('u');
    const email = `${user}@example.com`;
    await postEvent(confirmed(user, nlA, email, { firstName: 'Erika', lastName: 'Muster' }));
    await postEvent(confirmed(user, nlB, email, { firstName: 'Erika', lastName: 'Muster' }));
    const before = await settled(user);
    const recipientIds = await Promise.all([A, B].map(async (l) => (await emulator.find(l, email))?.id));

    await postEvent(deleted(user));
    const view = await settled(user);
    expect(view.subscriptions.map((s) => [s.state, s.transfer.status])).toEqual([
      ['deleted', 'synced'],
      ['deleted', 'synced'],
    ]);
    for (const id of recipientIds) {
      const r = await emulator.get(id ?? '');
      expect(r).toMatchObject({ first_name: 'DELETED', last_name: 'DELETED', is_unsubscribed: true });
      expect(r?.email).toMatch(/^deleted-sub_[a-z0-9]+@deleted\.invalid$/);
    }
    expect(JSON.stringify(view)).not.toContain(email);
    expect(JSON.stringify(view)).not.toContain('Erika');

    // Later events, even newer ones, are recorded and change nothing.
    await postEvent(confirmed(user, nlA, email, { firstName: 'Erika' }, at(60_000)));
    await postEvent(updated(user, email, { firstName: 'Erika' }, at(60_000)));
    const later = await subscriber(user);
    expect(later?.subscriptions.map((s) => s.state)).toEqual(['deleted', 'deleted']);
    expect(await emulator.find(A, email)).toBeNull();
    expect(before.subscriptions.length).toBe(2);
  });

  it('a recipient deleted inside Newsletter2Go is re-created on the next push while subscribed', async () => {
    const user = uid('u');
    await postEvent(confirmed(user, nlA, `${user}@example.com`));
    await settled(user);
    const original = await emulator.find(A, `${user}@example.com`);
    await emulator.remove(original?.id ?? '');
    await postEvent(updated(user, `${user}@example.com`, { firstName: 'Again' }));
    const view = await settled(user);
    expect(view.subscriptions[0]?.transfer.status).toBe('synced');
    expect(await emulator.find(A, `${user}@example.com`)).toMatchObject({
      first_name: 'Again',
      is_unsubscribed: false,
    });
  });

  it('an unmapped newsletter shows failed naming the mapping, then syncs by itself once mapped', async () => {
    const user = uid('u');
    const newsletterId = uid('later');
    await postEvent(confirmed(user, newsletterId, `${user}@example.com`));
    const failed = await settled(user);
    expect(failed.subscriptions[0]?.transfer).toMatchObject({ status: 'failed', error: { code: 'unmapped' } });
    const list = await ownList('later');
    await mapNewsletter(newsletterId, list);
    await new Promise((r) => setTimeout(r, 50));
    const view = await settled(user);
    expect(view.subscriptions[0]).toMatchObject({ listId: list, transfer: { status: 'synced' } });
    expect(await emulator.find(list, `${user}@example.com`)).not.toBeNull();
  });
});
