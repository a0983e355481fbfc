import { env } from 'cloudflare:test';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { getConfig } from '../../src/config';
import { createDb } from '../../src/db/client';
import { notices } from '../../src/db/schema';
import { NoticeRetryMany, NoticeView } from '../../src/schemas/admin';
import { adminJson, expect422 } from '../support/admin';
import { failedNotice } from '../support/admin-writes';
import { admin, waitFor } from '../support/worker';

describe('admin retries of portal notices (contract §4)', () => {
  it('POST /v1/admin/notices/{id}/retry delivers a failed notice now and answers its state', async () => {
    const { id } = await failedNotice();
    const notice = await adminJson(`/v1/admin/notices/${id}/retry`, NoticeView, { method: 'POST' });
    expect(notice).toMatchObject({
      id,
      status: 'delivered',
      attempts: 10,
      lastError: null,
      deliveredAt: expect.any(String),
    });
  });

  it('POST /v1/admin/notices/retry retries every failed notice of one user through the queue', async () => {
    const { id, userId } = await failedNotice();
    const other = await failedNotice();
    const answer = await adminJson(
      '/v1/admin/notices/retry',
      NoticeRetryMany,
      { method: 'POST', body: JSON.stringify({ userId }) },
      202,
    );
    expect(answer).toEqual({ retried: 1, ids: [id] });
    // A user known only from a notice has no subscriber view: the row tells.
    const db = createDb(getConfig(env));
    const statusOf = async (noticeId: string) =>
      (await db.select({ status: notices.status }).from(notices).where(eq(notices.id, noticeId)))[0]?.status;
    const delivered = await waitFor(
      async () => (await statusOf(id)) === 'delivered',
      'the retried notice to be delivered',
    );
    expect(delivered).toBeTruthy();
    expect(await statusOf(other.id)).toBe('failed');
  });

  it('answers 404 for an unknown notice and 422 for an invalid id or body', async () => {
    const missing = await admin(`/v1/admin/notices/ntc_${'0'.repeat(20)}/retry`, { method: 'POST' });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ type: '/docs#problem-not-found' });
    expect(
      (await expect422(await admin(`/v1/admin/notices/${'n'.repeat(65)}/retry`, { method: 'POST' }))).map(
        (e) => e.path,
      ),
    ).toEqual(['/noticeId']);
    expect(
      (
        await expect422(
          await admin('/v1/admin/notices/retry', { method: 'POST', body: JSON.stringify({ userId: '' }) }),
        )
      ).map((e) => e.path),
    ).toEqual(['/userId']);
    expect((await admin('/v1/admin/notices/retry', { method: 'POST', body: 'nope' })).status).toBe(400);
  });
});
