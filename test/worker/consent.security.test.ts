import { describe, expect, it } from 'vitest';
import { dummyEmailFor } from '../../src/providers/newsletter2go/erasure';
import { defined } from '../support/defined';
import { emulator } from '../support/emulator';
import { openLane } from '../support/lane';
import { ownList, ownNewsletter } from '../support/lists';
import { TEST_LISTS } from '../support/settings';
import {
  admin,
  at,
  cancelled,
  confirmed,
  deleted,
  mapNewsletter,
  postEvent,
  reconciled,
  settled,
  subscriber,
  uid,
  updated,
} from '../support/worker';

/**
 * Consent and erasure in the corners (issue 15): shared addresses, recipients changed or deleted
 * inside Newsletter2Go, moved lists. Each test maps its own newsletter to its own list, so nothing
 * here reads or touches another file's recipients.
 */

const LANE_LIST = TEST_LISTS[0].id;

async function recipientIdOf(listId: string, email: string): Promise<string> {
  const found = await emulator.find(listId, email);
  if (!found) throw new Error(`no recipient for the test address in list ${listId}`);
  return found.id;
}

describe('a shared address', () => {
  it("a later user who failed with clash cancels and is deleted: the earlier user's recipient stays as it was", async () => {
    const { newsletterId, listId } = await ownNewsletter('share');
    const first = uid('u');
    const second = uid('u');
    const email = `${uid('family')}@example.com`;
    await postEvent(confirmed(first, newsletterId, email, { firstName: 'First', lastName: 'Holder' }));
    await settled(first);
    const before = await emulator.find(listId, email);
    await postEvent(confirmed(second, newsletterId, email, { firstName: 'Second' }, at(500)));
    expect((await settled(second)).subscriptions[0]?.transfer.error?.code).toBe('clash');

    await postEvent(cancelled(second, newsletterId));
    await settled(second);
    await postEvent(deleted(second));
    await settled(second);

    expect(await emulator.find(listId, email)).toEqual(before);
    expect(before).toMatchObject({ first_name: 'First', last_name: 'Holder', is_unsubscribed: false });
    expect((await subscriber(first))?.subscriptions[0]).toMatchObject({
      state: 'subscribed',
      transfer: { status: 'synced' },
    });
  });

  it('an address whose earlier holder unsubscribed still clashes: the later user does not take that recipient over', async () => {
    const { newsletterId, listId } = await ownNewsletter('share-unsub');
    const first = uid('u');
    const second = uid('u');
    const email = `${uid('family')}@example.com`;
    await postEvent(confirmed(first, newsletterId, email, { firstName: 'First' }, at(0)));
    await settled(first);
    await postEvent(cancelled(first, newsletterId, at(100)));
    await settled(first);
    const before = await emulator.find(listId, email);
    expect(before).toMatchObject({ is_unsubscribed: true, first_name: 'First' });

    await postEvent(confirmed(second, newsletterId, email, { firstName: 'Second' }, at(500)));
    const view = await settled(second);
    expect(view.subscriptions[0]?.transfer).toMatchObject({ status: 'failed', error: { code: 'clash' } });
    expect(view.subscriptions[0]?.transfer.error?.message).toContain(first);
    expect(await emulator.find(listId, email)).toEqual(before);

    // An admin retry of the clash changes nothing at the provider either.
    expect(
      (await admin(`/v1/admin/subscribers/${second}/subscriptions/${newsletterId}/retry`, { method: 'POST' })).status,
    ).toBeLessThan(300);
    expect((await settled(second)).subscriptions[0]?.transfer.error?.code).toBe('clash');
    expect(await emulator.find(listId, email)).toEqual(before);
  });

  it('a second newsletter cannot be mapped to a list another newsletter uses: 422 naming it', async () => {
    const { newsletterId, listId } = await ownNewsletter('one-list');
    const other = uid('other-nl');
    const res = await admin(`/v1/admin/newsletters/${other}`, { method: 'PUT', body: JSON.stringify({ listId }) });
    expect(res.status).toBe(422);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(JSON.stringify(await res.json())).toContain(newsletterId);
    // Mapping the same newsletter to its own list again stays fine.
    await mapNewsletter(newsletterId, listId);
  });
});

