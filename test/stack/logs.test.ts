/**
 * Logs carry no personal data. Everything `wrangler dev` prints (the runtime's own uncaught-error
 * lines included) and the debug log file it writes are captured while the local stack runs the
 * four portal workflows, an unsubscribe by link, a provider error that quotes an address and a
 * database statement that fails in the queue consumer; then no address, name, unsubscribe
 * token or secret may appear in them.
 *
 * The database sits behind a proxy (the test's own libSQL server) that fails, once, the queue
 * consumer's write-ahead of the reader's creations (the one consumer request that binds the
 * address: its reads take addresses from subqueries), as a database going away for a moment
 * would. The consumer writes in batches, whose errors name no statement; the intake's and the
 * admin's single statements, whose drizzle messages list the bound parameters, are cut by the
 * same `describeError`.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { createClient } from '@libsql/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLibsqlServer } from '../../stack/libsql-server/server.mjs';
import { startStack } from '../../stack/local-stack.mjs';
import { migrateDatabase } from '../../stack/migrate.mjs';
import { stackClient } from '../../stack/stack-client.mjs';

/** Distinctive values, so that any match in the log is unambiguous. */
const DOMAIN = 'logs-probe.example';
const READER = {
  userId: 'logs-reader',
  email: `Quillonia.Brackenthorpe@${DOMAIN}`,
  firstName: 'Quillonia',
  lastName: 'Brackenthorpe',
};
const CHANGED = { email: `ysoldine.marchwarden@${DOMAIN}`, firstName: 'Ysoldine', lastName: 'Marchwarden' };
const REFUSED = {
  userId: 'logs-refused',
  email: `gwendoleth.umberfield@${DOMAIN}`,
  firstName: 'Gwendoleth',
  lastName: 'Umberfield',
};
const secretBytes = (label: string) => Buffer.from(`${label}-logs-probe-7f3a9c51d2`).toString('base64');
const SECRETS = {
  PORTAL_SIGNING_SECRET: `whsec_${secretBytes('portal')}`,
  NOTIFY_SIGNING_SECRET: `whsec_${secretBytes('notify')}`,
  UNSUBSCRIBE_SIGNING_KEY: 'unsubscribe-key-logs-probe-51d2e7',
  ADMIN_API_TOKEN: 'admin-token-logs-probe-c09e44',
  N2G_AUTH_KEY: 'authkey_logsprobe:b81f0c',
  N2G_USERNAME: `api-login@publisher-${DOMAIN}`,
  N2G_PASSWORD: 'password-logs-probe-e44d19',
};

type Stack = Awaited<ReturnType<typeof startStack>>;

/**
 * A Hrana proxy that answers 503 to a request writing lookup addresses that include `failOn`
 * (`times` times), and passes everything else to the libSQL server.
 */
async function faultyDatabase(upstream: string) {
  const fault = { failOn: '', times: 0, fired: 0 };
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    if (fault.times > 0 && writesLookupAddress(body.toString(), fault.failOn)) {
      fault.times--;
      fault.fired++;
      res.writeHead(503, { 'content-type': 'text/plain' }).end('database unavailable (injected by the test)');
      return;
    }
    const answer = await fetch(`${upstream}${req.url}`, {
      method: req.method,
      headers: { 'content-type': req.headers['content-type'] ?? 'application/json' },
      body: req.method === 'GET' || req.method === 'HEAD' ? undefined : body,
    });
    res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' });
    res.end(Buffer.from(await answer.arrayBuffer()));
  });
  // workerd reuses connections; Node's 5 s default would close them under it.
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 125_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { url: `http://127.0.0.1:${port}`, fault, close: () => new Promise((resolve) => server.close(resolve)) };
}

/** A Hrana pipeline with a SELECT whose arguments include `value`. */
function writesLookupAddress(body: string, value: string): boolean {
  // A batch's statements name their SQL by `sql_id`, stored by a `store_sql` request before it.
  type Stmt = { sql?: string; sql_id?: number; args?: { value?: unknown }[] };
  try {
    const { requests = [] } = JSON.parse(body) as {
      requests?: { type?: string; sql_id?: number; sql?: string; stmt?: Stmt; batch?: { steps?: { stmt?: Stmt }[] } }[];
    };
    const stored = new Map(requests.flatMap((r) => (r.type === 'store_sql' ? [[r.sql_id, r.sql ?? '']] : [])));
    const statements = requests.flatMap((r) => [r.stmt, ...(r.batch?.steps ?? []).map((s) => s.stmt)]);
    return statements.some(
      (stmt) =>
        /"lookup_email"/.test(stmt?.sql ?? stored.get(stmt?.sql_id) ?? '') &&
        (stmt?.args ?? []).some((a) => typeof a.value === 'string' && a.value.toLowerCase().includes(value)),
    );
  } catch {
    return false;
  }
}

