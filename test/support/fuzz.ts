import { env } from 'cloudflare:test';
import { createClient } from '@libsql/client/web';
import { getTableName, is } from 'drizzle-orm';
import { SQLiteTable } from 'drizzle-orm/sqlite-core';
import fc from 'fast-check';
import { expect } from 'vitest';
import * as schema from '../../src/db/schema';
import { extraSetting } from './env';
import { N2G_CREDENTIALS, TEST_SECRETS } from './settings';

/**
 * Shared parts of the fuzz files (test/worker/fuzz.*.security.test.ts): run settings, status
 * tallies, the row counts a rejected request must leave alone, answer checks and arbitraries
 * for the inputs parsers trip over.
 */

/**
 * `npm test` runs FUZZ_RUNS cases per property with the fixed FUZZ_SEED; the slow project runs
 * more. fast-check prints the seed and path of a failure; FUZZ_SEED / FUZZ_RUNS replay or explore.
 */
export function fuzzParameters(share = 1) {
  const runs = Number(extraSetting(env, 'FUZZ_RUNS') ?? 100);
  const seed = Number(extraSetting(env, 'FUZZ_SEED') ?? 20261130);
  return { numRuns: Math.max(1, Math.round(runs * share)), seed };
}

/** A test's time budget for `runs` cases of about `msPerCase` each, on a busy machine. */
export const fuzzTimeout = (runs: number, msPerCase: number) => 30_000 + runs * msPerCase;

/** How often each answer (status, or any label) was seen during a run. */
export class Tally {
  readonly seen = new Map<string, number>();

  note(key: string | number): void {
    const k = String(key);
    this.seen.set(k, (this.seen.get(k) ?? 0) + 1);
  }

  /** Every key was seen at least once: the run reached each class of answer it is meant to. */
  expectReached(keys: readonly (string | number)[], label: string): void {
    const missing = keys.map(String).filter((k) => !this.seen.has(k));
    expect(missing, `${label} never answered ${missing.join(', ')} (seen: ${this})`).toEqual([]);
  }

  toString(): string {
    return [...this.seen]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, n]) => `${k}×${n}`)
      .join(' ');
  }
}

export type RowCounts = Record<string, number>;

/**
 * Counts the rows of every table of a database in one query. The tables are read from the
 * database itself, so one added later is counted too; every table schema.ts declares must be there.
 */
export async function rowCounter(databaseUrl: string) {
  const client = createClient({ url: databaseUrl });
  const listed = await client.execute(
    "select name from sqlite_master where type = 'table' and name not like 'sqlite%' order by name",
  );
  const tables = listed.rows.map((r) => String(r.name));
  const declared = (Object.values(schema) as unknown[]).flatMap((t) => (is(t, SQLiteTable) ? [getTableName(t)] : []));
  const absent = declared.filter((t) => !tables.includes(t));
  if (absent.length) throw new Error(`tables of schema.ts missing from the database: ${absent.join(', ')}`);
  const query = `select ${tables.map((t) => `(select count(*) from "${t}") as "${t}"`).join(', ')}`;
  return {
    tables,
    async count(): Promise<RowCounts> {
      const { rows } = await client.execute(query);
      return Object.fromEntries(tables.map((t) => [t, Number(rows[0]?.[t])]));
    },
  };
}

/**
 * What each judged request changed: rows per table and messages sent to the queue. The state
 * after one request is the state before the next, so a run costs one count per request; a
 * setup step that writes calls `touched()`. Needs a database no one else writes to (a lane).
 */
export function changeLedger(counter: { count(): Promise<RowCounts> }, queued: () => number) {
  type State = { rows: RowCounts; queued: number };
  let last: State | null = null;
  const read = async (): Promise<State> => ({ rows: await counter.count(), queued: queued() });
  return {
    touched(): void {
      last = null;
    },
    /** Call before the request; `changes()` after it answers. */
    async settle(): Promise<void> {
      last ??= await read();
    },
    /** What changed since `settle()`: `{ table: delta, …, queue: delta }`, only what differs. */
    async changes(): Promise<Record<string, number>> {
      const before = last ?? (await read());
      const after = await read();
      last = after;
      const delta: Record<string, number> = {};
      for (const [table, n] of Object.entries(after.rows))
        if (n !== before.rows[table]) delta[table] = n - (before.rows[table] ?? 0);
      if (after.queued !== before.queued) delta.queue = after.queued - before.queued;
      return delta;
    },
  };
}

