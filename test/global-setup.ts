import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startLibsqlServer } from '../stack/libsql-server/server.mjs';
import { migrateDatabase } from '../stack/migrate.mjs';
import { startEmulator } from '../stack/n2g-emulator/emulator.mjs';
import { startPortalReceiver } from '../stack/portal-receiver.mjs';
import { startLaneServer } from './lanes';
import { N2G_CREDENTIALS, TEST_LISTS, TEST_SECRETS } from './support/settings';
import './support/provided-context';

/**
 * Starts the real parts the worker talks to, on free ports: a libSQL server on a fresh
 * database file (migrated with the drizzle migrations), the Newsletter2Go emulator, a
 * portal receiver for the worker's notices, and the lane server (lanes.ts) for tests that need
 * an account and a database of their own. Their URLs reach the Workers pool by `provide`.
 */
export default async function setup(project: TestProject) {
  const dir = mkdtempSync(join(tmpdir(), 'newsletter-bridge-test-'));
  // A generous writer wait: the fault drill runs intake and several consumers at once on 2 cores.
  const libsql = await startLibsqlServer({ file: join(dir, 'test.db'), busyTimeoutMs: 15_000 });
  await migrateDatabase(libsql.url);
  const emulator = await startEmulator({ ...N2G_CREDENTIALS, lists: TEST_LISTS, attributes: ['unsubscribe_url'] });
  const portal = await startPortalReceiver({ secret: TEST_SECRETS.NOTIFY_SIGNING_SECRET });
  const lanes = await startLaneServer();

  project.provide('libsqlUrl', libsql.url);
  project.provide('n2gUrl', emulator.url);
  project.provide('portalUrl', portal.url);
  project.provide('lanesUrl', lanes.url);

  return async () => {
    await lanes.close();
    await portal.close();
    await emulator.close();
    await libsql.close();
    rmSync(dir, { recursive: true, force: true });
  };
}
