import { and, asc, eq, gt, sql } from 'drizzle-orm';
import { Hono } from 'hono';
import * as v from 'valibot';
import { newsletters, subscribers, subscriptionStates, subscriptions, transferStatuses } from '../../db/schema';
import { parseOr422 } from '../../lib/valibot';
import { DEFAULT_PAGE, MAX_PAGE, SubscriptionsQuery } from '../../schemas/admin-requests';
import type { AppEnv } from '../context';
import { decodeCursor, encodeCursor } from './cursor';
import { givenParams } from './query';
import { subscriptionView } from './views';

/** Every subscription, filtered and paged by subscription id (keyset, see cursor.ts). */
export const subscriptionsApp = new Hono<AppEnv>().get('/', async (c) => {
  const { config, db } = c.var;
  const q = parseOr422(SubscriptionsQuery, givenParams(c.req.query()), 'The query parameters are not valid.');
  const after = q.cursor ? decodeCursor(q.cursor) : undefined;
  const rows = await db
    .select({ s: subscriptions, listId: newsletters.listId })
    .from(subscriptions)
    .leftJoin(newsletters, eq(newsletters.newsletterId, subscriptions.newsletterId))
    .leftJoin(subscribers, eq(subscribers.userId, subscriptions.userId))
    .where(
      and(
        q.status ? eq(subscriptions.transferStatus, q.status) : undefined,
        q.state ? eq(subscriptions.state, q.state) : undefined,
        q.newsletterId ? eq(subscriptions.newsletterId, q.newsletterId) : undefined,
        q.email ? emailMatches(q.email) : undefined,
        after ? gt(subscriptions.id, after) : undefined,
      ),
    )
    .orderBy(asc(subscriptions.id))
    .limit(q.limit + 1);
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

/** Exact or prefix, case-insensitive, as a range on lower(email) so its index serves it. */
function emailMatches(pattern: string) {
  const email = sql`lower(${subscribers.email})`;
  if (!pattern.endsWith('*')) return sql`${email} = lower(${pattern})`;
  const prefix = pattern.slice(0, -1);
  // U+10FFFF sorts after every character, so [prefix, prefix + U+10FFFF) is "starts with prefix".
  return sql`${email} >= lower(${prefix}) and ${email} < lower(${prefix}) || char(1114111)`;
}
