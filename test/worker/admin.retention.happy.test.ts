import { createScheduledController, env } from 'cloudflare:test';
import { eq, inArray } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { getConfig } from '../../src/config';
import { createDb } from '../../src/db/client';
import { eventLog, receivedEvents } from '../../src/db/schema';
import { handleScheduled } from '../../src/handlers';
import { SubscriberView } from '../../src/schemas/admin';
import { adminJson } from '../support/admin';
import { confirmed, postEvent, settled, uid } from '../support/worker';

const DAY = 86_400_000;
const controller = () => createScheduledController({ cron: '*/5 * * * *', scheduledTime: Date.now() });

describe('retention (LOG_RETENTION_DAYS)', () => {
  it('the scheduled run deletes log entries and received-event records older than the retention, and keeps the rest', async () => {
    const config = getConfig(env);
    const db = createDb(config);
    const user = uid('retention');
    const now = Date.now();
    const ages = { old: now - 91 * DAY, edge: now - 89 * DAY, fresh: now };
    const logIds: Record<string, number> = {};
    for (const [name, at] of Object.entries(ages)) {
      const [row] = await db
        .insert(eventLog)
        .values({ at, kind: 'test.retention', userId: user, outcome: name })
        .returning({ id: eventLog.id });
      logIds[name] = row?.id ?? -1;
    }
    const eventIds = Object.fromEntries(Object.keys(ages).map((name) => [name, uid(`evt-${name}`)]));
    await db.insert(receivedEvents).values(
      Object.entries(ages).map(([name, at]) => ({
        eventId: eventIds[name] ?? '',
        bodyHash: 'x',
        userId: user,
        responseStatus: 202,
        responseBody: '{}',
        receivedAt: at,
      })),
    );

    await handleScheduled(config, controller());
    const logLeft = await db.select({ outcome: eventLog.outcome }).from(eventLog).where(eq(eventLog.userId, user));
    expect(logLeft.map((r) => r.outcome).sort()).toEqual(['edge', 'fresh']);
    const receivedLeft = await db
      .select({ id: receivedEvents.eventId })
      .from(receivedEvents)
      .where(inArray(receivedEvents.eventId, Object.values(eventIds)));
    expect(receivedLeft.map((r) => r.id).sort()).toEqual([eventIds.edge, eventIds.fresh].sort());

    // A shorter retention takes the 89-day-old entries too.
    await handleScheduled({ ...config, LOG_RETENTION_DAYS: 30 }, controller());
    expect(
      (await db.select({ outcome: eventLog.outcome }).from(eventLog).where(eq(eventLog.userId, user))).map(
        (r) => r.outcome,
      ),
    ).toEqual(['fresh']);
  });

  it('a redelivery of an event pruned from the records is accepted again and changes nothing', async () => {
    const config = getConfig(env);
    const db = createDb(config);
    const user = uid('u');
    const newsletterId = uid('nl');
    const t0 = Date.now() - 60_000;
    const first = confirmed(user, newsletterId, `${user}@example.com`, {}, new Date(t0).toISOString());
    const id = uid('msg');
    expect((await postEvent(first, { id })).status).toBe(202);
    await postEvent({
      type: 'subscription.cancelled',
      occurredAt: new Date(t0 + 1000).toISOString(),
      data: { userId: user, newsletterId },
    });
    await settled(user);
    expect((await postEvent(first, { id })).status).toBe(200);

    await db
      .update(receivedEvents)
      .set({ receivedAt: Date.now() - 100 * DAY })
      .where(eq(receivedEvents.eventId, id));
    await handleScheduled(config, controller());
    expect((await postEvent(first, { id })).status).toBe(202);
    await settled(user);
    const view = await adminJson(`/v1/admin/subscribers/${user}`, SubscriberView);
    expect(view.subscriptions[0]?.state).toBe('unsubscribed');
    expect(view.timeline.find((t) => t.kind === 'event.received' && t.eventId === id)?.outcome).toBe('stale');
  });
});
