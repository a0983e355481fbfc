import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { defined } from '../support/defined';
import { emulator } from '../support/emulator';
import { type Lane, openLane } from '../support/lane';
import { ownList } from '../support/lists';
import { TEST_LISTS } from '../support/settings';
import { admin, at, confirmed, mapNewsletter, postEvent, settled, subscriber, uid } from '../support/worker';

/** In a lane (an account of its own) one newsletter may use a seeded list. */
const LANE_LIST = TEST_LISTS[0].id;

describe('a confirmed subscription travels to Newsletter2Go', () => {
  const newsletterId = uid('weekly');
  let list = '';
  beforeAll(async () => {
    list = await ownList('weekly');
    await mapNewsletter(newsletterId, list, 'Wöchentlicher Überblick');
  });

  it('creates the recipient in the mapped list and shows it synced in the admin JSON', async () => {
    const userId = uid('u');
    const email = `${userId}@example.com`;
    const res = await postEvent(
      confirmed(userId, newsletterId, email, { firstName: 'Erika', lastName: 'Mustermann', gender: 'f' }),
    );
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ status: 'accepted' });

    const view = await settled(userId);
    const [sub] = view.subscriptions;
    expect(sub).toMatchObject({ newsletterId, listId: list, state: 'subscribed', conflict: null });
    expect(sub?.transfer).toMatchObject({ status: 'synced', label: 'Übertragen', error: null, attempts: 1 });
    expect(sub?.unsubscribeUrl).toMatch(/^http:\/\/bridge\.test\/u\/sub_[a-z0-9]{20}\.[A-Za-z0-9_-]+$/);

    const recipient = await emulator.find(list, email);
    expect(recipient).toMatchObject({
      email,
      first_name: 'Erika',
      last_name: 'Mustermann',
      gender: 'f',
      is_unsubscribed: false,
    });
    expect(recipient?.attributes).toEqual({ unsubscribe_url: sub?.unsubscribeUrl });
  });

  it('never sends is_unsubscribed=false on a first confirmation: an address unsubscribed at the provider stays unsubscribed', async () => {
    const userId = uid('u');
    const email = `${userId}@example.com`;
    await emulator.insert({ list_id: list, email, is_unsubscribed: true });
    await postEvent(confirmed(userId, newsletterId, email));
    await settled(userId);
    expect(await emulator.find(list, email)).toMatchObject({ is_unsubscribed: true });
  });
});

// Tokens and the call log are account-wide: these tests have a lane each.
describe('the login to Newsletter2Go', () => {
  let lane: Lane | undefined;
  afterEach(async () => {
    await lane?.close();
    lane = undefined;
  });

  async function open() {
    const opened = await openLane();
    lane = opened;
    const newsletterId = uid('login');
    await opened.mapNewsletter(newsletterId, LANE_LIST);
    const seed = async (n: number) => {
      const users = Array.from({ length: n }, () => uid('u'));
      for (const u of users)
        expect((await opened.postEvent(confirmed(u, newsletterId, `${u}@example.com`, {}, at()))).status).toBe(202);
      return users;
    };
    return { lane: opened, seed };
  }

  it('logs in once and reuses the stored token for many transfers', async () => {
    const { lane, seed } = await open();
    await lane.settled(defined((await seed(1))[0], 'a seeded user')); // a token exists after the first transfer
    await lane.emulator.clearLog();
    const users = await seed(5);
    // One consumer invocation per transfer, as separate queue batches would be.
    await lane.drain({ batchSize: 1 });
    for (const u of users) expect((await lane.subscriber(u))?.subscriptions[0]?.transfer.status).toBe('synced');
    const { entries } = await lane.emulator.log();
    expect(entries.filter((e) => e.path.startsWith('/oauth'))).toHaveLength(0);
    expect(entries.filter((e) => e.method === 'POST' && e.path.startsWith('/recipients')).length).toBe(5);
  });

  it('logs in again after the provider expired every token, then succeeds', async () => {
    const { lane, seed } = await open();
    await lane.settled(defined((await seed(1))[0], 'a seeded user'));
    await lane.emulator.expireTokens({ access: true, refresh: true });
    await lane.emulator.clearLog();
    const [userId] = await seed(1);
    const view = await lane.settled(defined(userId, 'a seeded user'));
    expect(view.subscriptions[0]?.transfer).toMatchObject({ status: 'synced', attempts: 1 });
    const { entries } = await lane.emulator.log();
    const oauth = entries.filter((e) => e.path.startsWith('/oauth'));
    expect(oauth.length).toBeGreaterThanOrEqual(1);
    expect(oauth.at(-1)?.status).toBe(200);
    expect(entries.some((e) => e.status === 401)).toBe(true);
  });
});

describe('a transfer the provider refuses', () => {
  const newsletterId = uid('refused');
  let list = '';
  beforeAll(async () => {
    list = await ownList('refused');
    await mapNewsletter(newsletterId, list);
  });

  it("ends failed with Newsletter2Go's own message, code and status", async () => {
    const userId = uid('u');
    const email = `${userId}@example.com`;
    await emulator.rule({
      kind: 'status',
      status: 400,
      email,
      times: 1,
      body: { status: 400, code: 1062, errorMessage: 'Duplicate value "x" for column "name"' },
    });
    await postEvent(confirmed(userId, newsletterId, email));
    const view = await settled(userId);
    expect(view.subscriptions[0]?.transfer).toMatchObject({
      status: 'failed',
      label: 'Fehler bei der Übertragung',
      error: { message: 'Duplicate value "x" for column "name"', code: '1062', httpStatus: 400 },
      attempts: 1,
    });
  });

  it('ends failed when the address comes back in invalid_recipients', async () => {
    const userId = uid('u');
    const email = `${userId}@example.com`;
    await emulator.rejectEmails([email]);
    await postEvent(confirmed(userId, newsletterId, email));
    const view = await settled(userId);
    expect(view.subscriptions[0]?.transfer.status).toBe('failed');
    expect(view.subscriptions[0]?.transfer.error?.code).toBe('invalid_recipient');
    expect(await emulator.find(list, email)).toBeNull();
  });
});

describe('admin subscriber JSON', () => {
  it('answers 404 problem+json for an unknown user and 401 without a token', async () => {
    const missing = await admin(`/v1/admin/subscribers/${uid('nobody')}`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toBe('application/problem+json');
    const anonymous = await admin(`/v1/admin/subscribers/x`, {}, 'wrong-token');
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Bearer/);
  });

  it('accepts the second configured admin token', async () => {
    const res = await admin(`/v1/admin/subscribers/${uid('nobody')}`, {}, 'test-admin-token-2');
    expect(res.status).toBe(404);
  });

  it('keeps a subscription for an unmapped newsletter as failed, naming the missing mapping', async () => {
    const userId = uid('u');
    const newsletterId = uid('unmapped');
    await postEvent(confirmed(userId, newsletterId, `${userId}@example.com`));
    const view = await settled(userId);
    expect(view.subscriptions[0]?.transfer.status).toBe('failed');
    expect(view.subscriptions[0]?.transfer.error?.message).toContain(newsletterId);
    void subscriber;
  });
});
