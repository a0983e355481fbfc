// Applies the drizzle-kit migrations in ./drizzle to a libSQL database over HTTP.
// Used by the local stack, the test setup and (with TURSO_* set) a real deployment.

import { fileURLToPath } from 'node:url';
import { createClient } from '@libsql/client';
import { drizzle } from 'drizzle-orm/libsql';
import { migrate } from 'drizzle-orm/libsql/migrator';

export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../drizzle', import.meta.url));

/** @param {string} url @param {string | undefined} [authToken] */
export async function migrateDatabase(url, authToken) {
  const client = createClient({ url, authToken });
  try {
    await migrate(drizzle(client), { migrationsFolder: MIGRATIONS_FOLDER });
  } finally {
    client.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const url = process.env.TURSO_DATABASE_URL;
  if (!url) {
    console.error('TURSO_DATABASE_URL is not set');
    process.exit(2);
  }
  await migrateDatabase(url, process.env.TURSO_AUTH_TOKEN || undefined);
  console.log(`migrations applied to ${new URL(url).host}`);
}