export interface Answer {
  status: number;
  contentType: string;
  text: string;
  headers: Headers;
}

export async function readAnswer(res: Response): Promise<Answer> {
  return {
    status: res.status,
    contentType: res.headers.get('content-type') ?? '',
    text: await res.text(),
    headers: res.headers,
  };
}

/**
 * The value with every unpaired surrogate written out as `\\uXXXX` text: a failure message
 * carrying one raw would break the test runner's connection (it sends UTF-8).
 */
export function printable<T>(value: T): T {
  if (typeof value === 'string') return value.replace(/\p{Cs}/gu, (c) => `\\u${c.charCodeAt(0).toString(16)}`) as T;
  if (Array.isArray(value)) return value.map(printable) as T;
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [printable(k), printable(v)])) as T;
  return value;
}

const is2xxOr4xx = (status: number) => (status >= 200 && status < 300) || (status >= 400 && status < 500);

/**
 * An API answer: 2xx JSON or a 4xx RFC 9457 problem, never a 5xx, and nothing internal in it.
 * Returns the parsed body, `printable`.
 */
export function expectApiAnswer(answer: Answer, what: string): unknown {
  const context = printable(`${what} → ${answer.status} ${answer.text.slice(0, 300)}`);
  expect(is2xxOr4xx(answer.status), context).toBe(true);
  expectNoLeak(answer.text, context);
  const json: unknown = printable(JSON.parse(answer.text));
  if (answer.status >= 400) {
    expect(answer.contentType, context).toBe('application/problem+json');
    expect(json, context).toMatchObject({
      type: expect.stringMatching(/^\/docs#problem-[a-z-]+$/),
      title: expect.any(String),
      status: answer.status,
      detail: expect.any(String),
    });
    const errors = (json as { errors?: unknown }).errors;
    if (errors !== undefined)
      for (const e of errors as unknown[])
        expect(e, context).toMatchObject({ path: expect.stringMatching(/^\//), message: expect.any(String) });
  } else {
    expect(answer.contentType, context).toMatch(/^application\/json/);
  }
  return json;
}

/** A reader page: HTML with the reader headers, 2xx or 4xx, never a 5xx. */
export function expectReaderPage(answer: Answer, what: string): void {
  const context = `${what} → ${answer.status} ${answer.text.slice(0, 200)}`;
  expect(is2xxOr4xx(answer.status), context).toBe(true);
  expect(answer.contentType, context).toBe('text/html; charset=UTF-8');
  expect(answer.headers.get('cache-control'), context).toBe('no-store');
  expect(answer.headers.get('referrer-policy'), context).toBe('no-referrer');
  expect(answer.headers.get('set-cookie'), context).toBeNull();
  expectNoLeak(answer.text, context);
}

const SECRETS = [
  ...Object.values(TEST_SECRETS).flatMap((s) => [s, s.replace(/^whsec_/, '')]),
  ...Object.values(N2G_CREDENTIALS),
];
const INTERNALS = [/SQLITE_/, /Failed query/i, /Libsql/i, /RangeError|TypeError|ReferenceError/, /\bat \S+ \(/];

export function expectNoLeak(text: string, context: string): void {
  for (const secret of SECRETS) expect(text.includes(secret), `${context}: a secret in the answer`).toBe(false);
  for (const pattern of INTERNALS)
    expect(pattern.test(text), `${context}: internals (${pattern}) in the answer`).toBe(false);
}

// ---- Arbitraries ----------------------------------------------------------------------------

/** Characters parsers, routers, databases and HTML escaping trip over, all well-formed Unicode. */
const AWKWARD = [
  '\u0000',
  '\t',
  '\n',
  '\r',
  ' ',
  '"',
  "'",
  '\\',
  '/',
  '%',
  '.',
  ',',
  ';',
  '&',
  '=',
  '?',
  '#',
  '+',
  '*',
  ':',
  '<',
  '>',
  '{',
  '}',
  '[',
  ']',
  '`',
  'é',
  'ß',
  'Ω',
  '\u00a0',
  '\u200b',
  '\u202e',
  '\u2028',
  '\ufeff',
  '\uffff',
  '😀',
  '𝔘',
  '%00',
  '%zz',
  '..',
  '<script>',
  "' or 1=1 --",
];

const unit = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...'abcxyzABXZ0189-_') },
  { weight: 2, arbitrary: fc.constantFrom(...AWKWARD) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
);

/** Text of `minLength`–`maxLength` UTF-16 code units, weighted to awkward characters. */
export function awkwardText(minLength: number, maxLength: number): fc.Arbitrary<string> {
  return (
    fc
      .array(unit, { minLength: Math.max(1, minLength), maxLength: Math.max(1, Math.ceil(maxLength / 2)) })
      .map((parts) => parts.join(''))
      .map((s) => (s.length > maxLength ? s.slice(0, maxLength) : s))
      // Cutting may split a surrogate pair: drop a lone half, and pad back to the minimum.
      .map((s) => s.replace(/\p{Cs}/gu, 'x').padEnd(minLength, 'y'))
  );
}

/** Unpaired UTF-16 surrogates: valid in JSON (`"\ud800"`), not storable as UTF-8 text. */
export const loneSurrogate = fc.constantFrom('\ud800', '\udbff', '\udc00', '\udfff');

/** Printable ASCII with inner spaces: what an HTTP header value can carry unchanged. */
export function headerSafeText(minLength: number, maxLength: number): fc.Arbitrary<string> {
  return fc
    .string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), minLength, maxLength })
    .map((s) => s.replace(/^ +| +$/g, '').padEnd(minLength, 'x'));
}

