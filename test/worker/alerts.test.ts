import * as v from 'valibot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Stats } from '../../src/schemas/admin';
import { type Lane, openLane } from '../support/lane';
import { TEST_LISTS } from '../support/settings';
import { confirmed, uid } from '../support/worker';

/**
 * Alerts are account-wide (they count every failed transfer): a lane of its own, with an alert
 * endpoint that checks each message's Standard Webhooks signature against the alert secret.
 */
describe('alerts to the people who run the worker', () => {
  let lane: Lane;
  const newsletterId = uid('alerts');
  const user = uid('u');
  const email = `${user}@example.com`;
  beforeAll(async () => {
    lane = await openLane({ alerts: true, settings: { SYNC_MAX_ATTEMPTS: '1' } });
    await lane.mapNewsletter(newsletterId, TEST_LISTS[1].id);
  });
  afterAll(async () => {
    await lane?.close();
  });

  const AlertBody = v.object({
    text: v.string(),
    type: v.literal('alert'),
    condition: v.string(),
    state: v.picklist(['started', 'ended']),
    occurredAt: v.string(),
    detail: v.record(v.string(), v.unknown()),
  });
  const received = async () =>
    (await lane.alertsReceived()).map((r) => ({ verified: r.verified, body: v.parse(AlertBody, r.body) }));
  /** A scheduled run, then the queue: the alert it creates is delivered with its message. */
  const tick = async () => {
    await lane.scheduled();
    await lane.drain();
  };

  it('says once when failed transfers pass the threshold, signed, with counts and ids but no address', async () => {
    const rule = await lane.emulator.rule({
      kind: 'status',
      status: 400,
      method: 'POST',
      pathPrefix: '/recipients',
      email,
      times: 100,
      body: { status: 400, code: 1234, errorMessage: `Recipient ${email} refused` },
    });
    await lane.postEvent(confirmed(user, newsletterId, email, { firstName: 'Alerta' }));
    const view = await lane.settled(user);
    expect(view.subscriptions[0]?.transfer.status).toBe('failed');
    await lane.emulator.removeRule(rule.id);

    await tick();
    const first = await received();
    expect(first).toEqual([
      {
        verified: true,
        body: {
          text: `newsletter-bridge: 1 transfers have failed (alert above 0): ${newsletterId} (1)`,
          type: 'alert',
          condition: 'failed-transfers',
          state: 'started',
          occurredAt: expect.any(String),
          detail: { failed: 1, threshold: 0, newsletters: [`${newsletterId} (1)`] },
        },
      },
    ]);
    const raw = JSON.stringify(await lane.alertsReceived());
    expect(raw).not.toContain(email);
    expect(raw).not.toContain('Alerta');

    // Still failing five minutes later: no second message.
    await tick();
    expect(await received()).toHaveLength(1);
  });

  it('says once when it ends, and the stats count the alerts delivered', async () => {
    const retry = await lane.admin(`/v1/admin/subscribers/${user}/subscriptions/${newsletterId}/retry`, {
      method: 'POST',
    });
    expect(retry.status).toBe(202);
    expect((await lane.settled(user)).subscriptions[0]?.transfer.status).toBe('synced');
    await tick();
    const all = await received();
    expect(all.map((a) => [a.body.condition, a.body.state, a.verified])).toEqual([
      ['failed-transfers', 'started', true],
      ['failed-transfers', 'ended', true],
    ]);
    expect(all[1]?.body.text).toBe('newsletter-bridge: Resolved: failed transfers are back at or below the threshold');
    const stats = v.parse(Stats, await (await lane.admin('/v1/admin/stats')).json());
    expect(stats.alerts).toEqual({ pending: 0, delivered: 2, failed: 0 });
    // Portal notices are counted apart.
    expect(stats.notices.delivered).toBe(0);
  });

  it('says when the provider login is refused, and when it works again', async () => {
    const rule = await lane.emulator.rule({
      kind: 'status',
      status: 400,
      pathPrefix: '/oauth/v2/token',
      times: 10_000,
      body: { error: 'invalid_grant', error_description: 'Invalid username and password combination' },
    });
    await lane.emulator.expireTokens({ access: true, refresh: true });
    const other = uid('u');
    await lane.postEvent(confirmed(other, newsletterId, `${other}@example.com`));
    await lane.drain();
    await tick();
    expect((await received()).at(-1)?.body).toMatchObject({ condition: 'login-refused', state: 'started' });
    await lane.emulator.removeRule(rule.id);
    // The password is tried again after N2G_LOGIN_RETRY_SECONDS (1 s under test); the sweep re-sends.
    await new Promise((r) => setTimeout(r, 1_100));
    await lane.scheduled(undefined, { ...lane.env, SWEEP_PENDING_AFTER_SECONDS: '0' });
    await lane.drain();
    await tick();
    expect((await received()).at(-1)?.body).toMatchObject({ condition: 'login-refused', state: 'ended' });
  }, 60_000);
});
