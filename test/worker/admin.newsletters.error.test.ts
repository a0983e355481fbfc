import { describe, expect, it } from 'vitest';
import { expect422 } from '../support/admin';
import { emulator } from '../support/emulator';
import { admin, uid } from '../support/worker';

const put = (newsletterId: string, body: string) =>
  admin(`/v1/admin/newsletters/${newsletterId}`, { method: 'PUT', body });

describe('PUT /v1/admin/newsletters/{newsletterId} refused', () => {
  it("answers 422 with Newsletter2Go's own message for a list it does not know, and stores nothing", async () => {
    const newsletterId = uid('unknown-list');
    const res = await put(newsletterId, JSON.stringify({ listId: 'zzzz9999' }));
    expect(res.status).toBe(422);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    const body = await res.json<Record<string, unknown>>();
    expect(body).toMatchObject({
      type: '/docs#problem-unprocessable',
      status: 422,
      detail: 'The list "zzzz9999" is unknown at Newsletter2Go: List not found',
      provider: { message: 'List not found', httpStatus: 404 },
    });
    expect((await admin(`/v1/admin/newsletters/${newsletterId}`, { method: 'DELETE' })).status).toBe(404);
  });

  it('answers 503 with Retry-After when Newsletter2Go cannot be asked', async () => {
    // A list of its own: a rule on a shared list's path would answer other files' calls too.
    const { id: list } = await emulator.createList({ name: uid('down'), attributes: ['unsubscribe_url'] });
    const rule = await emulator.rule({
      kind: 'status',
      status: 503,
      pathPrefix: `/lists/${list}`,
      times: 5,
      body: { status: 503, errorMessage: 'Down for maintenance' },
    });
    try {
      const res = await put(uid('down'), JSON.stringify({ listId: list }));
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('60');
      expect(await res.json()).toMatchObject({
        type: '/docs#problem-provider-unavailable',
        detail: expect.stringContaining('Down for maintenance'),
      });
    } finally {
      await emulator.removeRule(rule.id);
    }
  });

  it('answers 400 for a body that is not JSON or is missing', async () => {
    for (const body of ['{listId', '']) {
      const res = await put(uid('nl'), body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(await res.json()).toMatchObject({ type: '/docs#problem-bad-request' });
    }
  });

  it.each([
    [{}, ['/listId']],
    [{ listId: 'has spaces' }, ['/listId']],
    [{ listId: 12345678 }, ['/listId']],
    [{ listId: 'abcd1234', name: '   ' }, ['/name']],
    [{ listId: 'abcd1234', name: 'x'.repeat(201) }, ['/name']],
    [{ listId: '', name: 5 }, ['/listId', '/name']],
    [['abcd1234'], ['/']],
  ])('answers 422 for %j, naming %j', async (body, paths) => {
    const errors = await expect422(await put(uid('nl'), JSON.stringify(body)));
    expect(errors.map((e) => e.path)).toEqual(paths);
  });

  it('answers 422 naming the newsletterId when it is too long, and 404 deleting an unknown mapping', async () => {
    const errors = await expect422(await put('n'.repeat(129), JSON.stringify({ listId: 'abcd1234' })));
    expect(errors).toEqual([{ path: '/newsletterId', message: 'newsletterId must be at most 128 characters' }]);
    const missing = await admin(`/v1/admin/newsletters/${uid('none')}`, { method: 'DELETE' });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ type: '/docs#problem-not-found' });
  });
});
