import { SELF } from 'cloudflare:test';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { signedHeaders, verify } from '../../src/lib/standard-webhooks';
import { TEST_SECRETS } from '../support/settings';
import { confirmed, uid } from '../support/worker';

/**
 * The Standard Webhooks reference library (npm `standardwebhooks`, from standardwebhooks.com) as
 * the independent client: what the worker signs (its notices to the portal, its alerts) verifies
 * there, and what it signs is accepted at /v1/events.
 */
describe('the Standard Webhooks reference library', () => {
  it('verifies what the worker signs its notices and alerts with', async () => {
    const body = JSON.stringify({ type: 'subscription.cancelled', data: { userId: 'u-1', newsletterId: 'weekly' } });
    const headers = await signedHeaders(TEST_SECRETS.NOTIFY_SIGNING_SECRET, 'ntc_reference_1', body);
    expect(new Webhook(TEST_SECRETS.NOTIFY_SIGNING_SECRET).verify(body, headers)).toEqual(JSON.parse(body));
    // Another secret, or one byte changed, does not verify.
    expect(() => new Webhook(TEST_SECRETS.PORTAL_SIGNING_SECRET).verify(body, headers)).toThrow();
    expect(() => new Webhook(TEST_SECRETS.NOTIFY_SIGNING_SECRET).verify(`${body} `, headers)).toThrow();
  });

  it('signs what the worker verifies, and an event it signs is accepted at /v1/events', async () => {
    const hook = new Webhook(TEST_SECRETS.PORTAL_SIGNING_SECRET);
    const user = uid('u');
    const body = JSON.stringify(confirmed(user, uid('nl'), `${user}@example.com`));
    const id = uid('msg');
    const at = new Date();
    const signature = hook.sign(id, at, body);
    const timestamp = String(Math.floor(at.getTime() / 1000));
    const bytes = new TextEncoder().encode(body);
    expect(await verify([TEST_SECRETS.PORTAL_SIGNING_SECRET], { id, timestamp, signature }, bytes)).toBeNull();
    const res = await SELF.fetch('http://bridge.test/v1/events', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'webhook-id': id,
        'webhook-timestamp': timestamp,
        'webhook-signature': signature,
      },
      body,
    });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ eventId: id, status: 'accepted' });
  });
});
