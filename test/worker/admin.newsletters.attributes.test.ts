import { afterEach, describe, expect, it } from 'vitest';
import type { EmulatorSettings } from '../support/emulator';
import { type Lane, openLane } from '../support/lane';
import { at, confirmed, uid, updated } from '../support/worker';

/**
 * Custom attributes are defined per list at Newsletter2Go (Postman collection, "Attributes"): the
 * mapping makes sure the list has the unsubscribe attribute before any push writes it, and a list
 * that lost it gets it back. Each test has a lane: an account of its own, with few lists.
 */

type MappingAnswer = { attribute: { name: string; action: string; attributeId: string | null } };

describe('the unsubscribe attribute on every mapped list', () => {
  let lane: Lane | undefined;
  afterEach(async () => {
    await lane?.close();
    lane = undefined;
  });

  const bareList = async (l: Lane) => (await l.emulator.createList({ name: uid('bare') })).id;
  const map = async (l: Lane, newsletterId: string, listId: string) => {
    const res = await l.admin(`/v1/admin/newsletters/${newsletterId}`, {
      method: 'PUT',
      body: JSON.stringify({ listId }),
    });
    return { status: res.status, body: (await res.json()) as MappingAnswer & Record<string, unknown> };
  };
  const linkAttribute = async (l: Lane) => (await l.emulator.attributes()).find((a) => a.name === 'unsubscribe_url');

  it('present, added to the list with the union of its lists, or created: the answer says which', async () => {
    lane = await openLane();
    const before = await linkAttribute(lane);
    expect(before?.list_ids.length).toBeGreaterThan(0); // the account's seeded lists have it

    const first = await bareList(lane);
    const added = await map(lane, uid('nl'), first);
    expect(added.status).toBe(201);
    expect(added.body.attribute).toEqual({ name: 'unsubscribe_url', action: 'added-to-list', attributeId: before?.id });
    // The union: the lists that had it keep it.
    expect((await linkAttribute(lane))?.list_ids.sort()).toEqual([...(before?.list_ids ?? []), first].sort());

    const again = await map(lane, uid('nl'), await bareList(lane));
    expect(again.body.attribute.action).toBe('added-to-list');
    expect((await linkAttribute(lane))?.list_ids).toHaveLength((before?.list_ids.length ?? 0) + 2);

    const present = await map(lane, uid('nl'), before?.list_ids[0] ?? '');
    expect(present.body.attribute).toEqual({ name: 'unsubscribe_url', action: 'present', attributeId: null });
  });

  it('an account without the attribute anywhere: created for the list', async () => {
    lane = await openLane({ settings: { UNSUBSCRIBE_ATTRIBUTE: 'bridge_unsubscribe' } });
    const list = await bareList(lane);
    const created = await map(lane, uid('nl'), list);
    expect(created.body.attribute).toMatchObject({ name: 'bridge_unsubscribe', action: 'created' });
    const attr = (await lane.emulator.attributes()).find((a) => a.name === 'bridge_unsubscribe');
    expect(attr).toMatchObject({ id: created.body.attribute.attributeId, list_ids: [list], is_global: false });
  });

  it('an attribute Newsletter2Go refuses to create: 422 carrying its message, nothing mapped', async () => {
    lane = await openLane({ settings: { UNSUBSCRIBE_ATTRIBUTE: 'bridge_unsubscribe' } });
    const body = { status: 422, code: 10003, errorMessage: 'Maximum number of attributes reached' };
    await lane.emulator.rule({ kind: 'status', status: 422, body, method: 'POST', pathPrefix: '/attributes' });
    const newsletterId = uid('nl');
    const res = await map(lane, newsletterId, await bareList(lane));
    expect(res.status).toBe(422);
    expect(String(res.body.detail)).toContain('refused to add the attribute "bridge_unsubscribe" to the list');
    expect(res.body.provider).toMatchObject({ message: 'Maximum number of attributes reached', httpStatus: 422 });
    expect((await lane.admin(`/v1/admin/newsletters`).then((r) => r.json())) as unknown).not.toMatchObject({
      newsletters: [{ newsletterId }],
    });
  });

  for (const unknownAttribute of ['refuse', 'drop'] as const) {
    it(`links arrive on a freshly mapped list, whatever the provider does with unknown fields (${unknownAttribute})`, async () => {
      lane = await openLane({ emulator: { unknownAttribute } as Partial<EmulatorSettings> });
      const list = await bareList(lane);
      const newsletterId = uid('nl');
      expect((await map(lane, newsletterId, list)).status).toBe(201);
      const users = [uid('a'), uid('b')];
      for (const u of users) await lane.postEvent(confirmed(u, newsletterId, `${u}@example.com`));
      await lane.drain();
      for (const u of users) {
        const view = await lane.subscriber(u);
        expect(view?.subscriptions[0]?.transfer.status).toBe('synced');
        const recipient = await lane.emulator.find(list, `${u}@example.com`);
        expect(recipient?.attributes.unsubscribe_url).toBe(view?.subscriptions[0]?.unsubscribeUrl);
      }
    });
  }

  it('a list that lost the attribute gets it back at the next push that meets the refusal', async () => {
    lane = await openLane();
    const list = await bareList(lane);
    const newsletterId = uid('nl');
    await map(lane, newsletterId, list);
    const user = uid('u');
    await lane.postEvent(confirmed(user, newsletterId, `${user}@example.com`, {}, at()));
    await lane.drain();
    // Someone removes the attribute from the list inside Newsletter2Go.
    const attr = await linkAttribute(lane);
    await lane.emulator.editAttribute(attr?.id ?? '', { list_ids: (attr?.list_ids ?? []).filter((l) => l !== list) });
    await lane.postEvent(updated(user, `${user}@example.com`, { firstName: 'Back' }, at(5000)));
    await lane.drain();
    const view = await lane.subscriber(user);
    expect(view?.subscriptions[0]?.transfer).toMatchObject({ status: 'synced' });
    expect((await linkAttribute(lane))?.list_ids).toContain(list);
    expect(await lane.emulator.find(list, `${user}@example.com`)).toMatchObject({
      first_name: 'Back',
      attributes: { unsubscribe_url: view?.subscriptions[0]?.unsubscribeUrl },
    });
  });
});
