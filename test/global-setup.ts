import type { TestProject } from 'vitest/node';
import { startPortalReceiver } from '../stack/portal-receiver.mjs';
import { startBackends, startLaneServer } from './lanes';
import { TEST_SECRETS } from './support/settings';
import './support/provided-context';

/**
 * Starts the real parts the worker talks to, on free ports: a libSQL server on a fresh
 * database file (migrated with the drizzle migrations) and the Newsletter2Go emulator
 * (startBackends), a portal receiver for the worker's notices, and the lane server (lanes.ts)
 * for tests that need an account and a database of their own. Their URLs reach the Workers pool
 * by `provide`.
 */
export default async function setup(project: TestProject) {
  const backends = await startBackends();
  const portal = await startPortalReceiver({ secret: TEST_SECRETS.NOTIFY_SIGNING_SECRET });
  const lanes = await startLaneServer();

  project.provide('libsqlUrl', backends.libsql.url);
  project.provide('n2gUrl', backends.emulator.url);
  project.provide('portalUrl', portal.url);
  project.provide('lanesUrl', lanes.url);

  return async () => {
    await lanes.close();
    await portal.close();
    await backends.close();
  };
}
