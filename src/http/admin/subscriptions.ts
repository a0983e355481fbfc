import { Hono } from 'hono';
import { listSubscriptions } from '../../db/subscriptions';
import { parseOr422 } from '../../lib/valibot';
import { SubscriptionsQuery } from '../../schemas/admin-requests';
import type { AppEnv } from '../context';
import { decodeCursor, encodeCursor } from './cursor';
import { givenParams } from './query';
import { subscriptionView } from './views';

/** Every subscription, filtered and paged by subscription id (keyset, see cursor.ts). */
export const subscriptionsApp = new Hono<AppEnv>().get('/', async (c) => {
  const { config, db } = c.var;
  const q = parseOr422(SubscriptionsQuery, givenParams(c.req.query()), 'The query parameters are not valid.');
  const after = q.cursor ? decodeCursor(q.cursor) : undefined;
  const rows = await listSubscriptions(
    db,
    { status: q.status, state: q.state, newsletterId: q.newsletterId, email: q.email, after },
    q.limit + 1,
  );
  const page = rows.slice(0, q.limit);
  const last = page.at(-1);
  return c.json({
    items: await Promise.all(
      page.map(async (r) => ({ userId: r.s.userId, ...(await subscriptionView(config, r.s, r.listId ?? null)) })),
    ),
    nextCursor: rows.length > q.limit && last ? encodeCursor(last.s.id) : null,
    limit: q.limit,
  });
});
