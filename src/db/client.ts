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
