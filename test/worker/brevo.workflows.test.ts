import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrevoContact } from '../support/brevo-emulator';
import { type Lane, openLane } from '../support/lane';
import { cancelled, confirmed, deleted, uid, updated } from '../support/worker';

/**
 * The portal contract on Brevo (PROVIDER=brevo): the same events and admin JSON as on
 * Newsletter2Go, carried out on an account-wide contact with list memberships. One lane with a
 * Brevo account for the file; each test owns its lists and users.
 */
describe('the portal workflows on Brevo', () => {
  let lane: Lane;
  beforeAll(async () => {
    lane = await openLane({ brevo: {} });
  });
  afterAll(async () => {
    await lane?.close();
  });

  /** A Brevo list of the test's own, mapped to a newsletter of its own. */
  async function mapped(): Promise<{ newsletterId: string; listId: string; list: number }> {
    const newsletterId = uid('nl');
    const { id } = await lane.brevo.createList(newsletterId);
    await lane.mapNewsletter(newsletterId, String(id));
    return { newsletterId, listId: String(id), list: id };
  }
  const contact = async (email: string): Promise<BrevoContact> => {
    const found = await lane.brevo.contact(email);
    if (!found) throw new Error(`Brevo holds no contact for ${email}`);
    return found;
  };

  it('a confirmed subscription creates the contact with the user as ext_id, in the list, with that list’s link', async () => {
    const { newsletterId, listId, list } = await mapped();
    expect((await lane.brevo.attributes()).map((a) => a.name)).toContain(`UNSUB_URL_${list}`);
    const user = uid('u');
    await lane.postEvent(confirmed(user, newsletterId, `${user}@example.com`, { firstName: 'Anna', lastName: 'Ost' }));
    const view = await lane.settled(user);
    const [subscription] = view.subscriptions;
    expect(subscription).toMatchObject({ listId, transfer: { status: 'synced' } });
    const held = await contact(`${user}@example.com`);
    expect(held).toMatchObject({
      ext_id: user,
      listIds: [list],
      emailBlacklisted: false,
      attributes: { FIRSTNAME: 'Anna', LASTNAME: 'Ost', [`UNSUB_URL_${list}`]: subscription?.unsubscribeUrl },
    });
  });

  it('one contact, many newsletters: each list carries its own link, and a cancellation leaves the other list', async () => {
    const [a, b] = [await mapped(), await mapped()];
    const user = uid('u');
    const email = `${user}@example.com`;
    await lane.postEvent(confirmed(user, a.newsletterId, email));
    await lane.postEvent(confirmed(user, b.newsletterId, email));
    const view = await lane.settled(user);
    const links = Object.fromEntries(view.subscriptions.map((s) => [s.listId, s.unsubscribeUrl]));
    const held = await contact(email);
    expect(held.listIds.sort()).toEqual([a.list, b.list].sort());
    expect(held.attributes[`UNSUB_URL_${a.list}`]).toBe(links[a.listId]);
    expect(held.attributes[`UNSUB_URL_${b.list}`]).toBe(links[b.listId]);
    expect(links[a.listId]).not.toBe(links[b.listId]);

    await lane.postEvent(cancelled(user, a.newsletterId));
    const after = await lane.settled(user);
    expect(after.subscriptions.map((s) => s.transfer.status)).toEqual(['synced', 'synced']);
    expect((await contact(email)).listIds).toEqual([b.list]);
  });

  it('a profile update changes the same contact by id, its address included', async () => {
    const { newsletterId } = await mapped();
    const user = uid('u');
    await lane.postEvent(confirmed(user, newsletterId, `${user}@example.com`));
    await lane.settled(user);
    const before = await contact(`${user}@example.com`);
    await lane.postEvent(updated(user, `${user}.new@example.com`, { firstName: 'Neu', lastName: 'Name' }));
    await lane.settled(user);
    expect(await lane.brevo.contact(`${user}@example.com`)).toBeNull();
    expect(await contact(`${user}.new@example.com`)).toMatchObject({
      id: before.id,
      attributes: { FIRSTNAME: 'Neu', LASTNAME: 'Name' },
    });
  });

  it("an address another contact holds ends failed with Brevo's message, once", async () => {
    const { newsletterId } = await mapped();
    const user = uid('u');
    const taken = `${uid('other')}@example.com`;
    await lane.brevo.insert({ email: taken });
    await lane.postEvent(confirmed(user, newsletterId, `${user}@example.com`));
    await lane.settled(user);
    await lane.postEvent(updated(user, taken));
    const view = await lane.settled(user);
    expect(view.subscriptions[0]?.transfer).toMatchObject({
      status: 'failed',
      attempts: 1,
      error: {
        message: 'Unable to update contact, email is already associated with another Contact',
        httpStatus: 400,
      },
    });
  });

  it('two portal users with one address clash account-wide, in different newsletters too', async () => {
    const [a, b] = [await mapped(), await mapped()];
    const [first, second] = [uid('u'), uid('u')];
    const email = `${first}@example.com`;
    await lane.postEvent(confirmed(first, a.newsletterId, email));
    await lane.settled(first);
    await lane.postEvent(confirmed(second, b.newsletterId, email.toUpperCase()));
    const view = await lane.settled(second);
    expect(view.subscriptions[0]?.transfer).toMatchObject({ status: 'failed', error: { code: 'clash' } });
    expect(view.subscriptions[0]?.transfer.error?.message).toContain(`portal user "${first}"`);
    const held = await contact(email);
    expect(held).toMatchObject({ ext_id: first, listIds: [a.list] });
  });

  it("a deleted user's contact is deleted, address and all", async () => {
    const { newsletterId } = await mapped();
    const user = uid('u');
    await lane.postEvent(confirmed(user, newsletterId, `${user}@example.com`, { firstName: 'Weg' }));
    await lane.settled(user);
    await lane.postEvent(deleted(user));
    const view = await lane.settled(user);
    expect(view.subscriptions[0]?.transfer.status).toBe('synced');
    expect(await lane.brevo.contact(`${user}@example.com`)).toBeNull();
    expect(await lane.brevo.contactByExtId(user)).toBeNull();
  });

  it('mapping a list that already holds contacts reads each before writing: blocked and unsubscribed ones are kept so, and a report names them', async () => {
    const newsletterId = uid('nl');
    const { id: list } = await lane.brevo.createList(newsletterId);
    const [plain, blocked, left] = [uid('u'), uid('u'), uid('u')];
    await lane.brevo.insert({ email: `${plain}@example.com`, listIds: [list] });
    await lane.brevo.insert({ email: `${blocked}@example.com`, listIds: [list], emailBlacklisted: true });
    await lane.brevo.insert({ email: `${left}@example.com`, listUnsubscribed: [list] });
    for (const user of [plain, blocked, left])
      await lane.postEvent(confirmed(user, newsletterId, `${user}@example.com`, { firstName: 'Portal' }));
    await lane.drain();
    await lane.mapNewsletter(newsletterId, String(list));
    for (const user of [plain, blocked, left]) await lane.settled(user);

    expect(await contact(`${plain}@example.com`)).toMatchObject({ ext_id: plain, listIds: [list] });
    expect(await contact(`${blocked}@example.com`)).toMatchObject({ ext_id: blocked, emailBlacklisted: true });
    const stillLeft = await contact(`${left}@example.com`);
    expect(stillLeft.listIds).not.toContain(list);
    expect(stillLeft.listUnsubscribed).toEqual([list]);

    const started = await lane.admin('/v1/admin/reconciliations', {
      method: 'POST',
      body: JSON.stringify({ mode: 'report', newsletterIds: [newsletterId] }),
    });
    expect(started.status).toBe(202);
    const { id } = (await started.json()) as { id: string };
    let run: {
      status: string;
      findings: { items: { driftClass: string; userId: string | null; detail: { reason?: string } }[] };
    } | null = null;
    for (let i = 0; i < 20 && run?.status !== 'completed'; i++) {
      await lane.drain();
      await lane.scheduled();
      run = await (await lane.admin(`/v1/admin/reconciliations/${id}`)).json();
    }
    expect(run?.status).toBe('completed');
    const conflicts = (run?.findings.items ?? []).filter((f) => f.driftClass === 'consent_conflict');
    expect(conflicts.map((f) => [f.userId, f.detail.reason]).sort()).toEqual(
      [
        [blocked, 'blacklisted'],
        [left, 'unsubscribed'],
      ].sort(),
    );
  });

  describe('consent, as Brevo shows it', () => {
    it('a contact Brevo blocklisted is not unblocked by a profile update or an admin retry, and its address is not changed', async () => {
      const { newsletterId, list } = await mapped();
      const user = uid('u');
      await lane.postEvent(confirmed(user, newsletterId, `${user}@example.com`));
      await lane.settled(user);
      const held = await contact(`${user}@example.com`);
      await lane.brevo.edit(held.id, { emailBlacklisted: true });
      await lane.postEvent(updated(user, `${user}.new@example.com`, { firstName: 'Later' }));
      await lane.settled(user);
      const retry = await lane.admin(`/v1/admin/subscribers/${user}/subscriptions/${newsletterId}/retry`, {
        method: 'POST',
      });
      expect(retry.status).toBeLessThan(300);
      await lane.settled(user);
      expect(await contact(`${user}@example.com`)).toMatchObject({
        emailBlacklisted: true,
        listIds: [list],
        attributes: { FIRSTNAME: 'Later' },
      });
    });

    it('a reader who left the list inside Brevo is not added back by a profile update or a retry', async () => {
      const { newsletterId, list } = await mapped();
      const user = uid('u');
      await lane.postEvent(confirmed(user, newsletterId, `${user}@example.com`));
      await lane.settled(user);
      const held = await contact(`${user}@example.com`);
      await lane.brevo.edit(held.id, { listUnsubscribed: [list] });
      await lane.postEvent(updated(user, `${user}@example.com`, { lastName: 'Changed' }));
      await lane.settled(user);
      await lane.admin(`/v1/admin/subscribers/${user}/subscriptions/${newsletterId}/retry`, { method: 'POST' });
      await lane.settled(user);
      const after = await contact(`${user}@example.com`);
      expect(after.listIds).not.toContain(list);
      expect(after.listUnsubscribed).toEqual([list]);
      expect(after.attributes.LASTNAME).toBe('Changed');
    });
  });
});

