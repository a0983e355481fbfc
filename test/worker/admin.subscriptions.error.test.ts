import { describe, expect, it } from 'vitest';
import { expect422 } from '../support/admin';
import { admin } from '../support/worker';

const get = (query: string) => admin(`/v1/admin/subscriptions?${query}`);

describe('GET /v1/admin/subscriptions with bad parameters', () => {
  it.each([
    ['limit=0', '/limit'],
    ['limit=501', '/limit'],
    ['limit=abc', '/limit'],
    ['limit=1.5', '/limit'],
    ['limit=-1', '/limit'],
    ['status=done', '/status'],
    ['state=active', '/state'],
    ['email=a*b', '/email'],
  ])('%s is a 422 naming %s', async (query, path) => {
    const errors = await expect422(await get(query));
    expect(errors.map((e) => e.path)).toEqual([path]);
  });

  it('takes empty parameters as absent, as the contract writes them (?status=&newsletterId=&limit=&cursor=)', async () => {
    const res = await get('status=&state=&newsletterId=&email=&limit=&cursor=');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ limit: 50 });
  });

  it('lists every violation at once', async () => {
    const errors = await expect422(await get('limit=0&status=done&state=active'));
    expect(errors.map((e) => e.path).sort()).toEqual(['/limit', '/state', '/status']);
  });

  it.each([
    ['not base64url', 'not a cursor!'],
    ['base64url but not JSON', 'bm90IGpzb24'],
    ['JSON of another shape', btoa(JSON.stringify({ page: 2 })).replace(/=+$/, '')],
  ])('refuses a cursor that is %s', async (_what, cursor) => {
    const errors = await expect422(await get(`cursor=${encodeURIComponent(cursor)}`));
    expect(errors).toEqual([{ path: '/cursor', message: expect.stringMatching(/not one this API issued/) }]);
  });
});
