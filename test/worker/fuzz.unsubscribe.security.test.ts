import { createClient } from '@libsql/client/web';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken } from '../../src/unsubscribe/token';
import { adminToolsFor } from '../support/admin';
import {
  type Answer,
  awkwardText,
  changeLedger,
  expectReaderPage,
  fuzzParameters,
  fuzzTimeout,
  headerSafeText,
  readAnswer,
  rowCounter,
  Tally,
} from '../support/fuzz';
import { type Lane, openLane } from '../support/lane';
import { TEST_LISTS, TEST_SECRETS } from '../support/settings';
import { at, confirmed, uid } from '../support/worker';

/**
 * Fuzzed unsubscribe links (contract §2): GET, HEAD and POST `/u/{token}` with genuine,
 * rotated, forged, truncated and mutated tokens, and POST bodies in both form encodings,
 * broken ones and oversize ones. Every answer is an HTML reader page, 2xx or 4xx: a bad token
 * gets the one fixed 404 page, a GET never changes a row, a POST unsubscribes exactly what it
 * names (one-click never widens to "all"), and whatever is rejected changes no table. The
 * worker runs in a lane: its own database, so the counts are exact.
 */

const BODY_LIMIT = 16 * 1024;
const NEWSLETTERS = [`fz-<b>"&'-${uid('nl')}`, uid('nl')];

let lane: Lane;
let database: ReturnType<typeof createClient>;
let ledger: ReturnType<typeof changeLedger>;
const notFoundPages = new Map<string, string>();

interface Reader {
  userId: string;
  /** Subscription id and token per newsletter. */
  links: { newsletterId: string; subscriptionId: string; token: string }[];
}
const readers: Reader[] = [];

async function newReader(): Promise<Reader> {
  const userId = uid('fz');
  await adminToolsFor(lane.fetch).postBatch(
    NEWSLETTERS.map((nl) => confirmed(userId, nl, `${userId}@example.com`, {}, at())),
  );
  const view = await lane.subscriber(userId);
  const links = (view?.subscriptions ?? []).map((s) => ({
    newsletterId: s.newsletterId,
    subscriptionId: s.subscriptionId,
    token: s.unsubscribeUrl.split('/u/')[1] ?? '',
  }));
  expect(links).toHaveLength(NEWSLETTERS.length);
  const reader = { userId, links };
  readers.push(reader);
  ledger.touched();
  return reader;
}

/** The user's desired state per newsletter, read from the lane's database (cheaper than the admin view). */
async function states(userId: string): Promise<Record<string, string>> {
  const { rows } = await database.execute({
    sql: 'select newsletter_id, state from subscriptions where user_id = ?',
    args: [userId],
  });
  return Object.fromEntries(rows.map((r) => [String(r.newsletter_id), String(r.state)]));
}

beforeAll(async () => {
  lane = await openLane();
  database = createClient({ url: lane.env.TURSO_DATABASE_URL });
  ledger = changeLedger(await rowCounter(lane.env.TURSO_DATABASE_URL), () => lane.sent().length);
  // One newsletter named with markup (the page must escape it), one unmapped (its id is shown).
  await lane.mapNewsletter(NEWSLETTERS[0] ?? '', TEST_LISTS[0]?.id ?? '', '<script>alert(1)</script> & "Weekly"');
  for (const lang of ['de', 'en']) {
    const page = await readAnswer(
      await lane.fetch(new Request('http://bridge.test/u/nothing', { headers: { 'accept-language': lang } })),
    );
    expect(page.status).toBe(404);
    notFoundPages.set(lang, page.text);
  }
  await newReader();
});
afterAll(async () => lane?.close());

// ---- Tokens -----------------------------------------------------------------------------------

const base64url = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'];

const token = fc.oneof(
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('genuine' as const) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('old-key' as const) }) },
  // Percent-encoding a character changes nothing: the path parameter is decoded.
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('percent-encoded' as const), at: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('other-key' as const), key: awkwardText(1, 40) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('unknown-subscription' as const),
      id: fc.stringMatching(/^[a-z0-9]{20}$/),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('mutated' as const),
      at: fc.nat(),
      by: fc.constantFrom(...base64url, '.', '=', '+', '/', 'é'),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('truncated' as const),
      keep: fc.double({ min: 0, max: 0.999, noNaN: true }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('extended' as const),
      tail: fc.constantFrom('=', '==', 'A', '.', '.x', '..', '%00', '%2F'),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('uppercase' as const) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('garbage' as const), text: awkwardText(1, 300) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('raw' as const),
      path: fc.constantFrom('%', '%zz', '%E0%A4%A', '.x', '..x', 'sub_', '%00', '%ED%A0%80', '%2F', 'a%2Fb'),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('long' as const), length: fc.integer({ min: 1000, max: 20_000 }) }),
  },
);
type TokenSpec = typeof token extends fc.Arbitrary<infer T> ? T : never;

