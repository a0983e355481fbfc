import { SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { sign } from '../../src/lib/standard-webhooks';
import { TEST_SECRETS } from '../support/settings';
import { at, confirmed, postEvent, signedRequest, uid } from '../support/worker';

const event = () => confirmed(uid('u'), uid('nl'), 'reader@example.com', {}, at());

describe('POST /v1/events signature (Standard Webhooks)', () => {
  it('accepts a delivery signed with the current secret', async () => {
    const res = await postEvent(event());
    expect(res.status).toBe(202);
  });

  it('accepts a delivery signed with the second, rotated secret', async () => {
    const res = await postEvent(event(), { secret: TEST_SECRETS.PORTAL_SIGNING_SECRET_ROTATED });
    expect(res.status).toBe(202);
  });

  it('accepts when any entry of a multi-signature header matches', async () => {
    const body = JSON.stringify(event());
    const id = uid('msg');
    const ts = Math.floor(Date.now() / 1000);
    const good = await sign(TEST_SECRETS.PORTAL_SIGNING_SECRET, id, ts, body);
    const bad = await sign(TEST_SECRETS.NOTIFY_SIGNING_SECRET, id, ts, body);
    const res = await SELF.fetch('http://bridge.test/v1/events', {
      method: 'POST',
      headers: { 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': `${bad} v2,abc ${good}` },
      body,
    });
    expect(res.status).toBe(202);
  });

  it('rejects a delivery signed with another key (the notify secret) with 401 problem+json', async () => {
    const res = await postEvent(event(), { secret: TEST_SECRETS.NOTIFY_SIGNING_SECRET });
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(await res.json()).toMatchObject({ status: 401, title: 'Unauthorized' });
  });

  it('rejects a tampered body', async () => {
    const req = await signedRequest(JSON.stringify(event()));
    const tampered = new Request(req, { body: (await req.clone().text()).replace('reader@', 'attacker@') });
    const res = await SELF.fetch(tampered);
    expect(res.status).toBe(401);
  });

  it('rejects stale and future timestamps beyond 300 s', async () => {
    const now = Math.floor(Date.now() / 1000);
    expect((await postEvent(event(), { timestamp: now - 301 })).status).toBe(401);
    expect((await postEvent(event(), { timestamp: now + 301 })).status).toBe(401);
    expect((await postEvent(event(), { timestamp: now - 290 })).status).toBe(202);
  });

  it('rejects missing headers', async () => {
    const res = await SELF.fetch('http://bridge.test/v1/events', { method: 'POST', body: JSON.stringify(event()) });
    expect(res.status).toBe(401);
    expect((await res.json<{ detail: string }>()).detail).toMatch(/webhook-id/);
  });

  it('checks the signature before the body: an unsigned non-JSON body is 401, not 400', async () => {
    const res = await SELF.fetch('http://bridge.test/v1/events', { method: 'POST', body: 'not json' });
    expect(res.status).toBe(401);
  });
});