describe('a withdrawn consent', () => {
  async function conflicted(prefix: string) {
    const nl = await ownNewsletter(prefix);
    const user = uid('u');
    const email = `${user}@example.com`;
    await postEvent(confirmed(user, nl.newsletterId, email, { firstName: 'Reader' }));
    await settled(user);
    const id = await recipientIdOf(nl.listId, email);
    await emulator.edit(id, { is_unsubscribed: true });
    await reconciled('heal', [nl.newsletterId]);
    expect((await subscriber(user))?.subscriptions[0]?.conflict).toBeTruthy();
    return { ...nl, user, email, id };
  }

  it('a recipient deleted inside Newsletter2Go during a consent conflict is not re-created subscribed', async () => {
    const { newsletterId, listId, user, email, id } = await conflicted('held');
    await emulator.remove(id);
    await postEvent(updated(user, email, { firstName: 'Renamed' }));
    const view = await settled(user);
    expect(view.subscriptions[0]?.transfer).toMatchObject({ status: 'failed', error: { code: 'held-for-consent' } });
    expect(await emulator.find(listId, email)).toBeNull();

    // Neither does an admin retry.
    expect(
      (await admin(`/v1/admin/subscribers/${user}/subscriptions/${newsletterId}/retry`, { method: 'POST' })).status,
    ).toBeLessThan(300);
    expect((await settled(user)).subscriptions[0]?.transfer.error?.code).toBe('held-for-consent');
    expect(await emulator.find(listId, email)).toBeNull();
  });

  it('a mapping change does not push a conflicted subscription into the new list', async () => {
    const { newsletterId, user, email } = await conflicted('moved');
    const newList = await ownList('moved-new');
    await mapNewsletter(newsletterId, newList);
    const view = await settled(user);
    expect(view.subscriptions[0]?.transfer).toMatchObject({ status: 'failed', error: { code: 'held-for-consent' } });
    expect(await emulator.find(newList, email)).toBeNull();
  });
});

describe('a moved newsletter', () => {
  async function movedSubscription(prefix: string) {
    const { newsletterId, listId: oldList } = await ownNewsletter(prefix);
    const user = uid('u');
    const email = `${user}@example.com`;
    await postEvent(confirmed(user, newsletterId, email, { firstName: 'Moving', lastName: 'Reader' }));
    await settled(user);
    const oldId = await recipientIdOf(oldList, email);
    const newList = await ownList(`${prefix}-new`);
    await mapNewsletter(newsletterId, newList);
    await settled(user);
    const newId = await recipientIdOf(newList, email);
    return { newsletterId, user, email, oldId, newId };
  }

  it('a cancellation unsubscribes the recipient in every list the subscription had', async () => {
    const { newsletterId, user, oldId, newId } = await movedSubscription('move-cancel');
    await postEvent(cancelled(user, newsletterId));
    expect((await settled(user)).subscriptions[0]?.transfer.status).toBe('synced');
    expect(await emulator.get(oldId)).toMatchObject({ is_unsubscribed: true });
    expect(await emulator.get(newId)).toMatchObject({ is_unsubscribed: true });
  });

  it('a deletion anonymises the recipient in every list the subscription had', async () => {
    const { user, email, oldId, newId } = await movedSubscription('move-delete');
    await postEvent(deleted(user));
    expect((await settled(user)).subscriptions[0]?.transfer.status).toBe('synced');
    for (const id of [oldId, newId]) {
      const r = await emulator.get(id);
      expect(r).toMatchObject({ first_name: 'DELETED', last_name: 'DELETED', is_unsubscribed: true });
      expect(r?.email).not.toBe(email);
    }
  });
});

describe('an erasure', () => {
  it('removes the recipient from the list when Newsletter2Go refuses the dummy address; the timeline says so', async () => {
    const { newsletterId, listId } = await ownNewsletter('refused-dummy');
    const user = uid('u');
    const email = `${user}@example.com`;
    await postEvent(confirmed(user, newsletterId, email, { firstName: 'Refused', lastName: 'Dummy' }));
    const view = await settled(user);
    const id = await recipientIdOf(listId, email);
    await emulator.rejectEmails([dummyEmailFor(defined(view.subscriptions[0], 'the subscription').subscriptionId)]);
    await postEvent(deleted(user));
    expect((await settled(user)).subscriptions[0]?.transfer.status).toBe('synced');
    expect(await emulator.get(id)).toBeNull();
    expect(await emulator.find(listId, email)).toBeNull();
    const timeline = (await subscriber(user))?.timeline ?? [];
    expect(JSON.stringify(timeline)).toContain('removed from the list');
  });

  it('writes the dummy address under DELETED_EMAIL_DOMAIN', async () => {
    const lane = await openLane({ settings: { DELETED_EMAIL_DOMAIN: 'erased.example.org' } });
    try {
      const newsletterId = uid('domain');
      await lane.mapNewsletter(newsletterId, LANE_LIST);
      const user = uid('u');
      const email = `${user}@example.com`;
      await lane.postEvent(confirmed(user, newsletterId, email));
      await lane.settled(user);
      const id = defined(await lane.emulator.find(LANE_LIST, email), 'the recipient').id;
      await lane.postEvent(deleted(user));
      await lane.settled(user);
      expect((await lane.emulator.get(id))?.email).toMatch(/^deleted-[^@]+@erased\.example\.org$/);
    } finally {
      await lane.close();
    }
  });
});
