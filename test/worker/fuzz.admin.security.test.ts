import { createClient } from '@libsql/client/web';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToolsFor } from '../support/admin';
import {
  awkwardText,
  changeLedger,
  expectApiAnswer,
  fuzzParameters,
  fuzzTimeout,
  nestedJson,
  readAnswer,
  rowCounter,
  Tally,
} from '../support/fuzz';
import { type Lane, openLane } from '../support/lane';
import { TEST_LISTS, TEST_SECRETS } from '../support/settings';
import { at, confirmed, uid } from '../support/worker';

/**
 * Every operation of the admin API as the served OpenAPI document lists it, fuzzed: path
 * parameters, query strings and bodies, with the admin token in its accepted spellings and
 * without it or with a wrong one. Every answer is a 2xx or a 4xx problem that the document
 * lists for the operation, never a 5xx; a missing or wrong token is a 401 with its challenge;
 * a rejected request changes no table and sends nothing to the queue. The worker runs in a
 * lane: its own database and Newsletter2Go account, so reconciliation runs, retries of every
 * failed transfer and mapping changes reach no other file.
 */

const [T1, T2] = [TEST_SECRETS.ADMIN_API_TOKEN, TEST_SECRETS.ADMIN_API_TOKEN_2];

interface Operation {
  method: string;
  path: string;
  operationId: string;
  params: string[];
  query: { name: string; schema: Record<string, unknown> }[];
  hasBody: boolean;
  statuses: string[];
}

let lane: Lane;
let ledger: ReturnType<typeof changeLedger>;
let operations: Operation[] = [];

/** Values the worker knows, per path parameter or body field, so fuzzing reaches past "not found". */
const known: Record<string, string[]> = {
  userId: [],
  newsletterId: [],
  /** The newsletters mapped now (a reconciliation of another one is a 422). */
  mapped: [],
  noticeId: [],
  id: [],
  listId: [],
  email: [],
};
const cursors: Record<string, string[]> = {};

beforeAll(async () => {
  lane = await openLane();
  ledger = changeLedger(await rowCounter(lane.env.TURSO_DATABASE_URL), () => lane.sent().length);

  const doc = (await (await lane.fetch(new Request('http://bridge.test/openapi.json'))).json()) as {
    paths: Record<
      string,
      Record<
        string,
        {
          operationId: string;
          parameters?: { in: string; name: string; schema: Record<string, unknown> }[];
          requestBody?: unknown;
          responses: Record<string, unknown>;
        }
      >
    >;
  };
  operations = Object.entries(doc.paths)
    .filter(([path]) => path.startsWith('/v1/admin/'))
    .flatMap(([path, item]) =>
      Object.entries(item).map(([method, op]) => ({
        method: method.toUpperCase(),
        path,
        operationId: op.operationId,
        params: (op.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name),
        query: (op.parameters ?? []).filter((p) => p.in === 'query').map(({ name, schema }) => ({ name, schema })),
        hasBody: op.requestBody !== undefined,
        statuses: Object.keys(op.responses),
      })),
    );
  expect(operations.length).toBeGreaterThan(10);

  // Lists for new mappings (a list maps to one newsletter at most), two newsletters mapped,
  // readers subscribed to them, and one notice (a reader who left by link).
  for (let i = 0; i < 12; i++) known.listId?.push((await lane.emulator.createList({ name: `fuzz ${i}` })).id);
  const newsletters = [uid('fz-nl'), uid('fz-nl')];
  for (const [i, nl] of newsletters.entries()) await lane.mapNewsletter(nl, TEST_LISTS[i]?.id ?? '', `Fuzz ${i}`);
  known.newsletterId?.push(...newsletters, uid('fz-unmapped'));
  known.mapped?.push(...newsletters);
  const users = [uid('fz'), uid('fz'), uid('fz')];
  await adminToolsFor(lane.fetch).postBatch(
    users.flatMap((u) => newsletters.map((nl) => confirmed(u, nl, `${u}@example.com`, {}, at()))),
  );
  known.userId?.push(...users);
  known.email?.push(...users.map((u) => `${u}@example.com`), `${users[0]?.slice(0, 6)}*`, 'FZ*');
  const link = (await lane.subscriber(users[0] ?? ''))?.subscriptions[0]?.unsubscribeUrl ?? '';
  await lane.fetch(
    new Request(link, { method: 'POST', body: new URLSearchParams({ 'List-Unsubscribe': 'One-Click' }) }),
  );
  const db = createClient({ url: lane.env.TURSO_DATABASE_URL });
  known.noticeId?.push(...(await db.execute('select id from notices')).rows.map((r) => String(r.id)));
  // A finished reconciliation run to read; the first one the fuzzer starts then stays running
  // (nothing drains the lane's queue any more), so later starts meet it: 409.
  const run = await lane.admin('/v1/admin/reconciliations', {
    method: 'POST',
    body: JSON.stringify({ mode: 'report' }),
  });
  expect(run.status).toBe(202);
  known.id?.push(((await run.json()) as { id: string }).id);
  await lane.drain();
  ledger.touched();
});
afterAll(async () => lane?.close());

