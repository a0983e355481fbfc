import { beforeAll, describe, expect, it } from 'vitest';
import { RetryMany, RetryOne } from '../../src/schemas/admin';
import { adminJson } from '../support/admin';
import { emulator } from '../support/emulator';
import { ownList } from '../support/lists';
import { confirmed, mapNewsletter, postEvent, settled, uid } from '../support/worker';

/** A synced subscriber whose recipient the provider then shows as unsubscribed (a reader used N2G's own link). */
async function unsubscribedAtProvider(newsletterId: string, list: string) {
  const user = uid('u');
  const email = `${user}@example.com`;
  await postEvent(confirmed(user, newsletterId, email, {}, new Date(Date.now() - 60_000).toISOString()));
  await settled(user);
  const recipient = await emulator.find(list, email);
  expect(recipient).toMatchObject({ is_unsubscribed: false });
  await emulator.edit(recipient?.id ?? '', { is_unsubscribed: true });
  return { user, email, recipientId: recipient?.id ?? '' };
}

describe('retries respect consent (contract §6)', () => {
  const newsletterId = uid('consent');
  let list = '';
  beforeAll(async () => {
    list = await ownList('consent');
    await mapNewsletter(newsletterId, list);
  });

  it('retrying one transfer does not re-subscribe a recipient the provider shows as unsubscribed', async () => {
    const { user, recipientId } = await unsubscribedAtProvider(newsletterId, list);
    const answer = await adminJson(
      `/v1/admin/subscribers/${user}/subscriptions/${newsletterId}/retry`,
      RetryOne,
      { method: 'POST' },
      202,
    );
    expect(answer).toMatchObject({ previousStatus: 'synced', status: 'pending', enqueued: true });
    expect((await settled(user)).subscriptions[0]?.transfer.status).toBe('synced');
    expect(await emulator.get(recipientId)).toMatchObject({ is_unsubscribed: true });
  });

  it('a re-subscription Newsletter2Go refused is over: an admin retry does not re-subscribe', async () => {
    const user = uid('u');
    const email = `${user}@example.com`;
    const t = (minutesAgo: number) => new Date(Date.now() - minutesAgo * 60_000).toISOString();
    await postEvent(confirmed(user, newsletterId, email, {}, t(3)));
    await settled(user);
    await postEvent({ type: 'subscription.cancelled', occurredAt: t(2), data: { userId: user, newsletterId } });
    await settled(user);
    const recipient = await emulator.find(list, email);
    expect(recipient).toMatchObject({ is_unsubscribed: true });
    // The portal's re-subscription reaches Newsletter2Go, which refuses it.
    await emulator.rule({
      kind: 'status',
      status: 400,
      method: 'PATCH',
      email,
      times: 1,
      body: { status: 400, code: 1010, errorMessage: 'Refused for the test' },
    });
    await postEvent(confirmed(user, newsletterId, email, {}, t(1)));
    expect((await settled(user)).subscriptions[0]?.transfer).toMatchObject({
      status: 'failed',
      error: { message: 'Refused for the test' },
    });

    await adminJson(
      `/v1/admin/subscribers/${user}/subscriptions/${newsletterId}/retry`,
      RetryOne,
      { method: 'POST' },
      202,
    );
    expect((await settled(user)).subscriptions[0]?.transfer.status).toBe('synced');
    expect(await emulator.get(recipient?.id ?? '')).toMatchObject({ is_unsubscribed: true });
  });

  it('retrying every failed transfer of a newsletter re-pushes them without re-subscribing anyone', async () => {
    const { user, recipientId } = await unsubscribedAtProvider(newsletterId, list);
    const newEmail = `${user}.new@example.com`;
    // The profile update is refused once: the transfer ends failed with the provider's words.
    await emulator.rule({
      kind: 'status',
      status: 400,
      email: newEmail,
      times: 1,
      body: { status: 400, code: 1010, errorMessage: 'Refused for the test' },
    });
    await postEvent({
      type: 'subscriber.updated',
      occurredAt: new Date(Date.now() - 30_000).toISOString(),
      data: { userId: user, email: newEmail, firstName: 'Renamed' },
    });
    const failed = await settled(user);
    expect(failed.subscriptions[0]?.transfer).toMatchObject({
      status: 'failed',
      error: { message: 'Refused for the test', code: '1010', httpStatus: 400 },
    });

    const answer = await adminJson(
      '/v1/admin/transfers/retry',
      RetryMany,
      { method: 'POST', body: JSON.stringify({ newsletterId }) },
      202,
    );
    expect(answer).toEqual({ retried: 1, enqueued: 1 });
    expect((await settled(user)).subscriptions[0]?.transfer).toMatchObject({
      status: 'synced',
      attempts: 1,
      error: null,
    });
    expect(await emulator.get(recipientId)).toMatchObject({
      email: newEmail,
      first_name: 'Renamed',
      is_unsubscribed: true,
    });
  });

  it('retries nothing when nothing failed, and takes an empty body as "every newsletter"', async () => {
    expect(
      await adminJson(
        '/v1/admin/transfers/retry',
        RetryMany,
        { method: 'POST', body: JSON.stringify({ newsletterId: uid('quiet') }) },
        202,
      ),
    ).toEqual({ retried: 0, enqueued: 0 });
    const all = await adminJson('/v1/admin/transfers/retry', RetryMany, { method: 'POST' }, 202);
    expect(all.retried).toBe(all.enqueued);
  });
});