/** The path segment to send, and whether it names the subscription. */
async function tokenPath(
  spec: TokenSpec,
  link: { subscriptionId: string; token: string },
): Promise<{ segment: string; genuine: boolean }> {
  const t = link.token;
  switch (spec.kind) {
    case 'genuine':
      return { segment: t, genuine: true };
    case 'old-key':
      return {
        segment: await createToken([TEST_SECRETS.UNSUBSCRIBE_SIGNING_KEY_OLD], link.subscriptionId),
        genuine: true,
      };
    case 'percent-encoded': {
      const i = spec.at % t.length;
      return {
        segment: `${t.slice(0, i)}%${t.charCodeAt(i).toString(16).toUpperCase()}${t.slice(i + 1)}`,
        genuine: true,
      };
    }
    case 'other-key':
      return { segment: await createToken([spec.key], link.subscriptionId), genuine: false };
    case 'unknown-subscription':
      return { segment: await createToken([TEST_SECRETS.UNSUBSCRIBE_SIGNING_KEY], `sub_${spec.id}`), genuine: false };
    case 'mutated': {
      const i = spec.at % t.length;
      const by = spec.by === t.charAt(i) ? (spec.by === 'A' ? 'B' : 'A') : spec.by;
      return { segment: encodeURIComponent(`${t.slice(0, i)}${by}${t.slice(i + 1)}`), genuine: false };
    }
    case 'truncated':
      return { segment: t.slice(0, Math.floor(t.length * spec.keep)) || 'x', genuine: false };
    case 'extended':
      return { segment: `${t}${spec.tail}`, genuine: false };
    case 'uppercase':
      return { segment: t.toUpperCase(), genuine: false };
    case 'garbage':
      return { segment: encodeURIComponent(spec.text), genuine: false };
    case 'raw':
      return { segment: spec.path, genuine: false };
    case 'long':
      return { segment: `${t}${'A'.repeat(spec.length)}`, genuine: false };
  }
}

// ---- Bodies -----------------------------------------------------------------------------------

type Scope = 'one' | 'all' | 'either';

const formFields = fc.record({
  oneClick: fc.constantFrom(undefined, 'One-Click', ' One-Click ', 'one-click', 'One-Click!', ''),
  scope: fc.constantFrom(undefined, 'all', 'all', ' all ', 'one', 'ALL', 'every', ''),
  // workerd's FormData refuses a name ending in a backslash and writes control characters
  // into the part's headers unescaped, where its own parser (the worker's) refuses them: those
  // bodies are the garbled ones below, not a form.
  extra: fc.array(
    fc.tuple(
      awkwardText(1, 20).map((k) =>
        [...k]
          .map((ch) => (ch < ' ' || ch === '\u007f' ? '_' : ch))
          .join('')
          .replace(/\\$/, '_'),
      ),
      awkwardText(0, 60),
    ),
    { maxLength: 3 },
  ),
});

/** What the worker does with these fields: one-click names one subscription, `scope=all` widens only a form. */
function scopeOf(f: { oneClick?: string | undefined; scope?: string | undefined }): 'one' | 'all' {
  if (f.oneClick?.trim() === 'One-Click') return 'one';
  return f.scope?.trim() === 'all' ? 'all' : 'one';
}

const body = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('urlencoded' as const),
      fields: formFields,
      type: fc.constantFrom(
        'application/x-www-form-urlencoded',
        'application/x-www-form-urlencoded; charset=UTF-8',
        'Application/X-WWW-Form-Urlencoded',
      ),
    }),
  },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('multipart' as const), fields: formFields }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('broken' as const),
      type: fc.constantFrom(
        'multipart/form-data',
        'multipart/form-data; boundary=',
        'multipart/form-data; boundary=zzz',
        'application/x-www-form-urlencoded',
        'text/plain',
        'application/json',
        '',
      ),
      text: fc.oneof(
        awkwardText(0, 200),
        fc.constantFrom(
          'List-Unsubscribe=One-Click%',
          '%zz&&==&scope',
          '--zzz\r\nContent-Disposition: form-data; name="scope"\r\n\r\nall',
          '{"scope":"all"}',
          '\u0000',
        ),
      ),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('none' as const) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('oversize' as const),
      size: fc.oneof(fc.constant(BODY_LIMIT + 1), fc.integer({ min: BODY_LIMIT + 2, max: 200_000 })),
      multipart: fc.boolean(),
    }),
  },
);
type BodySpec = typeof body extends fc.Arbitrary<infer T> ? T : never;