describe('Brevo refuses the key', () => {
  let lane: Lane;
  beforeAll(async () => {
    lane = await openLane({ brevo: {}, settings: { SWEEP_PENDING_AFTER_SECONDS: '0' } });
  });
  afterAll(async () => {
    await lane?.close();
  });

  it('keeps transfers pending without counting attempts, says why in /health, and resumes once the key works', async () => {
    const newsletterId = uid('nl');
    const { id } = await lane.brevo.createList(newsletterId);
    await lane.mapNewsletter(newsletterId, String(id));
    // The key revoked inside Brevo: every call answers Brevo's 401.
    await lane.brevo.rule({
      kind: 'status',
      status: 401,
      pathRegex: '^/v3/',
      times: 10_000,
      body: { code: 'unauthorized', message: 'Key not found' },
    });
    const user = uid('u');
    await lane.postEvent(confirmed(user, newsletterId, `${user}@example.com`));
    await lane.drain();
    const waiting = await lane.subscriber(user);
    expect(waiting?.subscriptions[0]?.transfer).toMatchObject({ status: 'pending', attempts: 0 });
    const health = await lane.fetch(new Request('http://bridge.test/health'));
    expect(health.status).toBe(503);
    const body = (await health.json()) as { checks: { provider: { ok: boolean; detail?: string } } };
    expect(body.checks.provider).toEqual({
      ok: false,
      detail: 'login refused: Key not found (transfers wait until the login works)',
    });

    await lane.brevo.clearRules();
    // A refused key is tried again after BREVO_KEY_RETRY_SECONDS (1 s here); the sweep re-sends.
    await new Promise((r) => setTimeout(r, 1_100));
    await lane.scheduled();
    const view = await lane.settled(user);
    expect(view.subscriptions[0]?.transfer.status).toBe('synced');
    expect((await lane.fetch(new Request('http://bridge.test/health'))).status).toBe(200);
  });
});