// ---- Arbitraries -------------------------------------------------------------------------------

const VALID_AUTH = [
  `Bearer ${T1}`,
  `Bearer ${T2}`,
  `bearer ${T1}`,
  `BEARER ${T2}`,
  `Bearer  ${T1}`,
  `Bearer ${T1} `,
  `Bearer\t${T2}`,
];
const WRONG_AUTH = [
  undefined,
  '',
  'Bearer',
  'Bearer ',
  `Basic ${T1}`,
  T1,
  `Token ${T1}`,
  `Bearer ${T1}x`,
  `Bearer x${T1}`,
  `Bearer ${T1.slice(0, -1)}`,
  `Bearer ${T1} ${T2}`,
  `Bearer ${T1},${T2}`,
  `Bearer ${T1.toUpperCase()}`,
  `Bearer ${TEST_SECRETS.NOTIFY_SIGNING_SECRET}`,
  `Bearer "${T1}"`,
];
const auth = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...VALID_AUTH).map((header) => ({ header, valid: true })) },
  { weight: 1, arbitrary: fc.constantFrom(...WRONG_AUTH).map((header) => ({ header, valid: false })) },
);

const paramValue = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('known' as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('fresh' as const) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('text' as const), text: awkwardText(1, 140) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('raw' as const),
      raw: fc.constantFrom(
        '%',
        '%zz',
        '%E0%A4%A',
        '%ED%A0%80',
        '%00',
        'a%2Fb',
        '%2e',
        '~',
        "'",
        '*',
        'rcn_aaaaaaaaaaaaaaaaa',
        'sub_x',
      ),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('long' as const), length: fc.integer({ min: 129, max: 3000 }) }),
  },
);
type ParamValue = typeof paramValue extends fc.Arbitrary<infer T> ? T : never;

const pickFrom = (list: readonly string[] | undefined, n: number) =>
  list?.length ? (list[n % list.length] ?? '') : 'none';

function pathSegment(name: string, v: ParamValue): string {
  if (v.kind === 'known') return encodeURIComponent(pickFrom(known[name], v.pick));
  if (v.kind === 'fresh') return uid('fz-new');
  if (v.kind === 'text') return encodeURIComponent(v.text);
  if (v.kind === 'raw') return v.raw;
  return 'x'.repeat(v.length);
}

const queryValue = fc.oneof(
  { weight: 8, arbitrary: fc.constant({ kind: 'absent' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'empty' as const }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('valid' as const), pick: fc.nat(), small: fc.boolean() }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('invalid' as const),
      text: fc.oneof(
        fc.constantFrom(
          '0',
          '-1',
          '501',
          '101',
          '1e2',
          '1.5',
          ' 5',
          '５',
          '0x10',
          'abc',
          '*',
          '**',
          'a*b',
          'x'.repeat(600),
          'eyJhZnRlciI6MX0',
          '%%',
        ),
        awkwardText(1, 60),
      ),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('repeated' as const), pick: fc.nat() }) },
);
type QueryValue = typeof queryValue extends fc.Arbitrary<infer T> ? T : never;

/** A value the documented schema allows (an enum member, a number in range, a known id, a cursor seen). */
function validQuery(op: Operation, q: Operation['query'][number], pick: number, small: boolean): string {
  const s = q.schema;
  if (Array.isArray(s.enum)) return String(s.enum[pick % s.enum.length]);
  if (s.type === 'integer' || s.type === 'number') {
    const min = Number(s.minimum ?? 1);
    const max = Number(s.maximum ?? 100);
    // Small pages hand out cursors to use next.
    return String(small ? min + (pick % 3) : min + (pick % (max - min + 1)));
  }
  // No cursor handed out yet: an empty one, which means none.
  if (q.name === 'cursor') return cursors[op.operationId]?.length ? pickFrom(cursors[op.operationId], pick) : '';
  return pickFrom(known[q.name], pick);
}

function queryString(op: Operation, values: QueryValue[], extra: [string, string][]): string {
  const params = new URLSearchParams();
  op.query.forEach((q, i) => {
    const v = values[i % values.length] ?? { kind: 'absent' };
    if (v.kind === 'empty') params.append(q.name, '');
    if (v.kind === 'valid') params.append(q.name, validQuery(op, q, v.pick, v.small));
    if (v.kind === 'invalid') params.append(q.name, v.text);
    if (v.kind === 'repeated') {
      params.append(q.name, validQuery(op, q, v.pick, false));
      params.append(q.name, 'zz-not-valid');
    }
  });
  for (const [k, v] of extra) params.append(k, v);
  const text = params.toString();
  return text ? `?${text}` : '';
}