function requestBody(spec: BodySpec): { init: RequestInit; scope: Scope; size: number } {
  if (spec.kind === 'none') return { init: {}, scope: 'one', size: 0 };
  if (spec.kind === 'urlencoded' || spec.kind === 'multipart') {
    const pairs: [string, string][] = [...spec.fields.extra];
    if (spec.fields.oneClick !== undefined) pairs.push(['List-Unsubscribe', spec.fields.oneClick]);
    if (spec.fields.scope !== undefined) pairs.push(['scope', spec.fields.scope]);
    // An extra field may repeat a name the worker reads: then the first value counts.
    const named = new Map<string, string>();
    for (const [k, v] of pairs) if (!named.has(k)) named.set(k, v);
    const scope = scopeOf({ oneClick: named.get('List-Unsubscribe'), scope: named.get('scope') });
    if (spec.kind === 'multipart') {
      const form = new FormData();
      for (const [k, v] of pairs) form.append(k, v);
      return { init: { body: form }, scope, size: 0 };
    }
    const text = new URLSearchParams(pairs).toString();
    return { init: { body: text, headers: { 'content-type': spec.type } }, scope, size: text.length };
  }
  if (spec.kind === 'broken') {
    // Garbled bodies unsubscribe the link's own subscription, or (read as a form after all) all of them.
    return {
      init: { body: spec.text, headers: spec.type ? { 'content-type': spec.type } : {} },
      scope: 'either',
      size: 0,
    };
  }
  const filler = 'x'.repeat(spec.size);
  if (spec.multipart) {
    const form = new FormData();
    form.append('List-Unsubscribe', 'One-Click');
    form.append('pad', filler);
    return { init: { body: form }, scope: 'one', size: spec.size };
  }
  return {
    init: {
      body: `List-Unsubscribe=One-Click&pad=${filler}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    },
    scope: 'one',
    size: spec.size,
  };
}

const unsubscribeCase = fc.record({
  token,
  /** -1: a new reader, subscribed to both newsletters; otherwise one seen before. */
  reader: fc.oneof({ weight: 1, arbitrary: fc.constant(-1) }, { weight: 5, arbitrary: fc.nat() }),
  newsletter: fc.nat(),
  method: fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom('GET', 'GET', 'GET', 'HEAD', 'POST', 'POST', 'POST', 'POST') },
    { weight: 1, arbitrary: fc.constantFrom('PUT', 'DELETE', 'PATCH', 'OPTIONS') },
  ),
  body,
  suffix: fc.oneof(
    { weight: 8, arbitrary: fc.constant('') },
    { weight: 2, arbitrary: fc.constantFrom('?scope=all', '?List-Unsubscribe=One-Click') },
    { weight: 2, arbitrary: fc.constantFrom('/', '/extra', '/..%2F') },
  ),
  language: fc.oneof(
    fc.constantFrom(
      undefined,
      'de',
      'en',
      'en-US,en;q=0.9',
      'fr, en;q=0.5',
      'de;q=0.1, en;q=0.2',
      'en;q=2',
      'en;q=abc',
      '*',
    ),
    headerSafeText(0, 120),
  ),
});

const TITLES = {
  choice: ['Newsletter abbestellen', 'Unsubscribe from the newsletter'],
  done: ['Abmeldung bestätigt', 'Unsubscribe confirmed'],
};

describe('/u/{token}, fuzzed', () => {
  const { numRuns, seed } = fuzzParameters();

  it(
    'answers an HTML page, 2xx or 4xx, unsubscribes only what a genuine POST names and changes nothing otherwise',
    async () => {
      const statuses = new Tally();
      const outcomes = new Tally();
      await fc.assert(
        fc.asyncProperty(unsubscribeCase, async (c) => {
          const reader = c.reader < 0 ? await newReader() : (readers[c.reader % readers.length] as Reader);
          const link = reader.links[c.newsletter % reader.links.length] ?? reader.links[0];
          if (!link) throw new Error('a reader without links');
          const path = await tokenPath(c.token, link);
          // A dot segment would leave /u altogether (the URL parser resolves it): not a link.
          const segment = /^(\.|%2e){1,2}$/i.test(path.segment) ? `${path.segment}x` : path.segment;
          const { genuine } = path;
          const routed = c.suffix === '' || c.suffix.startsWith('?');
          const post = c.method === 'POST';
          const sent = post ? requestBody(c.body) : { init: {}, scope: 'one' as Scope, size: 0 };
          const headers = new Headers(sent.init.headers);
          if (c.language !== undefined) headers.set('accept-language', c.language);
          const request = new Request(`http://bridge.test/u/${segment}${c.suffix}`, {
            ...sent.init,
            method: c.method,
            headers,
            redirect: 'manual',
          });
          const what = `${c.method} /u/${segment.slice(0, 120)}${c.suffix} (${c.token.kind}, ${post ? c.body.kind : 'no body'})`;

          // States are read only where the answer may depend on them; the ledger covers the rest.
          const named = routed && genuine && ['GET', 'POST'].includes(c.method);
          const before = named ? await states(reader.userId) : {};
          await ledger.settle();
          const answer: Answer = await readAnswer(await lane.fetch(request));
          expectReaderPage(answer, what);
          statuses.note(answer.status);
          const changed = await ledger.changes();
          const lang = answer.headers.get('content-language') ?? '';
          expect(['de', 'en'], what).toContain(lang);
          const title = (page: keyof typeof TITLES) => TITLES[page][lang === 'en' ? 1 : 0] ?? '';

          const tooLarge = routed && post && sent.size > BODY_LIMIT;
          const expected = tooLarge ? 413 : routed && genuine && ['GET', 'HEAD', 'POST'].includes(c.method) ? 200 : 404;
          expect(answer.status, `${what} → ${answer.status}`).toBe(expected);
          if (answer.status !== 200 || c.method !== 'POST') {
            // Rejected, or only looked at: nothing stored, nothing sent.
            expect(changed, `${what} → ${answer.status} changed rows`).toEqual({});
          }
          if (answer.status === 404) {
            // One fixed page for every bad token: it names nothing.
            expect(answer.text, what).toBe(c.method === 'HEAD' ? '' : notFoundPages.get(lang));
            outcomes.note(`not-found:${c.method}`);
          }
          if (answer.status === 413) outcomes.note('too-large');
          if (answer.status !== 200) return;
          expect(answer.text.includes('<script>'), `${what}: the newsletter name is escaped`).toBe(false);
          if (c.method === 'HEAD') {
            expect(answer.text, what).toBe('');
            return;
          }
          if (c.method === 'GET') {
            expect(answer.text, what).toContain(title('choice'));
            outcomes.note(`page:${before[link.newsletterId]}`);
            return;
          }
          // A POST: this subscription is left; one-click and plain forms leave only it, "all" every one.
          expect(answer.text, what).toContain(title('done'));
          const after = await states(reader.userId);
          expect(after[link.newsletterId], what).not.toBe('subscribed');
          const others = Object.keys(after).filter((nl) => nl !== link.newsletterId);
          const widened = others.some((nl) => after[nl] !== before[nl]);
          if (sent.scope === 'one') expect(widened, `${what}: only the named subscription`).toBe(false);
          if (sent.scope === 'all' || widened)
            for (const nl of others) expect(after[nl], `${what}: every subscription`).not.toBe('subscribed');
          const anySubscribed = Object.values(before).some((s) => s === 'subscribed');
          const touched = before[link.newsletterId] === 'subscribed' || (sent.scope !== 'one' && anySubscribed);
          // Idempotent: a POST for what is already left stores nothing.
          if (!touched) expect(changed, `${what}: nothing left to unsubscribe`).toEqual({});
          outcomes.note(`unsubscribed:${sent.scope}${touched ? '' : ':again'}`);
        }),
        { numRuns, seed },
      );
      console.log(`fuzz /u/{token} (${numRuns} runs, seed ${seed}): ${statuses} | ${outcomes}`);
      statuses.expectReached([200, 404, 413], '/u/{token}');
      outcomes.expectReached(
        ['page:subscribed', 'page:unsubscribed', 'unsubscribed:one', 'unsubscribed:all', 'unsubscribed:one:again'],
        '/u/{token}',
      );
    },
    fuzzTimeout(numRuns, 400),
  );
});
