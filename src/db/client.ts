import { createClient } from '@libsql/client/web';
import { drizzle } from 'drizzle-orm/libsql/web';
import type { Config } from '../config';
import * as schema from './schema';

export type Db = ReturnType<typeof createDb>;

/**
 * One client per request/batch: libSQL over HTTP holds no socket worth sharing. Each HTTP
 * request the client sends is one network round trip to the database (in production, to
 * Turso's primary in another region), so the client counts them: `roundTrips()` is what the
 * request or batch cost, for its log line and for the tests that hold it to a budget.
 */
export function createDb(config: Pick<Config, 'TURSO_DATABASE_URL' | 'TURSO_AUTH_TOKEN'>) {
  let requests = 0;
  const client = createClient({
    url: config.TURSO_DATABASE_URL,
    authToken: config.TURSO_AUTH_TOKEN || undefined,
    fetch: (input: Request | string | URL, init?: RequestInit) => {
      requests++;
      return fetch(input, init);
    },
  });
  return Object.assign(drizzle(client, { schema }), { roundTrips: () => requests });
}

/** An interactive transaction's handle (drizzle's `db.transaction(async (tx) => …)`). */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

/**
 * What the statement builders in db/ take: the database or an open transaction. A builder
 * returns drizzle's unawaited query, so a caller awaits it alone or commits several together
 * in one `db.batch([...])`.
 */
export type Executor = Db | Tx;
