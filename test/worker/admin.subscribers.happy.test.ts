import { createExecutionContext, createMessageBatch, env, getQueueResult } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { getConfig } from '../../src/config';
import { createDb } from '../../src/db/client';
import { handleQueue } from '../../src/handlers';
import { createNotice } from '../../src/notify/notices';
import { RetryOne, SubscriberView } from '../../src/schemas/admin';
import { adminJson } from '../support/admin';
import { ownList } from '../support/lists';
import { admin, confirmed, mapNewsletter, postEvent, settled, uid } from '../support/worker';

const view = (userId: string) => adminJson(`/v1/admin/subscribers/${encodeURIComponent(userId)}`, SubscriberView);

describe('GET /v1/admin/subscribers/{userId}: the timeline', () => {
  const newsletterId = uid('timeline');
  beforeAll(async () => {
    await mapNewsletter(newsletterId, await ownList('timeline'));
  });

  it('shows events with their outcome (applied or stale, with notes), attempts, dead letters and notices, newest first', async () => {
    const config = getConfig(env);
    const user = uid('u');
    const t0 = Date.now() - 60_000;
    const time = (offset: number) => new Date(t0 + offset).toISOString();
    expect(
      (await postEvent(confirmed(user, newsletterId, `${user}@example.com`, { firstName: 'New' }, time(2000)))).status,
    ).toBe(202);
    const synced = await settled(user);
    const subscriptionId = synced.subscriptions[0]?.subscriptionId ?? '';
    // Both older than what was applied: recorded, but they change nothing.
    await postEvent({ type: 'subscription.cancelled', occurredAt: time(0), data: { userId: user, newsletterId } });
    await postEvent({
      type: 'subscriber.updated',
      occurredAt: time(1000),
      data: { userId: user, email: `${user}.old@example.com` },
    });

    const dead = createMessageBatch(config.DEAD_LETTER_QUEUE, [
      { id: 'dl-1', timestamp: new Date(), attempts: 21, body: { kind: 'sync', subscriptionId } },
    ]);
    const ctx = createExecutionContext();
    await handleQueue(config, dead);
    await getQueueResult(dead, ctx);
    await createNotice(createDb(config), {
      type: 'subscription.cancelled',
      userId: user,
      subscriptionId,
      data: { userId: user, newsletterId },
      source: 'unsubscribe-link',
    });

    const body = await view(user);
    expect(body.subscriptions).toHaveLength(1);
    expect(body.subscriptions[0]).toMatchObject({
      state: 'subscribed',
      transfer: { status: 'failed', error: { code: 'dead-letter' } },
    });
    const times = body.timeline.map((t) => Date.parse(t.at));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    for (const entry of body.timeline) expect(entry.summary.length, entry.kind).toBeGreaterThan(10);

    const received = body.timeline.filter((t) => t.kind === 'event.received').reverse();
    expect(received.map((t) => [t.detail?.type, t.outcome])).toEqual([
      ['subscription.confirmed', 'applied'],
      ['subscription.cancelled', 'stale'],
      ['subscriber.updated', 'stale'],
    ]);
    const [, staleCancel, staleProfile] = received;
    expect(staleCancel).toMatchObject({
      newsletterId,
      subscriptionId,
      summary: expect.stringMatching(
        /^subscription\.cancelled from the portal for .+: stale \(older than what was applied; changed nothing\) \(.*not newer/,
      ),
    });
    expect(staleCancel?.detail?.notes).toEqual([expect.stringContaining('not newer than the one applied')]);
    expect(staleProfile?.summary).toMatch(/profile is older than the one applied/);

    const attempt = body.timeline.find((t) => t.kind === 'attempt');
    expect(attempt).toMatchObject({
      outcome: 'synced',
      subscriptionId,
      newsletterId,
      summary: expect.stringMatching(/^transfer for .+ of state subscribed \(version 1\): synced/),
    });
    expect(body.timeline.find((t) => t.kind === 'dead-letter')).toMatchObject({
      outcome: 'recorded',
      subscriptionId,
      summary: expect.stringContaining('dead-lettered after 21 deliveries'),
    });
    expect(body.timeline.find((t) => t.kind === 'notice.created')).toMatchObject({
      newsletterId,
      summary: expect.stringContaining('notice subscription.cancelled to the portal created'),
    });
    expect(body.notices).toEqual([expect.objectContaining({ type: 'subscription.cancelled', subscriptionId })]);
    // No personal data in the timeline: neither address appears anywhere in it.
    expect(JSON.stringify(body.timeline)).not.toContain('@example.com');
  });

  it('answers 404 problem+json for an unknown user and 422 naming an invalid userId', async () => {
    const missing = await admin(`/v1/admin/subscribers/${uid('nobody')}`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ type: '/docs#problem-not-found', status: 404 });
    const tooLong = await admin(`/v1/admin/subscribers/${'x'.repeat(129)}`);
    expect(tooLong.status).toBe(422);
    expect((await tooLong.json<{ errors: unknown[] }>()).errors).toEqual([
      { path: '/userId', message: 'userId must be at most 128 characters' },
    ]);
  });
});

describe('POST /v1/admin/subscribers/{userId}/subscriptions/{newsletterId}/retry', () => {
  const newsletterId = uid('retry-one');
  beforeAll(async () => {
    await mapNewsletter(newsletterId, await ownList('retry-one'));
  });

  it('re-pushes a dead-lettered transfer and says what it did', async () => {
    const config = getConfig(env);
    const user = uid('u');
    await postEvent(confirmed(user, newsletterId, `${user}@example.com`));
    const subscriptionId = (await settled(user)).subscriptions[0]?.subscriptionId ?? '';
    const dead = createMessageBatch(config.DEAD_LETTER_QUEUE, [
      { id: 'dl-2', timestamp: new Date(), attempts: 21, body: { kind: 'sync', subscriptionId } },
    ]);
    await handleQueue(config, dead);
    expect((await view(user)).subscriptions[0]?.transfer.status).toBe('failed');

    const answer = await adminJson(
      `/v1/admin/subscribers/${user}/subscriptions/${newsletterId}/retry`,
      RetryOne,
      { method: 'POST' },
      202,
    );
    expect(answer).toEqual({ subscriptionId, previousStatus: 'failed', status: 'pending', enqueued: true });
    const after = await settled(user);
    expect(after.subscriptions[0]?.transfer).toMatchObject({ status: 'synced', attempts: 1, error: null });
  });

  it('answers 404 for an unknown user or newsletter and 422 for an invalid one', async () => {
    const user = uid('u');
    await postEvent(confirmed(user, newsletterId, `${user}@example.com`));
    expect(
      (await admin(`/v1/admin/subscribers/${uid('nobody')}/subscriptions/${newsletterId}/retry`, { method: 'POST' }))
        .status,
    ).toBe(404);
    const other = await admin(`/v1/admin/subscribers/${user}/subscriptions/${uid('other')}/retry`, { method: 'POST' });
    expect(other.status).toBe(404);
    expect(other.headers.get('content-type')).toBe('application/problem+json');
    const bad = await admin(`/v1/admin/subscribers/${user}/subscriptions/${'n'.repeat(129)}/retry`, { method: 'POST' });
    expect(bad.status).toBe(422);
    expect((await bad.json<{ errors: { path: string }[] }>()).errors.map((e) => e.path)).toEqual(['/newsletterId']);
    await settled(user);
  });
});
