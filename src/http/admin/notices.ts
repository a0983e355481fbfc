import { Hono } from 'hono';
import * as v from 'valibot';
import { problems } from '../../lib/problem';
import { retryFailedNotices, retryNotice } from '../../notify/retry';
import { UserId } from '../../sync/events';
import type { AppEnv } from '../context';
import { jsonBody, pathParams } from './body';

export const NoticeId = v.pipe(v.string('noticeId must be a string'), v.minLength(1, 'noticeId must not be empty'), v.maxLength(64, 'noticeId must be at most 64 characters'));

/** `POST /v1/admin/notices/retry` body. */
export const NoticesRetryBody = v.object({ userId: v.optional(UserId) });

/** Worker → portal notices can be retried by an admin (contract §4). */
export const noticesApp = new Hono<AppEnv>()
  .post('/retry', async (c) => {
    const { config, db } = c.var;
    const body = await jsonBody(c, NoticesRetryBody, { optional: true });
    const result = await retryFailedNotices(db, config, body.userId ? { userId: body.userId } : {});
    return c.json({ retried: result.retried, ids: result.ids }, 202);
  })
  .post('/:noticeId/retry', async (c) => {
    const { config, db } = c.var;
    const { noticeId: id } = pathParams(c, { noticeId: NoticeId });
    // One attempt now; the answer is the notice's state after it.
    const notice = await retryNotice(db, config, id);
    if (!notice) throw problems.notFound(`No notice with id ${JSON.stringify(id)} is known.`);
    return c.json(notice);
  });