const wrongType = fc.constantFrom<unknown>(null, 0, true, [], {}, ['x'], 'x'.repeat(300));
const maybe = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });
const knownOr = (name: string, other: fc.Arbitrary<unknown>) =>
  fc.oneof({ weight: 3, arbitrary: fc.nat().map((n) => pickFrom(known[name], n)) }, { weight: 1, arbitrary: other });

/** Bodies the documented schema allows, mostly, per operation (the others get noise). */
const validBodies: Record<string, fc.Arbitrary<Record<string, unknown>>> = {
  putNewsletter: fc.record({
    listId: fc.oneof(
      { weight: 4, arbitrary: fc.nat().map((n) => pickFrom(known.listId, n)) },
      { weight: 2, arbitrary: fc.constantFrom(...TEST_LISTS.map((l) => l.id)) },
      { weight: 1, arbitrary: fc.constantFrom('zzzz9999', 'unknown_list-1') },
      { weight: 1, arbitrary: awkwardText(0, 80) },
    ),
    name: maybe(fc.oneof(awkwardText(1, 200), fc.constantFrom('   ', 'x'.repeat(201), '<b>bold</b>'))),
  }),
  retryFailedTransfers: fc.record({ newsletterId: maybe(knownOr('newsletterId', awkwardText(1, 140))) }),
  pauseTransfers: fc.record({
    reason: fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom('incident', 'Migration nach Brevo', 'r'.repeat(500)) },
      { weight: 2, arbitrary: awkwardText(0, 520) },
    ),
  }),
  retryFailedNotices: fc.record({ userId: maybe(knownOr('userId', awkwardText(1, 140))) }),
  startReconciliation: fc.record({
    mode: fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom('report', 'heal') },
      { weight: 1, arbitrary: awkwardText(0, 10) },
    ),
    newsletterIds: fc.option(fc.array(knownOr('mapped', awkwardText(1, 140)), { maxLength: 2 }), {
      nil: undefined,
      freq: 2,
    }),
  }),
};

const body = fc.oneof(
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('valid' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('empty' as const), text: fc.constantFrom('', ' ', '\n\t') }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('json' as const), value: fc.jsonValue({ maxDepth: 3 }) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('malformed' as const),
      text: fc.constantFrom('{', '{"mode":', 'nul', "{'mode':'report'}", '[1,]', '\u0000', '{"a":1}}', '\ufeff{}'),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('wrong-field' as const), field: fc.nat(), value: wrongType }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('deep' as const),
      depth: fc.constantFrom(100, 10_000, 100_000),
      shape: fc.constantFrom<'array' | 'object'>('array', 'object'),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('large' as const), size: fc.integer({ min: 70_000, max: 2_000_000 }) }),
  },
);
type BodySpec = typeof body extends fc.Arbitrary<infer T> ? T : never;

/** The body text: `valid` is the operation's own body (an operation without one gets `{}`). */
function bodyText(valid: Record<string, unknown>, spec: BodySpec): string {
  const defined = Object.fromEntries(Object.entries(valid).filter(([, v]) => v !== undefined));
  switch (spec.kind) {
    case 'valid':
      return JSON.stringify(defined);
    case 'empty':
    case 'malformed':
      return spec.text;
    case 'json':
      return JSON.stringify(spec.value);
    case 'wrong-field': {
      const keys = Object.keys(defined);
      const key = keys.length ? (keys[spec.field % keys.length] ?? 'x') : 'x';
      return JSON.stringify({ ...defined, [key]: spec.value });
    }
    case 'deep':
      return nestedJson(spec.depth, spec.shape);
    case 'large':
      return JSON.stringify({ ...defined, pad: 'x'.repeat(spec.size) });
  }
}

const adminCase = fc.record({
  auth,
  params: fc.array(paramValue, { minLength: 2, maxLength: 2 }),
  query: fc.array(queryValue, { minLength: 6, maxLength: 6 }),
  extraQuery: fc.array(fc.tuple(awkwardText(1, 12), awkwardText(0, 30)), { maxLength: 2 }),
  body,
  /** A valid body for each operation that takes one; the case uses its operation's. */
  bodies: fc.record(validBodies),
  contentType: fc.constantFrom(
    'application/json',
    'application/json',
    undefined,
    'text/plain',
    'application/json; charset=utf-8',
  ),
  unlisted: fc.record({
    method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH'),
    segments: fc.array(
      fc.oneof(fc.constantFrom('subscribers', 'stats', 'newsletters', 'retry', 'x'), awkwardText(1, 20)),
      { minLength: 1, maxLength: 4 },
    ),
  }),
});

/** The operation's path with each parameter one non-empty segment. */
const routeOf = (op: Operation) => new RegExp(`^${op.path.replace(/\{\w+\}/g, '[^/]+')}$`);

