import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Client, createClient, LibsqlError } from '@libsql/client';
import { eq } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/libsql';
import { migrate } from 'drizzle-orm/libsql/migrator';
import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type LibsqlServer, type LibsqlServerOptions, startLibsqlServer } from '../../stack/libsql-server/server.mjs';

let dir: string;
let servers: LibsqlServer[];
let clients: Client[];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'libsql-server-test-'));
  servers = [];
  clients = [];
});

afterEach(async () => {
  for (const client of clients) client.close();
  for (const server of servers) await server.close();
  rmSync(dir, { recursive: true, force: true });
});

async function start(options: Partial<LibsqlServerOptions> = {}) {
  const server = await startLibsqlServer({ file: join(dir, 'db', 'test.db'), ...options });
  servers.push(server);
  return server;
}

function connect(server: LibsqlServer, intMode: 'number' | 'bigint' = 'number') {
  const client = createClient({ url: server.url, intMode });
  clients.push(client);
  return client;
}

/** The parts of a Hrana pipeline answer these tests read (the wire format, as sent). */
interface PipelineBody {
  baton: string | null;
  results: {
    type: string;
    response: {
      type: string;
      is_autocommit?: boolean;
      result: { rows: unknown[]; step_results: unknown[]; step_errors: unknown[]; [key: string]: unknown };
    };
  }[];
}