describe("the worker's log", () => {
  const printed: string[] = [];
  let debugFile = '';
  const tokens: string[] = [];
  const providerTokens: string[] = [];
  let refusedMessage = '';
  let dbFaultsFired = 0;
  let afterFault: string[] = [];
  let stack: Stack | undefined;
  let database: Awaited<ReturnType<typeof faultyDatabase>> | undefined;
  let libsql: Awaited<ReturnType<typeof startLibsqlServer>> | undefined;

  beforeAll(async () => {
    libsql = await startLibsqlServer({ file: ':memory:' });
    await migrateDatabase(libsql.url);
    database = await faultyDatabase(libsql.url);
    stack = await startStack({
      ephemeral: true,
      isolated: true,
      scheduleSeconds: 0,
      log: (source, line) => source === 'worker' && printed.push(line),
      settings: { ...SECRETS, TURSO_DATABASE_URL: database.url, SYNC_BACKOFF_BASE_SECONDS: 1 },
    });
    const { workerUrl, emulatorUrl } = stack;
    const client = stackClient({
      workerUrl,
      emulatorUrl: emulatorUrl ?? '',
      portalSecret: SECRETS.PORTAL_SIGNING_SECRET,
      adminToken: SECRETS.ADMIN_API_TOKEN,
    });
    // Each event a second after the one before: the portal's order is the order sent.
    let clock = Date.now() - 60_000;
    const event = (type: string, data: Record<string, string>) => {
      clock += 1000;
      return client.postEvent({ type, occurredAt: new Date(clock).toISOString(), data });
    };

    await client.newsletter('logs-weekly', 'Weekly digest');
    await client.newsletter('logs-offers', 'Special offers');

    // Subscriptions confirmed, while the consumer's write-ahead binding the address fails once.
    Object.assign(database.fault, { failOn: READER.email.toLowerCase(), times: 1 });
    const { userId, ...profile } = READER;
    await event('subscription.confirmed', { userId, newsletterId: 'logs-weekly', ...profile });
    await event('subscription.confirmed', { userId, newsletterId: 'logs-offers', ...profile });
    const confirmed = await client.settled(userId);
    dbFaultsFired = database.fault.fired;
    afterFault = confirmed.subscriptions.map((s: { transfer: { status: string } }) => s.transfer.status);
    for (const s of confirmed.subscriptions) tokens.push(new URL(s.unsubscribeUrl).pathname.replace(/^\/u\//, ''));

    // A profile change: new address, new name.
    await event('subscriber.updated', { userId, ...CHANGED });
    await client.settled(userId);

    // A reader unsubscribes by link: the page, then the button.
    const weekly = confirmed.subscriptions.find((s: { newsletterId: string }) => s.newsletterId === 'logs-weekly');
    const link = `${workerUrl}${new URL(weekly.unsubscribeUrl).pathname}`;
    expect((await fetch(link)).status).toBe(200);
    const done = await fetch(link, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'scope=one',
    });
    expect(done.status).toBe(200);

    // A cancellation, then the account deleted.
    await event('subscription.cancelled', { userId, newsletterId: 'logs-offers' });
    await client.settled(userId);
    await event('user.deleted', { userId });
    await client.settled(userId);

    // A provider error that quotes the address.
    await fetch(`${emulatorUrl}/_emulator/rules`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        kind: 'status',
        email: REFUSED.email,
        status: 400,
        body: { status: 400, code: 10400, errorMessage: `The recipient ${REFUSED.email} is blocked for this list` },
      }),
    });
    const { userId: refusedId, ...refused } = REFUSED;
    await event('subscription.confirmed', { userId: refusedId, newsletterId: 'logs-weekly', ...refused });
    const failed = await client.settled(refusedId);
    refusedMessage = failed.subscriptions[0]?.transfer.error?.message ?? '';
    tokens.push(new URL(failed.subscriptions[0].unsubscribeUrl).pathname.replace(/^\/u\//, ''));

    expect(await stack.fireScheduled()).toBe(200);
    // The notice of the unsubscribe by link reaches the portal through the queue.
    const deadline = Date.now() + 10_000;
    while (!printed.some((l) => l.includes('"msg":"portal notice attempt"')) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));

    const sessions = createClient({ url: libsql.url });
    const { rows } = await sessions.execute('select access_token, refresh_token from provider_sessions');
    sessions.close();
    for (const row of rows)
      for (const value of Object.values(row)) if (typeof value === 'string') providerTokens.push(value);

    await new Promise((r) => setTimeout(r, 500));
    const logDir = stack.wranglerLogDir;
    if (logDir && existsSync(logDir))
      debugFile = readdirSync(logDir)
        .map((name) => readFileSync(join(logDir, name), 'utf8'))
        .join('\n');
    await stack.stop();
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
    await database?.close();
    await libsql?.close();
  }, 60_000);

  it('captured the run: requests, queue batches, the failure, the unsubscribe and the provider error happened', () => {
    const text = printed.join('\n');
    expect(text).toContain('POST /v1/events 202');
    expect(text).toContain('QUEUE newsletter-bridge-sync');
    expect(text).toContain('"msg":"sync batch"');
    expect(text).toContain('"msg":"unsubscribe by link"');
    expect(text).toContain('"msg":"scheduled run"');
    expect(text).toContain('"msg":"portal notice attempt"');
    expect(text).toMatch(/GET \/u\/\{token\} 200/);
    expect(text).toMatch(/POST \/u\/\{token\} 200/);
    expect(dbFaultsFired).toBe(1);
    // The batch the database failed was delivered again and went through.
    expect(afterFault).toEqual(['synced', 'synced']);
    // A batch's error names the server's answer, not a statement.
    expect(text).toContain('SERVER_ERROR: Server returned HTTP status 503');
    expect(refusedMessage).toContain(REFUSED.email);
    expect(debugFile.length).toBeGreaterThan(0);
    expect(tokens).toHaveLength(3);
    expect(providerTokens.length).toBeGreaterThan(0);
  });

  it('holds no e-mail address, name, unsubscribe token or secret', () => {
    const needles: [string, string][] = [
      ['an address of the test', `@${DOMAIN}`],
      ...[READER, CHANGED, REFUSED].flatMap((p): [string, string][] => [
        ['an address', p.email],
        ['a first name', p.firstName],
        ['a last name', p.lastName],
      ]),
      ...tokens.flatMap((t): [string, string][] => [
        ['an unsubscribe token', t],
        ['an unsubscribe token MAC', t.split('.')[1] ?? t],
      ]),
      ...Object.entries(SECRETS).map(([name, value]): [string, string] => [name, value.replace(/^whsec_/, '')]),
      ...providerTokens.map((t): [string, string] => ['a Newsletter2Go access or refresh token', t]),
    ];
    const found = (source: string, text: string) =>
      needles.flatMap(([what, needle]) =>
        text
          .split('\n')
          .map((line, i) => ({ line, i }))
          .filter(({ line }) => line.toLowerCase().includes(needle.toLowerCase()))
          .map(({ line, i }) => `${what} in ${source}, line ${i + 1}: ${line.slice(0, 300)}`),
      );
    expect([...found("wrangler's output", printed.join('\n')), ...found("wrangler's debug log", debugFile)]).toEqual(
      [],
    );
  });

  it('describes the failed statement without its bound parameters, in its own line and the runtime’s', () => {
    expect(printed.filter((line) => /^\s*params:/.test(line))).toEqual([]);
    const failure = printed.find((line) => line.includes('"msg":"queue batch failed'));
    expect(failure).toBeDefined();
    // wrangler prefixes what the worker writes to console.error with "✘ [ERROR] ".
    expect(JSON.parse(failure?.slice(failure.indexOf('{')) ?? '{}')).toMatchObject({
      level: 'error',
      queue: 'newsletter-bridge-sync',
    });
    // The runtime still reports the re-thrown error, which is what has the queue retry.
    expect(printed.some((line) => /Uncaught .*queue batch failed.*HTTP status 503/.test(line))).toBe(true);
  });
});
