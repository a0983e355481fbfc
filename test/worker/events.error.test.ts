import { SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { at, confirmed, postEvent, signedRequest, uid } from '../support/worker';

type Problem = { status: number; title: string; detail: string; errors?: { path: string; message: string }[] };

describe('POST /v1/events intake errors', () => {
  it('answers a body that is not JSON with 400 problem+json', async () => {
    const res = await SELF.fetch(await signedRequest('{"type": '));
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
  });

  it('answers a body over 64 KiB with 413 before looking at the signature', async () => {
    const big = JSON.stringify({ ...confirmed(uid('u'), 'nl', 'a@example.com'), pad: 'x'.repeat(65 * 1024) });
    const res = await SELF.fetch('http://bridge.test/v1/events', {
      method: 'POST',
      body: big,
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(413);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
  });

  it('lists every schema violation in one 422', async () => {
    const res = await postEvent({
      type: 'subscription.confirmed',
      occurredAt: 'yesterday',
      data: { userId: '', email: 'not-an-address', gender: 'x' },
    });
    expect(res.status).toBe(422);
    const body = await res.json<Problem>();
    const paths = body.errors?.map((e) => e.path) ?? [];
    expect(paths).toEqual(
      expect.arrayContaining(['/occurredAt', '/data/userId', '/data/email', '/data/gender', '/data/newsletterId']),
    );
  });

  it('rejects an unknown event type with 422 naming the allowed types', async () => {
    const res = await postEvent({ type: 'subscription.paused', occurredAt: at(), data: {} });
    expect(res.status).toBe(422);
    const body = await res.json<Problem>();
    expect(body.errors?.[0]).toMatchObject({ path: '/type' });
    expect(body.errors?.[0]?.message).toMatch(/subscription\.confirmed/);
  });

  it('rejects occurredAt more than 5 minutes in the future', async () => {
    const future = new Date(Date.now() + 6 * 60_000).toISOString();
    const res = await postEvent(confirmed(uid('u'), 'nl', 'a@example.com', {}, future));
    expect(res.status).toBe(422);
    expect((await res.json<Problem>()).errors).toEqual([expect.objectContaining({ path: '/occurredAt' })]);
  });

  it('rejects userIds over 128 characters and e-mails over 254', async () => {
    const long = `${'a'.repeat(250)}@example.com`;
    const res = await postEvent(confirmed('u'.repeat(129), 'nl', long));
    const paths = (await res.json<Problem>()).errors?.map((e) => e.path);
    expect(res.status).toBe(422);
    expect(paths).toEqual(expect.arrayContaining(['/data/userId', '/data/email']));
  });

  it('answers a repeated webhook-id with the same body with 200 and the first answer', async () => {
    const id = uid('msg');
    const ev = confirmed(uid('u'), uid('nl'), 'twice@example.com');
    const first = await postEvent(ev, { id });
    const second = await postEvent(ev, { id });
    expect(first.status).toBe(202);
    expect(second.status).toBe(200);
    expect(await second.json()).toEqual(await first.json());
  });

  it('answers a repeated webhook-id with a different body with 409', async () => {
    const id = uid('msg');
    const user = uid('u');
    expect((await postEvent(confirmed(user, 'nl-a', 'a@example.com'), { id })).status).toBe(202);
    const res = await postEvent(confirmed(user, 'nl-a', 'b@example.com'), { id });
    expect(res.status).toBe(409);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
  });

  it('lets the batch guards decide between concurrent deliveries of one id', async () => {
    const id = uid('msg');
    const ev = confirmed(uid('u'), uid('nl'), 'race@example.com');
    const answers = await Promise.all(Array.from({ length: 6 }, async () => (await postEvent(ev, { id })).status));
    expect(answers.filter((s) => s === 202)).toHaveLength(1);
    expect(answers.filter((s) => s === 200)).toHaveLength(5);
  });

  it('does not store a rejected event: its id stays free', async () => {
    const id = uid('msg');
    expect((await postEvent({ type: 'nope', occurredAt: at(), data: {} }, { id })).status).toBe(422);
    expect((await postEvent(confirmed(uid('u'), uid('nl'), 'ok@example.com'), { id })).status).toBe(202);
  });
});
