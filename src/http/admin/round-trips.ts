import { createMiddleware } from 'hono/factory';
import { routePath } from 'hono/route';
import type { Db } from '../../db/client';
import { log } from '../../lib/log';
import type { AppEnv } from '../context';

/**
 * Each libSQL request is a network round trip in production, so every admin write logs what
 * it cost at the database (the budget: one read, one atomic batch). A provider call reads its
 * login from the database too (the token store): that share is counted apart, since it is the
 * provider's, not the write's.
 */

const providerShare = new WeakMap<Db, number>();

/** Runs a provider call and books the database round trips it made as the provider's. */
export async function providerCall<T>(db: Db, work: () => Promise<T>): Promise<T> {
  const before = db.roundTrips();
  try {
    return await work();
  } finally {
    providerShare.set(db, (providerShare.get(db) ?? 0) + db.roundTrips() - before);
  }
}

export const logWrites = createMiddleware<AppEnv>(async (c, next) => {
  await next();
  if (c.req.method === 'GET' || c.req.method === 'HEAD') return;
  const { db } = c.var;
  const provider = providerShare.get(db) ?? 0;
  log.info('admin write', {
    method: c.req.method,
    route: routePath(c, -1),
    status: c.res.status,
    dbRoundTrips: db.roundTrips() - provider,
    providerDbRoundTrips: provider,
  });
});