/** `depth` nested arrays or objects around `inner`, as JSON text. */
export function nestedJson(depth: number, shape: 'array' | 'object', inner = '0'): string {
  return shape === 'array'
    ? `${'['.repeat(depth)}${inner}${']'.repeat(depth)}`
    : `${'{"a":'.repeat(depth)}${inner}${'}'.repeat(depth)}`;
}

/** Ways to write the same JSON value: key order, spacing, `\u` escapes. */
export interface Serialization {
  reverseKeys: boolean;
  indent: number;
  escapeNonAscii: boolean;
}

export const serialization: fc.Arbitrary<Serialization> = fc.record({
  reverseKeys: fc.boolean(),
  indent: fc.constantFrom(0, 0, 1, 2, 4),
  escapeNonAscii: fc.boolean(),
});

export function serialize(
  value: unknown,
  how: Serialization = { reverseKeys: false, indent: 0, escapeNonAscii: false },
): string {
  const reorder = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(reorder);
    if (v && typeof v === 'object')
      return Object.fromEntries(
        Object.entries(v as Record<string, unknown>)
          .reverse()
          .map(([k, x]) => [k, reorder(x)]),
      );
    return v;
  };
  const text = JSON.stringify(how.reverseKeys ? reorder(value) : value, null, how.indent || undefined);
  return how.escapeNonAscii
    ? text.replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
    : text;
}

export const utf8 = (s: string) => new TextEncoder().encode(s);

/** A body handed over in chunks without a content-length, as a chunked upload arrives. */
export function streamed(bytes: Uint8Array, chunkSize: number): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(offset, offset + chunkSize));
      offset += chunkSize;
    },
  });
}

// ---- Standard Webhooks, from the specification --------------------------------------------

function base64(bytes: Uint8Array): string {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

/**
 * A `v1,` signature entry over `{id}.{timestamp}.{body}` with the secret's key bytes, written
 * from standardwebhooks.com rather than taken from src/, with the timestamp as sent (any text).
 */
export async function webhookSignature(
  secret: string,
  id: string,
  timestamp: string,
  body: Uint8Array,
): Promise<string> {
  const keyBytes = Uint8Array.from(atob(secret.replace(/^whsec_/, '')), (c) => c.charCodeAt(0));
  const key = await crypto.subtle.importKey('raw', keyBytes, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const prefix = utf8(`${id}.${timestamp}.`);
  const content = new Uint8Array(prefix.length + body.length);
  content.set(prefix);
  content.set(body, prefix.length);
  return `v1,${base64(new Uint8Array(await crypto.subtle.sign('HMAC', key, content)))}`;
}

export const nowSeconds = () => Math.floor(Date.now() / 1000);
