import { Hono } from 'hono';
import { problems } from '../../lib/problem';
import { retryFailedNotices, retryNotice } from '../../notify/retry';
import { NoticeId, NoticesRetryBody } from '../../schemas/admin-requests';
import type { AppEnv } from '../context';
import { jsonBody, pathParams } from './body';

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