async function pipeline(server: LibsqlServer, body: unknown, path = '/v2/pipeline') {
  const res = await fetch(`${server.url}${path}`, {
    method: 'POST',
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, contentType: res.headers.get('content-type'), body: (await res.json()) as PipelineBody };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function rejection(promise: Promise<unknown>): Promise<LibsqlError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(LibsqlError);
  return error as LibsqlError;
}

const createUsers = 'CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT)';

describe('statements through @libsql/client', () => {
  it('binds positional and named arguments, with or without their prefix', async () => {
    const db = connect(await start());
    await db.execute(createUsers);
    await db.execute({ sql: 'INSERT INTO users (email, name) VALUES (?, ?)', args: ['a@x.test', 'Ann'] });
    await db.execute({
      sql: 'INSERT INTO users (email, name) VALUES (:email, @name)',
      args: { email: 'b@x.test', '@name': 'Bob' },
    });
    await db.execute({ sql: 'INSERT INTO users (email, name) VALUES ($email, ?2)', args: ['c@x.test', 'Cy'] });

    const rs = await db.execute({
      sql: 'SELECT email, name FROM users WHERE id >= :min ORDER BY id',
      args: { ':min': 1 },
    });
    expect(rs.columns).toEqual(['email', 'name']);
    expect(rs.columnTypes).toEqual(['TEXT', 'TEXT']);
    expect(rs.rows.map((r) => [r.email, r.name])).toEqual([
      ['a@x.test', 'Ann'],
      ['b@x.test', 'Bob'],
      ['c@x.test', 'Cy'],
    ]);
  });

  it('reports rowsAffected and lastInsertRowid', async () => {
    const db = connect(await start());
    await db.execute(createUsers);
    const insert = await db.execute({
      sql: 'INSERT INTO users (id, email) VALUES (?, ?), (?, ?)',
      args: [7, 'a@x.test', 8, 'b@x.test'],
    });
    expect(insert.rowsAffected).toBe(2);
    expect(insert.lastInsertRowid).toBe(8n);
    const update = await db.execute("UPDATE users SET name = 'n'");
    expect(update.rowsAffected).toBe(2);
    expect((await db.execute('SELECT * FROM users')).rowsAffected).toBe(0);
  });

  it('round-trips values of every type, integers beyond 2^53 included', async () => {
    const db = connect(await start(), 'bigint');
    await db.execute('CREATE TABLE v (id INTEGER PRIMARY KEY, i INTEGER, f REAL, t TEXT, b BLOB, n TEXT)');
    const big = 2n ** 62n + 3n;
    const insert = await db.execute({
      sql: 'INSERT INTO v VALUES (?, ?, ?, ?, ?, ?)',
      args: [big, -big, 1.5, 'héllo', new Uint8Array([0, 255]), null],
    });
    expect(insert.lastInsertRowid).toBe(big);
    const [row] = (await db.execute('SELECT * FROM v')).rows;
    expect(row?.id).toBe(big);
    expect(row?.i).toBe(-big);
    expect(row?.f).toBe(1.5);
    expect(row?.t).toBe('héllo');
    expect(new Uint8Array(row?.b as ArrayBuffer)).toEqual(new Uint8Array([0, 255]));
    expect(row?.n).toBeNull();
  });

  it('answers a unique violation the way sqld does: SQLITE_CONSTRAINT and the SQLite message', async () => {
    const db = connect(await start());
    await db.execute(createUsers);
    await db.execute({ sql: 'INSERT INTO users (email) VALUES (?)', args: ['a@x.test'] });
    const error = await rejection(db.execute({ sql: 'INSERT INTO users (email) VALUES (?)', args: ['a@x.test'] }));
    expect(error.code).toBe('SQLITE_CONSTRAINT');
    expect(error.message).toBe('SQLITE_CONSTRAINT: SQLite error: UNIQUE constraint failed: users.email');
    // The HTTP client never fills extendedCode, whatever the server sends.
    expect(error.extendedCode).toBeUndefined();
  });

  it('sends extended codes when started with errorCodes "extended"', async () => {
    const db = connect(await start({ errorCodes: 'extended' }));
    await db.execute(createUsers);
    await db.execute("INSERT INTO users (id, email) VALUES (1, 'a@x.test')");
    expect((await rejection(db.execute("INSERT INTO users (id, email) VALUES (2, 'a@x.test')"))).code).toBe(
      'SQLITE_CONSTRAINT_UNIQUE',
    );
    expect((await rejection(db.execute("INSERT INTO users (id, email) VALUES (1, 'b@x.test')"))).code).toBe(
      'SQLITE_CONSTRAINT_PRIMARYKEY',
    );
  });

  it('reports errors found while preparing as SQL_INPUT_ERROR, as sqld does', async () => {
    const db = connect(await start());
    const error = await rejection(db.execute('SELECT * FROM missing'));
    expect(error.code).toBe('SQL_INPUT_ERROR');
    expect(error.message).toContain('no such table: missing');
  });

  it('refuses several statements, no statement and mismatched arguments without harm', async () => {
    const server = await start();
    const db = connect(server);
    expect((await rejection(db.execute('SELECT 1; SELECT 2'))).code).toBe('SQL_MANY_STATEMENTS');
    expect((await rejection(db.execute('-- nothing'))).code).toBe('SQL_NO_STATEMENT');
    expect((await rejection(db.execute({ sql: 'SELECT ?, ?', args: [1] }))).code).toBe('ARGS_INVALID');
    expect((await rejection(db.execute({ sql: 'SELECT :a', args: { b: 1 } }))).code).toBe('ARGS_INVALID');
    // Binding a nameless ? by name aborts the process inside the libsql binding; the server refuses it first.
    expect((await rejection(db.execute({ sql: 'SELECT ?', args: { a: 1 } }))).code).toBe('ARGS_INVALID');
    expect((await db.execute("SELECT 'a;b' AS s; -- trailing comment")).rows[0]?.s).toBe('a;b');
  });
});

describe('batches, migrations and scripts', () => {
  it('rolls a write batch back entirely when one statement fails', async () => {
    const db = connect(await start());
    await db.execute(createUsers);
    const error = await rejection(
      db.batch(
        [
          { sql: 'INSERT INTO users (email) VALUES (?)', args: ['a@x.test'] },
          { sql: 'INSERT INTO users (email) VALUES (?)', args: ['a@x.test'] },
        ],
        'write',
      ),
    );
    expect(error.code).toBe('SQLITE_CONSTRAINT');
    expect((await db.execute('SELECT count(*) AS n FROM users')).rows[0]?.n).toBe(0);

    const results = await db.batch(
      [{ sql: 'INSERT INTO users (email) VALUES (?)', args: ['a@x.test'] }, 'SELECT count(*) AS n FROM users'],
      'write',
    );
    expect(results[1]?.rows[0]?.n).toBe(1);
  });

  it('applies migrate() statements in one transaction', async () => {
    const db = connect(await start());
    await db.migrate([createUsers, "INSERT INTO users (email) VALUES ('a@x.test')"]);
    expect((await db.execute('SELECT email FROM users')).rows[0]?.email).toBe('a@x.test');
    await expect(db.migrate(['CREATE TABLE t (a)', 'CREATE TABLE users (b)'])).rejects.toThrow(/already exists/);
    expect((await db.execute("SELECT count(*) AS n FROM sqlite_master WHERE name = 't'")).rows[0]?.n).toBe(0);
  });

  it('runs executeMultiple scripts, trigger bodies with semicolons included', async () => {
    const db = connect(await start());
    await db.executeMultiple(`
      ${createUsers};
      CREATE TABLE audit (email TEXT, kind TEXT);
      CREATE TRIGGER users_audit AFTER INSERT ON users BEGIN
        INSERT INTO audit VALUES (new.email, CASE WHEN new.name IS NULL THEN 'anonymous' ELSE 'named' END);
      END;
      INSERT INTO users (email) VALUES ('a@x.test');
    `);
    expect((await db.execute('SELECT email, kind FROM audit')).rows.map((r) => [r.email, r.kind])).toEqual([
      ['a@x.test', 'anonymous'],
    ]);
  });
});

describe('transactions and the single-writer lock', () => {
  it('commits and rolls back interactive write transactions', async () => {
    const db = connect(await start());
    await db.execute(createUsers);
    const committed = await db.transaction('write');
    await committed.execute("INSERT INTO users (email) VALUES ('a@x.test')");
    await committed.commit();
    const rolledBack = await db.transaction('write');
    await rolledBack.execute("INSERT INTO users (email) VALUES ('b@x.test')");
    await rolledBack.rollback();
    expect((await db.execute('SELECT email FROM users')).rows.map((r) => r.email)).toEqual(['a@x.test']);
  });

  it("hides a transaction's rows from other clients until it commits, without blocking their reads", async () => {
    const server = await start();
    const writer = connect(server);
    const reader = connect(server);
    await writer.execute(createUsers);
    const tx = await writer.transaction('write');
    await tx.execute("INSERT INTO users (email) VALUES ('a@x.test')");
    expect((await tx.execute('SELECT count(*) AS n FROM users')).rows[0]?.n).toBe(1);
    expect((await reader.execute('SELECT count(*) AS n FROM users')).rows[0]?.n).toBe(0);
    await tx.commit();
    expect((await reader.execute('SELECT count(*) AS n FROM users')).rows[0]?.n).toBe(1);
  });

  it('queues 40 concurrent read-modify-write transactions so that all of them commit', async () => {
    const server = await start();
    const pool = Array.from({ length: 4 }, () => connect(server));
    const [first = connect(server)] = pool;
    await first.execute('CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)');
    await first.execute('INSERT INTO counter VALUES (1, 0)');
    const increment = async (db: Client) => {
      const tx = await db.transaction('write');
      try {
        const n = Number((await tx.execute('SELECT n FROM counter WHERE id = 1')).rows[0]?.n);
        await tx.execute({ sql: 'UPDATE counter SET n = ? WHERE id = 1', args: [n + 1] });
        await tx.commit();
      } finally {
        tx.close();
      }
    };
    const outcomes = await Promise.allSettled(
      Array.from({ length: 40 }, (_, i) => increment(pool[i % pool.length] ?? first)),
    );
    expect(outcomes.filter((o) => o.status === 'rejected')).toEqual([]);
    expect((await first.execute('SELECT n FROM counter')).rows[0]?.n).toBe(40);
  });

  it('answers SQLITE_BUSY after busyTimeoutMs and leaves the waiting stream usable', async () => {
    const server = await start({ busyTimeoutMs: 300 });
    const a = connect(server);
    const b = connect(server);
    await a.execute(createUsers);
    const holder = await a.transaction('write');
    await holder.execute("INSERT INTO users (email) VALUES ('a@x.test')");

    const waiter = await b.transaction('deferred');
    await waiter.execute('SELECT 1');
    const startedAt = Date.now();
    expect((await rejection(waiter.execute("INSERT INTO users (email) VALUES ('b@x.test')"))).code).toBe('SQLITE_BUSY');
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(250);

    await holder.commit();
    await waiter.execute("INSERT INTO users (email) VALUES ('b@x.test')");
    await waiter.commit();
    expect((await b.execute('SELECT count(*) AS n FROM users')).rows[0]?.n).toBe(2);
  });

  it('recovers when a deferred transaction cannot upgrade to a writer on its stale snapshot', async () => {
    const logs: string[] = [];
    const server = await start({ log: (message) => logs.push(message) });
    const a = connect(server);
    const b = connect(server);
    await a.execute('CREATE TABLE counter (n INTEGER)');
    await a.execute('INSERT INTO counter VALUES (0)');
    const tx = await a.transaction('deferred');
    await tx.execute('SELECT n FROM counter');
    await b.execute('UPDATE counter SET n = n + 1');
    expect((await rejection(tx.execute('UPDATE counter SET n = n + 10'))).code).toBe('SQLITE_BUSY');
    await tx.rollback();

    const retry = await a.transaction('write');
    await retry.execute('UPDATE counter SET n = n + 100');
    await retry.commit();
    expect((await b.execute('SELECT n FROM counter')).rows[0]?.n).toBe(101);
    // SQLite itself refused the upgrade (SQLITE_BUSY_SNAPSHOT), so the stream's connection was replaced.
    expect(logs.some((line) => line.includes('connection replaced'))).toBe(true);
  });

  it('expires an idle stream, rolling back its transaction and freeing the lock', async () => {
    const server = await start({ idleStreamMs: 150, busyTimeoutMs: 1_000 });
    const db = connect(server);
    await db.execute(createUsers);
    const tx = await db.transaction('write');
    await tx.execute("INSERT INTO users (email) VALUES ('a@x.test')");
    await sleep(500);
    expect((await rejection(tx.execute('SELECT 1'))).code).toBe('STREAM_EXPIRED');
    tx.close();
    await db.execute("INSERT INTO users (email) VALUES ('b@x.test')");
    expect((await db.execute('SELECT email FROM users')).rows.map((r) => r.email)).toEqual(['b@x.test']);
  });
});

describe('drizzle and persistence', () => {
  const users = sqliteTable('users', {
    id: integer('id').primaryKey(),
    email: text('email').notNull().unique(),
    name: text('name'),
  });

  function writeMigrations() {
    const folder = join(dir, 'drizzle');
    mkdirSync(join(folder, 'meta'), { recursive: true });
    const entries = [{ idx: 0, version: '6', when: 1_700_000_000_000, tag: '0000_users', breakpoints: true }];
    writeFileSync(join(folder, 'meta', '_journal.json'), JSON.stringify({ version: '7', dialect: 'sqlite', entries }));
    writeFileSync(
      join(folder, '0000_users.sql'),
      [
        'CREATE TABLE `users` (`id` integer PRIMARY KEY NOT NULL, `email` text NOT NULL, `name` text);',
        'CREATE UNIQUE INDEX `users_email_unique` ON `users` (`email`);',
      ].join('\n--> statement-breakpoint\n'),
    );
    return folder;
  }

  it('migrates with the drizzle migrator, then inserts and selects through drizzle', async () => {
    const db = drizzle(connect(await start()));
    const migrationsFolder = writeMigrations();
    await migrate(db, { migrationsFolder });
    await migrate(db, { migrationsFolder });

    const [inserted] = await db.insert(users).values({ email: 'a@x.test', name: 'Ann' }).returning();
    expect(inserted).toEqual({ id: 1, email: 'a@x.test', name: 'Ann' });
    expect(await db.select().from(users).where(eq(users.email, 'a@x.test'))).toEqual([inserted]);

    const error = await db
      .insert(users)
      .values({ email: 'a@x.test' })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect((error as { cause?: { code?: string } }).cause?.code).toBe('SQLITE_CONSTRAINT');
  });

  it('keeps the data when a server restarts on the same file', async () => {
    const first = await start();
    await connect(first).batch([createUsers, "INSERT INTO users (email) VALUES ('a@x.test')"], 'write');
    await first.close();
    const again = await start();
    expect((await connect(again).execute('SELECT email FROM users')).rows[0]?.email).toBe('a@x.test');
  });

  it('serves a throw-away database for file ":memory:" to every stream', async () => {
    const server = await start({ file: ':memory:' });
    await connect(server).execute(createUsers);
    expect((await connect(server).execute('SELECT count(*) AS n FROM users')).rows[0]?.n).toBe(0);
  });
});

describe('the Hrana protocol on the wire', () => {
  it('answers the health check and version probes, and 404 for protobuf so the client picks JSON', async () => {
    const server = await start();
    for (const path of ['/', '/health', '/v2', '/v3']) expect((await fetch(`${server.url}${path}`)).status).toBe(200);
    expect((await fetch(`${server.url}/v3-protobuf`)).status).toBe(404);
  });

  it('refuses malformed bodies, unknown requests and unknown batons with HTTP 400 and a JSON error', async () => {
    const server = await start();
    const malformed = await pipeline(server, '{not json');
    expect(malformed).toMatchObject({ status: 400, contentType: 'application/json', body: { code: 'PROTOCOL_ERROR' } });
    expect(await pipeline(server, { baton: null, requests: [{ type: 'frobnicate' }] })).toMatchObject({ status: 400 });
    expect(
      await pipeline(server, { baton: null, requests: [{ type: 'execute', stmt: { sql: 'SELECT ?', args: [{}] } }] }),
    ).toMatchObject({ status: 400 });
    expect(await pipeline(server, { baton: 'made-up', requests: [] })).toMatchObject({
      status: 400,
      body: { code: 'BATON_INVALID' },
    });
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  });

  it('keeps a stream open across requests by baton and accepts each baton only once', async () => {
    const server = await start();
    const first = await pipeline(server, {
      baton: null,
      requests: [
        { type: 'execute', stmt: { sql: 'BEGIN' } },
        { type: 'get_autocommit' },
        { type: 'store_sql', sql_id: 1, sql: 'SELECT ? AS v' },
      ],
    });
    expect(first.body.results[1]).toEqual({ type: 'ok', response: { type: 'get_autocommit', is_autocommit: false } });
    const { baton } = first.body;
    const second = await pipeline(server, {
      baton,
      requests: [
        { type: 'execute', stmt: { sql_id: 1, args: [{ type: 'integer', value: '9007199254740993' }] } },
        { type: 'execute', stmt: { sql: 'ROLLBACK' } },
        { type: 'get_autocommit' },
        { type: 'close_sql', sql_id: 1 },
        { type: 'execute', stmt: { sql_id: 1 } },
        { type: 'close' },
      ],
    });
    const [stored, , autocommit, , closedSql] = second.body.results;
    expect(stored?.response.result.rows).toEqual([[{ type: 'integer', value: '9007199254740993' }]]);
    expect(autocommit?.response.is_autocommit).toBe(true);
    expect(closedSql).toMatchObject({ type: 'error', error: { code: 'SQL_NOT_FOUND' } });
    expect(second.body.baton).toBeNull();
    expect(await pipeline(server, { baton, requests: [] })).toMatchObject({
      status: 400,
      body: { code: 'BATON_INVALID' },
    });
  });

  it('leaves a stream able to commit after EXPLAIN of a write', async () => {
    const server = await start();
    const { body } = await pipeline(server, {
      baton: null,
      requests: [
        { type: 'execute', stmt: { sql: 'CREATE TABLE t (a)' } },
        { type: 'execute', stmt: { sql: 'EXPLAIN INSERT INTO t VALUES (1)' } },
        { type: 'execute', stmt: { sql: 'INSERT INTO t VALUES (2)' } },
        { type: 'close' },
      ],
    });
    expect(body.results.map((r: { type: string }) => r.type)).toEqual(['ok', 'ok', 'ok', 'ok']);
    expect(body.results[1]?.response.result.rows.length).toBeGreaterThan(0);
    expect((await connect(server).execute('SELECT a FROM t')).rows.map((r) => r.a)).toEqual([2]);
  });

  it('evaluates batch conditions on earlier steps', async () => {
    const server = await start();
    const step = (sql: string, condition?: unknown) => ({ condition, stmt: { sql, want_rows: true } });
    const { body } = await pipeline(server, {
      baton: null,
      requests: [
        {
          type: 'batch',
          batch: {
            steps: [
              step('SELECT 0'),
              step('SELECT * FROM missing'),
              step('SELECT 2', { type: 'error', step: 1 }),
              step('SELECT 3', { type: 'ok', step: 1 }),
              step('SELECT 4', {
                type: 'and',
                conds: [
                  { type: 'ok', step: 0 },
                  { type: 'not', cond: { type: 'ok', step: 1 } },
                ],
              }),
              step('SELECT 5', { type: 'or', conds: [{ type: 'ok', step: 1 }, { type: 'is_autocommit' }] }),
            ],
          },
        },
        { type: 'close' },
      ],
    });
    const { step_results: results = [], step_errors: errors = [] } = body.results[0]?.response.result ?? {};
    expect(results.map((r: unknown) => r !== null)).toEqual([true, false, true, false, true, true]);
    expect(errors.map((e: unknown) => e !== null)).toEqual([false, true, false, false, false, false]);
  });

  it('describes statements and streams cursor entries on /v3/cursor', async () => {
    const server = await start();
    const { body } = await pipeline(server, {
      baton: null,
      requests: [
        { type: 'describe', sql: 'SELECT :a AS a, ?3 AS c' },
        { type: 'execute', stmt: { sql: createUsers } },
        { type: 'describe', sql: 'DELETE FROM users WHERE id = ?' },
        { type: 'close' },
      ],
    });
    expect(body.results[0]?.response.result).toMatchObject({
      params: [{ name: ':a' }, { name: null }, { name: '?3' }],
      cols: [{ name: 'a' }, { name: 'c' }],
      is_explain: false,
      is_readonly: true,
    });
    expect(body.results[2]?.response.result).toMatchObject({ params: [{ name: null }], is_readonly: false });

    const res = await fetch(`${server.url}/v3/cursor`, {
      method: 'POST',
      body: JSON.stringify({ baton: null, batch: { steps: [{ stmt: { sql: 'SELECT 1 AS one' } }] } }),
    });
    const lines = (await res.text())
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines.map((l) => l.type ?? 'head')).toEqual(['head', 'step_begin', 'row', 'step_end']);
    expect(lines[2].row).toEqual([{ type: 'integer', value: '1' }]);
  });
});
