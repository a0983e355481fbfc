import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulator as startBrevoEmulator } from '../stack/brevo-emulator/emulator.mjs';
import { type LibsqlServer, startLibsqlServer } from '../stack/libsql-server/server.mjs';
import { migrateDatabase } from '../stack/migrate.mjs';
import { startEmulator } from '../stack/n2g-emulator/emulator.mjs';
import { startPortalReceiver } from '../stack/portal-receiver.mjs';
import { ALERT_TEST_SECRET, BREVO_TEST_KEY, N2G_CREDENTIALS, TEST_LISTS } from './support/settings';

/**
 * Lanes: a private Newsletter2Go account (its own emulator) and a private libSQL database (its own
 * server and file, migrated) for one test or one file. Worker tests run files in parallel over one
 * shared emulator and database; a test that changes what is account-wide (a token reading, expired
 * tokens, a refused login, the call log it counts, random faults) or needs other worker settings
 * opens a lane instead, so nothing it does reaches another file. Served to workerd over HTTP,
 * because tests there cannot start Node servers: `POST /lanes` (`{emulator}`: its readings) opens
 * one, `DELETE /lanes/{id}` closes it, and whatever is left open closes with the test run.
 * `{brevo}` (the Brevo emulator's options) gives the lane a Brevo account too.
 */

export interface Backends {
  emulator: Awaited<ReturnType<typeof startEmulator>>;
  libsql: LibsqlServer;
  /** The folder holding the database file, removed by `close`. */
  dir: string;
  close(): Promise<void>;
}

/**
 * What a worker under test talks to besides the portal: a libSQL server on a fresh database file,
 * migrated with the drizzle migrations, and the Newsletter2Go emulator with the test account's
 * lists (`emulatorOptions` for its readings). The global setup starts one per project; each lane
 * has its own.
 */
export async function startBackends(emulatorOptions: Record<string, unknown> = {}): Promise<Backends> {
  const dir = mkdtempSync(join(tmpdir(), 'newsletter-bridge-test-'));
  // A generous writer wait: the fault drill runs intake and several consumers at once on 2 cores.
  const libsql = await startLibsqlServer({ file: join(dir, 'test.db'), busyTimeoutMs: 15_000 });
  await migrateDatabase(libsql.url);
  const emulator = await startEmulator({
    ...N2G_CREDENTIALS,
    lists: [...TEST_LISTS],
    attributes: ['unsubscribe_url'],
    ...emulatorOptions,
  });
  return {
    emulator,
    libsql,
    dir,
    async close() {
      await emulator.close();
      await libsql.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface LaneServer {
  url: string;
  close(): Promise<void>;
}

export async function startLaneServer(): Promise<LaneServer> {
  const lanes = new Map<string, Backends>();
  let next = 0;

  const brevos = new Map<string, Awaited<ReturnType<typeof startBrevoEmulator>>>();
  const alertReceivers = new Map<string, Awaited<ReturnType<typeof startPortalReceiver>>>();

  async function open(body: { emulator?: Record<string, unknown>; brevo?: Record<string, unknown>; alerts?: boolean }) {
    const backends = await startBackends(body.emulator ?? {});
    const id = String(++next);
    lanes.set(id, backends);
    const brevo = body.brevo
      ? // No rate limit unless the test sets one: the worker under test paces at 1,000/s.
        await startBrevoEmulator({
          apiKey: BREVO_TEST_KEY,
          lists: [],
          rateLimits: { perSecond: null, perHour: null },
          ...body.brevo,
        })
      : null;
    if (brevo) brevos.set(id, brevo);
    // An endpoint for the lane's alerts, checking their signature with the alert secret.
    const alerts = body.alerts ? await startPortalReceiver({ secret: ALERT_TEST_SECRET }) : null;
    if (alerts) alertReceivers.set(id, alerts);
    return {
      id,
      n2gUrl: backends.emulator.url,
      libsqlUrl: backends.libsql.url,
      brevoUrl: brevo?.url ?? null,
      alertsUrl: alerts?.url ?? null,
    };
  }

  async function close(id: string) {
    const lane = lanes.get(id);
    if (!lane) return false;
    lanes.delete(id);
    await brevos.get(id)?.close();
    brevos.delete(id);
    await alertReceivers.get(id)?.close();
    alertReceivers.delete(id);
    await lane.close();
    return true;
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const reply = (status: number, value: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(value));
    };
    const closing = /^\/lanes\/([^/]+)$/.exec(req.url ?? '')?.[1];
    if (req.method === 'POST' && req.url === '/lanes') return reply(201, await open(text ? JSON.parse(text) : {}));
    if (req.method === 'DELETE' && closing) return reply(200, { closed: await close(closing) });
    return reply(404, { error: 'no such route' });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: String(error) }));
    });
  });
  // workerd reuses connections; Node's 5 s default would drop them under its feet.
  server.keepAliveTimeout = 120_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      await Promise.all([...lanes.keys()].map(close));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
