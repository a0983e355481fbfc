import { afterEach, describe, expect, it } from 'vitest';
import { defined } from '../support/defined';
import type { EmulatorSettings } from '../support/emulator';
import { type Lane, openLane } from '../support/lane';
import { TEST_LISTS } from '../support/settings';
import { at, confirmed, deleted, uid, updated } from '../support/worker';

/**
 * A write the provider took is never repeated because of what came after it (issue: two-step
 * operations). Each test has a lane, so it counts the calls of its own emulator account and
 * delivers the queue round by round.
 */

const LIST = TEST_LISTS[0].id;

describe('two-step operations: only the missing step is retried', () => {
  let lane: Lane | undefined;
  afterEach(async () => {
    await lane?.close();
    lane = undefined;
  });

  async function open(emulator: Partial<EmulatorSettings> = {}) {
    lane = await openLane({ emulator });
    const newsletterId = uid('twostep');
    await lane.mapNewsletter(newsletterId, LIST);
    await lane.emulator.clearLog();
    return { lane, newsletterId };
  }

  /** The recipient id the last synced attempt recorded (the admin view's timeline). */
  const recipientOf = async (l: Lane, userId: string) => {
    const view = await l.subscriber(userId);
    const synced = (view?.timeline ?? []).filter((e) => e.kind === 'attempt' && e.outcome === 'synced');
    const ids = synced.map((e) => (e.detail as { recipientId?: string | null }).recipientId ?? null);
    return ids.find((id) => id !== null) ?? null;
  };

  const calls = async (l: Lane, method: string, prefix: string) =>
    (await l.emulator.log()).entries.filter((e) => e.method === method && e.path.startsWith(prefix));

  it('an array upsert whose id read-back fails is read back, never upserted again', async () => {
    const { lane, newsletterId } = await open();
    const users = [uid('a'), uid('b'), uid('c')];
    for (const u of users)
      expect((await lane.postEvent(confirmed(u, newsletterId, `${u}@example.com`))).status).toBe(202);
    await lane.emulator.rule({ kind: '503', method: 'GET', pathPrefix: `/lists/${LIST}/recipients`, times: 2 });
    const first = defined(await lane.round(), 'a first round');
    expect(first.messages).toHaveLength(3);
    for (const u of users) {
      const sub = (await lane.subscriber(u))?.subscriptions[0];
      expect(sub?.transfer).toMatchObject({ status: 'pending', attempts: 1 });
      expect(sub?.transfer.error?.message).toContain('Newsletter2Go took the write');
    }
    await lane.drain();
    for (const u of users) {
      const sub = (await lane.subscriber(u))?.subscriptions[0];
      expect(sub?.transfer).toMatchObject({ status: 'synced', attempts: 2 });
      expect(await recipientOf(lane, u)).toBe((await lane.emulator.find(LIST, `${u}@example.com`))?.id);
    }
    expect(await calls(lane, 'POST', '/recipients')).toHaveLength(1);
    expect(await lane.emulator.recipients(LIST)).toHaveLength(3);
  });

  it('a creation failed after retries with its id unread: an admin retry reads it back, writes by id', async () => {
    lane = await openLane({ settings: { SYNC_MAX_ATTEMPTS: '1' } });
    const newsletterId = uid('twostep');
    await lane.mapNewsletter(newsletterId, LIST);
    const users = [uid('a'), uid('b')];
    for (const u of users) await lane.postEvent(confirmed(u, newsletterId, `${u}@example.com`));
    await lane.emulator.clearLog();
    await lane.emulator.rule({ kind: '503', method: 'GET', pathPrefix: `/lists/${LIST}/recipients`, times: 2 });
    await lane.drain();
    const [first] = users;
    const failed = (await lane.subscriber(first ?? ''))?.subscriptions[0]?.transfer;
    expect(failed).toMatchObject({ status: 'failed', attempts: 1 });
    const retried = await lane.admin(`/v1/admin/subscribers/${first}/subscriptions/${newsletterId}/retry`, {
      method: 'POST',
    });
    expect(retried.status).toBe(202);
    await lane.drain();
    expect((await lane.subscriber(first ?? ''))?.subscriptions[0]?.transfer.status).toBe('synced');
    expect(await calls(lane, 'POST', '/recipients')).toHaveLength(1);
    expect(await calls(lane, 'PATCH', `/lists/${LIST}/recipients/`)).toHaveLength(1);
    expect(await lane.emulator.recipients(LIST)).toHaveLength(2);
  });

  it('254-character addresses: the read-back by address stays within 4,096-byte URLs', async () => {
    const { lane, newsletterId } = await open({ maxUrlBytes: 4096 });
    // 64 + 1 + 189 = 254 characters, labels of at most 63.
    const address = (i: number) =>
      `u${String(i).padStart(3, '0')}${'a'.repeat(60)}@${'b'.repeat(61)}.${'c'.repeat(61)}.${'d'.repeat(57)}.example`;
    const users = Array.from({ length: 40 }, (_, i) => ({ id: uid(`long${i}`), email: address(i) }));
    expect(users[0]?.email).toHaveLength(254);
    for (const u of users) expect((await lane.postEvent(confirmed(u.id, newsletterId, u.email))).status).toBe(202);
    // The id read-back fails once: the second round reads the ids back by address.
    await lane.emulator.rule({ kind: '503', method: 'GET', pathPrefix: `/lists/${LIST}/recipients`, times: 2 });
    await lane.drain();
    for (const u of users)
      expect((await lane.subscriber(u.id))?.subscriptions[0]?.transfer).toMatchObject({ status: 'synced' });
    const { entries } = await lane.emulator.log();
    const lookups = entries.filter((e) => e.method === 'GET' && e.path.includes('_filter=email'));
    expect(lookups.length).toBeGreaterThan(1);
    for (const e of entries) expect(e.status).not.toBe(414);
    expect(Math.max(...entries.map((e) => new TextEncoder().encode(e.path).length))).toBeLessThanOrEqual(4096);
    expect(await calls(lane, 'POST', '/recipients')).toHaveLength(1);
  });

  it('an erasure after a look-up keeps what the look-up found: the retry erases without looking again', async () => {
    const { lane, newsletterId } = await open();
    const user = uid('erase');
    const email = `${user}@example.com`;
    await lane.postEvent(confirmed(user, newsletterId, email, { firstName: 'Eve' }, at()));
    // The creation lands but its answer is a 500: the id stays unknown, the address is noted.
    await lane.emulator.rule({ kind: '500_after_write', method: 'POST', pathPrefix: '/recipients', times: 1 });
    await lane.round();
    expect(await lane.emulator.find(LIST, email)).toMatchObject({ first_name: 'Eve' });
    expect(await recipientOf(lane, user)).toBeNull();

    await lane.postEvent(deleted(user, at(5000)));
    await lane.emulator.rule({ kind: '500', method: 'PATCH', pathPrefix: `/lists/${LIST}/recipients/`, times: 1 });
    await lane.emulator.clearLog();
    await lane.drain();
    const lookups = (await calls(lane, 'GET', `/lists/${LIST}/recipients?`)).filter((e) => e.path.includes('_filter'));
    expect(lookups).toHaveLength(1);
    expect(await calls(lane, 'PATCH', `/lists/${LIST}/recipients/`)).toHaveLength(2);
    const [left] = await lane.emulator.recipients(LIST);
    expect(left).toMatchObject({ first_name: 'DELETED', last_name: 'DELETED', is_unsubscribed: true });
    expect((await lane.subscriber(user))?.subscriptions[0]?.transfer.status).toBe('synced');
  });

  it('a recipient answered 404 is forgotten: the failed re-creation is retried without asking for it again', async () => {
    const { lane, newsletterId } = await open();
    const user = uid('gone');
    const email = `${user}@example.com`;
    await lane.postEvent(confirmed(user, newsletterId, email, { firstName: 'Gus' }, at()));
    await lane.drain();
    const before = defined(await recipientOf(lane, user), 'a recipient id');
    await lane.emulator.remove(before); // deleted inside Newsletter2Go

    await lane.postEvent(updated(user, email, { firstName: 'Gustav' }, at(5000)));
    await lane.emulator.rule({ kind: '500', method: 'POST', pathPrefix: '/recipients', times: 1 });
    await lane.emulator.clearLog();
    await lane.drain();
    expect(await calls(lane, 'PATCH', `/lists/${LIST}/recipients/${before}`)).toHaveLength(1);
    expect(await calls(lane, 'POST', '/recipients')).toHaveLength(2);
    expect((await lane.subscriber(user))?.subscriptions[0]?.transfer.status).toBe('synced');
    const after = await recipientOf(lane, user);
    expect(after).not.toBe(before);
    expect(await lane.emulator.find(LIST, email)).toMatchObject({ id: after, first_name: 'Gustav' });
  });
});