/** Notes ids and cursors the answers hand out, for later cases to use. */
function learn(op: Operation, json: unknown) {
  const o = (json ?? {}) as { id?: unknown; items?: { id?: unknown }[]; nextCursor?: unknown };
  if (op.operationId === 'startReconciliation' && typeof o.id === 'string') known.id?.push(o.id);
  if (op.operationId === 'listReconciliations')
    for (const r of o.items ?? []) if (typeof r.id === 'string' && !known.id?.includes(r.id)) known.id?.push(r.id);
  if (typeof o.nextCursor === 'string') cursors[op.operationId] = [...(cursors[op.operationId] ?? []), o.nextCursor];
  const newsletterId = (json as { newsletterId?: unknown }).newsletterId;
  if (op.operationId === 'putNewsletter' && typeof newsletterId === 'string') {
    if (!known.newsletterId?.includes(newsletterId)) known.newsletterId?.push(newsletterId);
    if (!known.mapped?.includes(newsletterId)) known.mapped?.push(newsletterId);
  }
  if (op.operationId === 'deleteNewsletter' && typeof newsletterId === 'string')
    known.mapped = known.mapped?.filter((n) => n !== newsletterId) ?? [];
}

describe('/v1/admin, every documented operation fuzzed', () => {
  // Fourteen targets share the run: three times the cases, so each gets twenty or so.
  const { numRuns, seed } = fuzzParameters(3);

  it(
    'answers a documented 2xx or 4xx problem, 401 without a valid token, and changes nothing when it rejects',
    async () => {
      const statuses = new Tally();
      const reached = new Tally();
      // Each operation (and then the paths the document does not list) gets its share of the run.
      const targets = [...operations, null];
      const share = Math.max(1, Math.ceil(numRuns / targets.length));
      for (const [index, op] of targets.entries()) {
        await fc.assert(
          fc.asyncProperty(adminCase, async (c) => {
            let method: string;
            let path: string;
            if (op) {
              method = op.method;
              let i = 0;
              path = op.path.replace(/\{(\w+)\}/g, (_, name: string) =>
                pathSegment(name, c.params[i++] ?? { kind: 'known', pick: 0 }),
              );
              path += queryString(op, c.query, c.extraQuery);
            } else {
              method = c.unlisted.method;
              path = `/v1/admin/${c.unlisted.segments.map((s) => encodeURIComponent(s)).join('/')}`;
            }
            const headers = new Headers();
            if (c.auth.header !== undefined) headers.set('authorization', c.auth.header);
            const withBody = method !== 'GET' && (op?.hasBody || c.body.kind !== 'valid');
            if (withBody && c.contentType) headers.set('content-type', c.contentType);
            const request = new Request(`http://bridge.test${path}`, {
              method,
              headers,
              ...(withBody ? { body: bodyText((op && c.bodies[op.operationId]) || {}, c.body) } : {}),
            });
            // A dot segment in a parameter (`..`, `%2e`) moves the request to another path: then
            // it is not this operation, and only the general rules apply.
            const asDocumented = op !== null && routeOf(op).test(new URL(request.url).pathname);
            const what = `${method} ${path.slice(0, 200)} (${c.auth.valid ? 'token' : `auth ${JSON.stringify(c.auth.header)}`}, body ${withBody ? c.body.kind : 'none'})`;

            await ledger.settle();
            const answer = await readAnswer(await lane.fetch(request));
            const json = expectApiAnswer(answer, what);
            statuses.note(answer.status);
            const changed = await ledger.changes();
            if (!c.auth.valid) {
              expect(answer.status, what).toBe(401);
              expect(answer.headers.get('www-authenticate'), what).toBe('Bearer realm="newsletter-bridge admin"');
            } else {
              expect(answer.status, `${what}: a valid token`).not.toBe(401);
            }
            if (op && asDocumented) {
              expect(op.statuses, `${what} → ${answer.status} ${answer.text.slice(0, 200)}: documented`).toContain(
                String(answer.status),
              );
              if (c.auth.valid) reached.note(`${op.operationId}:${answer.status < 300 ? '2xx' : answer.status}`);
            }
            if (answer.status >= 400) expect(changed, `${what} → ${answer.status} changed rows`).toEqual({});
            else if (op) learn(op, json);
          }),
          { numRuns: share, seed: seed + index },
        );
      }
      console.log(`fuzz /v1/admin (${share} runs × ${targets.length} targets, seed ${seed}): ${statuses} | ${reached}`);
      statuses.expectReached([200, 201, 202, 400, 401, 404, 409, 422], '/v1/admin');
      reached.expectReached(
        operations.map((o) => `${o.operationId}:2xx`),
        'every admin operation',
      );
    },
    fuzzTimeout(numRuns, 500),
  );
});
