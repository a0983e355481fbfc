import { describe, expect, it } from 'vitest';
import { expect422 } from '../support/admin';
import { admin } from '../support/worker';

describe('POST /v1/admin/transfers/retry with a bad body', () => {
  it('answers 400 for a body that is not JSON', async () => {
    const res = await admin('/v1/admin/transfers/retry', { method: 'POST', body: '{newsletterId' });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ type: '/docs#problem-bad-request' });
  });

  it.each([
    [{ newsletterId: '' }, '/newsletterId'],
    [{ newsletterId: 7 }, '/newsletterId'],
    [[], '/'],
    ['"newsletterId"', '/'],
  ])('answers 422 for %j', async (body, path) => {
    const errors = await expect422(
      await admin('/v1/admin/transfers/retry', { method: 'POST', body: JSON.stringify(body) }),
    );
    expect(errors.map((e) => e.path)).toEqual([path]);
  });
});
