import { createClient } from '@libsql/client/web';
import { drizzle } from 'drizzle-orm/libsql/web';
import type { Config } from '../config';
import * as schema from './schema';

export type Db = ReturnType<typeof createDb>;

/** One client per request/batch: libSQL over HTTP holds no socket worth sharing. */
export function createDb(config: Pick<Config, 'TURSO_DATABASE_URL' | 'TURSO_AUTH_TOKEN'>) {
  const client = createClient({
    url: config.TURSO_DATABASE_URL,
    authToken: config.TURSO_AUTH_TOKEN || undefined,
  });
  return drizzle(client, { schema });
}

/** An interactive transaction's handle (drizzle's `db.transaction(async (tx) => …)`). */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

/**
 * What the statement builders in db/ take: the database or an open transaction. A builder
 * returns drizzle's unawaited query, so a caller awaits it alone or commits several together
 * in one `db.batch([...])`.
 */
export type Executor = Db | Tx;
