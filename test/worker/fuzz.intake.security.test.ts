import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Answer,
  awkwardText,
  changeLedger,
  expectApiAnswer,
  fuzzParameters,
  fuzzTimeout,
  headerSafeText,
  loneSurrogate,
  nestedJson,
  nowSeconds,
  printable,
  readAnswer,
  rowCounter,
  serialization,
  serialize,
  streamed,
  Tally,
  utf8,
  webhookSignature,
} from '../support/fuzz';
import { type Lane, openLane } from '../support/lane';
import { TEST_SECRETS } from '../support/settings';
import { uid } from '../support/worker';

/**
 * Fuzzed, correctly signed portal deliveries (contract §1): mutated headers, bodies, encodings,
 * sizes, ids and nesting at `POST /v1/events` and `/v1/events/batch`. Every answer is a 2xx or
 * a 4xx problem, never a 5xx; a rejected request (and a redelivery) changes no row of any table
 * and sends nothing to the queue. The worker runs in a lane: a database of its own, so the
 * counts are exact while other files run beside this one.
 */

// The contract's limits, stated here rather than imported: the test checks the worker against them.
const SINGLE_LIMIT = 64 * 1024;
const BATCH_LIMIT = 1024 * 1024;
const SECRETS = [TEST_SECRETS.PORTAL_SIGNING_SECRET, TEST_SECRETS.PORTAL_SIGNING_SECRET_ROTATED];

let lane: Lane;
let ledger: ReturnType<typeof changeLedger>;

/** Deliveries the worker accepted: their ids and content, for redeliveries and conflicts. */
const delivered: { id: string; content: Record<string, unknown> }[] = [];
/** The same, by id: the content as `contentKey` writes it. */
const stored = new Map<string, string>();
/** Users a `user.deleted` was accepted for. */
const deletedUsers = new Set<string>();
const userOf = (content: Record<string, unknown>) => String((content.data as { userId?: unknown })?.userId);
const remember = (id: string, content: Record<string, unknown>) => {
  delivered.push({ id, content });
  stored.set(id, contentKey(content));
  if (content.type === 'user.deleted') deletedUsers.add(userOf(content));
};
/**
 * Deliveries another body can be compared with: a deleted user's stored digests may be erased
 * with the rest of their data, and then a redelivery of the id is answered as a duplicate
 * whatever its body, so conflicts are sought only where no deletion came after.
 */
const comparable = () => delivered.filter((d) => !deletedUsers.has(userOf(d.content)));

beforeAll(async () => {
  lane = await openLane();
  ledger = changeLedger(await rowCounter(lane.env.TURSO_DATABASE_URL), () => lane.sent().length);
  for (let i = 0; i < 3; i++) {
    const u = uid('fz');
    // Users of their own, never deleted: their ids stay comparable for conflicts.
    const content = {
      type: 'subscription.cancelled',
      occurredAt: new Date().toISOString(),
      data: { userId: u, newsletterId: uid('nl') },
    };
    const id = uid('seed');
    expect((await deliver({ id, body: utf8(JSON.stringify(content)) })).status).toBe(202);
    remember(id, content);
  }
  ledger.touched();
});
afterAll(async () => lane?.close());

// ---- Valid events ---------------------------------------------------------------------------

const id128 = awkwardText(1, 128);
const email = fc
  .tuple(
    fc.array(fc.stringMatching(/^[A-Za-z0-9_+-]{1,12}$/), { minLength: 1, maxLength: 3 }),
    fc.array(fc.stringMatching(/^[a-z0-9]{1,10}$/), { minLength: 1, maxLength: 3 }),
    fc.stringMatching(/^[a-zA-Z]{2,6}$/),
  )
  .map(([local, domain, tld]) => `${local.join('.')}@${domain.join('-')}.${tld}`);
const name = fc.option(awkwardText(0, 256), { nil: undefined });
const gender = fc.constantFrom(undefined, 'm', 'f');
/** From long ago up to 4 minutes ahead (the worker allows 5), in the ISO forms the contract takes. */
const occurredAt = fc
  .tuple(fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.now() + 4 * 60_000 }), fc.constantFrom('ms', 's', 'offset'))
  .map(([ms, form]) => {
    const iso = new Date(ms).toISOString();
    if (form === 's') return iso.replace(/\.\d{3}Z$/, 'Z');
    if (form === 'offset') return new Date(ms + 2 * 3_600_000).toISOString().replace('Z', '+02:00');
    return iso;
  });

const profile = { userId: id128, email, firstName: name, lastName: name, gender };
const withoutAbsent = (o: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

const validEvent: fc.Arbitrary<Record<string, unknown>> = fc
  .oneof(
    fc.record({ type: fc.constant('subscription.confirmed'), data: fc.record({ ...profile, newsletterId: id128 }) }),
    fc.record({ type: fc.constant('subscriber.updated'), data: fc.record(profile) }),
    fc.record({ type: fc.constant('subscription.cancelled'), data: fc.record({ userId: id128, newsletterId: id128 }) }),
    fc.record({ type: fc.constant('user.deleted'), data: fc.record({ userId: id128 }) }),
  )
  .chain((e) => occurredAt.map((at) => ({ type: e.type, occurredAt: at, data: withoutAbsent(e.data) })));

// ---- Breaking the schema --------------------------------------------------------------------

type Event = Record<string, unknown>;
const dataOf = (e: Event) => (e.data && typeof e.data === 'object' ? (e.data as Event) : {});
const withData = (e: Event, patch: Event) => ({ ...e, data: withoutAbsent({ ...dataOf(e), ...patch }) });
const hasField = (e: Event, field: string) => field in dataOf(e);

const wrongType = fc.constantFrom<unknown>(null, 0, 1.5, true, [], {}, ['x']);
const notAnEmail = fc.constantFrom('plain', 'a@', '@b.de', 'a b@c.de', 'a@b', 'a@@b.de', `${'x'.repeat(250)}@b.de`, '');
const badOccurredAt = fc.oneof(
  fc
    .integer({ min: 6 * 60_000, max: 10 * 365 * 86_400_000 })
    .map((ahead) => new Date(Date.now() + ahead).toISOString()),
  fc.constantFrom('yesterday', '', '2026-13-01T00:00:00Z', '2026-11-28', '2026-11-28T10:00:00', '1700000000', 'T'),
);
const tooLong = (n: number) => fc.integer({ min: n + 1, max: n + 300 }).map((len) => 'x'.repeat(len));
const withLone = (text: fc.Arbitrary<string>) => fc.tuple(text, loneSurrogate).map(([t, s]) => `${t}${s}`);

/** Each mutation breaks any event it is applied to; the ones that need a field fall back to userId. */
const breakage: fc.Arbitrary<(e: Event) => Event> = fc.oneof(
  // Unpaired surrogates in any string field: JSON carries them, the database cannot.
  {
    weight: 4,
    arbitrary: fc
      .tuple(fc.constantFrom('userId', 'newsletterId', 'firstName', 'lastName'), withLone(awkwardText(0, 20)))
      .map(
        ([k, v]) =>
          (e: Event) =>
            hasField(e, k) ? withData(e, { [k]: v }) : withData(e, { userId: v }),
      ),
  },
  fc.constantFrom('type', 'occurredAt', 'data').map((k) => (e: Event) => withoutAbsent({ ...e, [k]: undefined })),
  fc.tuple(fc.constantFrom('type', 'occurredAt', 'data'), wrongType).map(([k, v]) => (e: Event) => ({ ...e, [k]: v })),
  awkwardText(0, 40).map((t) => (e: Event) => ({ ...e, type: `x.${t}` })),
  badOccurredAt.map((at) => (e: Event) => ({ ...e, occurredAt: at })),
  fc
    .oneof(fc.constant(undefined), fc.constant(''), tooLong(128), wrongType, withLone(awkwardText(0, 20)))
    .map((v) => (e: Event) => withData(e, { userId: v ?? null })),
  fc
    .oneof(fc.constant(undefined), fc.constant(''), tooLong(128), wrongType, withLone(awkwardText(0, 20)))
    .map(
      (v) => (e: Event) =>
        hasField(e, 'newsletterId') ? withData(e, { newsletterId: v ?? null }) : withData(e, { userId: 7 }),
    ),
  fc
    .oneof(fc.constant(undefined), notAnEmail, wrongType)
    .map((v) => (e: Event) => (hasField(e, 'email') ? withData(e, { email: v ?? null }) : withData(e, { userId: '' }))),
  fc
    .tuple(fc.constantFrom('firstName', 'lastName'), fc.oneof(tooLong(256), wrongType, withLone(awkwardText(0, 20))))
    .map(
      ([k, v]) =>
        (e: Event) =>
          hasField(e, 'email') ? withData(e, { [k]: v }) : withData(e, { userId: [] }),
    ),
  fc
    .constantFrom<unknown>('M', 'F', 'x', '', 'male', 1, null)
    .map((g) => (e: Event) => (hasField(e, 'email') ? withData(e, { gender: g }) : withData(e, { userId: {} }))),
);

const schemaBreaking: fc.Arbitrary<unknown> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .tuple(validEvent, fc.array(breakage, { minLength: 1, maxLength: 3 }))
      .map(([e, bs]) => bs.reduce((x, b) => b(x), e)),
  },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(null, true, 0, 'text', [], [{}]) },
  {
    weight: 1,
    arbitrary: fc.jsonValue({ maxDepth: 3 }).filter((v) => typeof v !== 'object' || v === null || !('type' in v)),
  },
);

// ---- Signatures -------------------------------------------------------------------------------

/** Entries that match nothing: other versions, broken base64, a MAC of other bytes. */
const junkEntry = fc.oneof(
  fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => `v1,${btoa(String.fromCharCode(...b))}`),
  fc.uint8Array({ minLength: 1, maxLength: 40 }).map((b) => `v2,${btoa(String.fromCharCode(...b))}`),
  fc.constantFrom('v1', 'v1,', 'v1,!!!', 'v1,====', ',', 'v1,a', 'v1a', 'whsec_x'),
  headerSafeText(1, 60)
    .map((t) => t.replaceAll(' ', ''))
    .filter((t) => t.length > 0),
);

const goodSigning = fc.record({
  secret: fc.constantFrom(...SECRETS),
  skew: fc.integer({ min: -240, max: 240 }),
  junk: fc.array(junkEntry, { maxLength: 7 }),
  position: fc.nat(),
  contentType: fc.constantFrom('application/json', 'application/json; charset=utf-8', 'Application/JSON', undefined),
  /** Streamed in chunks of this size, without a content-length. */
  chunk: fc.option(fc.integer({ min: 1, max: 8192 }), { nil: undefined }),
});
type GoodSigning = typeof goodSigning extends fc.Arbitrary<infer T> ? T : never;

const signatureFault = fc.oneof(
  fc.record({
    fault: fc.constant('other-secret' as const),
    secret: fc.oneof(
      fc.constant(TEST_SECRETS.NOTIFY_SIGNING_SECRET),
      fc.uint8Array({ minLength: 16, maxLength: 32 }).map((b) => `whsec_${btoa(String.fromCharCode(...b))}`),
    ),
  }),
  fc.record({
    fault: fc.constant('stale' as const),
    skew: fc.oneof(fc.integer({ min: 301, max: 10 ** 8 }), fc.integer({ min: -(10 ** 8), max: -301 })),
  }),
  fc.record({
    fault: fc.constant('timestamp-text' as const),
    timestamp: fc.constantFrom(
      '',
      'abc',
      '1e9',
      '+NOW',
      '-NOW',
      'NOW.0',
      '0xNOW',
      'NOWx',
      '١٢٣',
      '9999999999999',
      'NOW NOW',
    ),
  }),
  fc.record({
    fault: fc.constant('missing' as const),
    drop: fc.subarray(['webhook-id', 'webhook-timestamp', 'webhook-signature'], { minLength: 1 }),
  }),
  fc.record({ fault: fc.constant('signed-other' as const), what: fc.constantFrom('body', 'id', 'timestamp') }),
  fc.record({
    fault: fc.constant('mangled' as const),
    how: fc.constantFrom('flip', 'truncate', 'V1', 'no-version', 'v1;'),
    at: fc.integer({ min: 0, max: 39 }),
    cut: fc.integer({ min: 2, max: 40 }),
  }),
  fc.record({ fault: fc.constant('junk-only' as const), junk: fc.array(junkEntry, { minLength: 1, maxLength: 20 }) }),
);
type SignatureFault = typeof signatureFault extends fc.Arbitrary<infer T> ? T : never;

// ---- Requests ---------------------------------------------------------------------------------

interface Delivery {
  id: string;
  body: Uint8Array;
  path?: string;
  signing?: Partial<GoodSigning>;
  fault?: SignatureFault;
}

async function request(d: Delivery): Promise<Request> {
  const s = d.signing ?? {};
  const secret = d.fault?.fault === 'other-secret' ? d.fault.secret : (s.secret ?? SECRETS[0] ?? '');
  let timestamp = String(nowSeconds() + (d.fault?.fault === 'stale' ? d.fault.skew : (s.skew ?? 0)));
  if (d.fault?.fault === 'timestamp-text') timestamp = d.fault.timestamp.replaceAll('NOW', String(nowSeconds()));
  const signedOther = d.fault?.fault === 'signed-other' ? d.fault.what : null;
  let entry = await webhookSignature(
    secret,
    signedOther === 'id' ? `${d.id}x` : d.id,
    signedOther === 'timestamp' ? String(Number(timestamp) + 1) : timestamp,
    signedOther === 'body' ? utf8(`${new TextDecoder().decode(d.body)} `) : d.body,
  );
  if (d.fault?.fault === 'mangled') {
    const mac = entry.slice(3);
    const flip = (c: string) => (c === 'A' ? 'B' : 'A');
    const macs = {
      flip: `v1,${mac.slice(0, d.fault.at)}${flip(mac.charAt(d.fault.at))}${mac.slice(d.fault.at + 1)}`,
      truncate: `v1,${mac.slice(0, mac.length - d.fault.cut)}`,
      V1: `V1,${mac}`,
      'no-version': mac,
      'v1;': `v1;${mac}`,
    };
    entry = macs[d.fault.how];
  }
  const entries = d.fault?.fault === 'junk-only' ? [...d.fault.junk] : [...(s.junk ?? [])];
  if (d.fault?.fault !== 'junk-only') entries.splice((s.position ?? 0) % (entries.length + 1), 0, entry);

  const headers = new Headers({
    'webhook-id': d.id,
    'webhook-timestamp': timestamp,
    'webhook-signature': entries.join(' '),
  });
  if (s.contentType) headers.set('content-type', s.contentType);
  if (d.fault?.fault === 'missing') for (const h of d.fault.drop) headers.delete(h);
  const body = s.chunk ? streamed(d.body, s.chunk) : d.body;
  return new Request(`http://bridge.test${d.path ?? '/v1/events'}`, { method: 'POST', headers, body });
}

async function deliver(d: Delivery): Promise<Answer> {
  return readAnswer(await lane.fetch(await request(d)));
}

/**
 * What follows a fresh id's unique prefix (`fresh()` adds it when the case runs, so a case
 * fast-check runs again while shrinking gets a new id).
 */
const freshId = fc.oneof(fc.constant(''), headerSafeText(1, 40), fc.constant('#'.repeat(256)));
const fresh = (suffix: string) => `${uid('fz')}${suffix}`.slice(0, 256);

/** A valid event in `size` bytes exactly, padded with whitespace (still the same JSON). */
const padded = (event: Event, size: number) => {
  const text = JSON.stringify(event);
  return utf8(text + ' '.repeat(Math.max(0, size - utf8(text).length)));
};

function withInvalidUtf8(event: Event, bytes: readonly number[]): Uint8Array {
  const marker = 'INVALID-UTF8-HERE';
  const [before = '', after = ''] = JSON.stringify({ ...event, note: marker }).split(marker);
  const head = utf8(before);
  const tail = utf8(after);
  return Uint8Array.from([...head, ...bytes, ...tail]);
}

function utf16(text: string, littleEndian: boolean, bom: boolean): Uint8Array {
  const out: number[] = bom ? (littleEndian ? [0xff, 0xfe] : [0xfe, 0xff]) : [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    out.push(...(littleEndian ? [c & 0xff, c >> 8] : [c >> 8, c & 0xff]));
  }
  return Uint8Array.from(out);
}

const notJson: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.tuple(validEvent, fc.double({ min: 0, max: 0.999, noNaN: true })).map(([e, f]) => {
    const text = JSON.stringify(e);
    return utf8(text.slice(0, Math.floor(text.length * f)));
  }),
  fc
    .constantFrom(
      '',
      ' ',
      'NaN',
      'undefined',
      "{'type':1}",
      '{type:1}',
      '[1,]',
      '{"a":1,}',
      '// c\n{}',
      '"open',
      '\u0000',
      'nul',
      '01',
      '1.',
      '+1',
      '{"a":"\\x41"}',
      '{"a":"\\u12"}',
    )
    .map(utf8),
  fc
    .tuple(validEvent, fc.constantFrom('x', ',', '}', ']', '\u0000', '{}', '"'))
    .map(([e, tail]) => utf8(JSON.stringify(e) + tail)),
  fc
    .tuple(
      validEvent,
      fc.constantFrom([0xff], [0xfe], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82], [0x80]),
    )
    .map(([e, bytes]) => withInvalidUtf8(e, bytes)),
  fc.tuple(validEvent, fc.boolean(), fc.boolean()).map(([e, le, bom]) => utf16(JSON.stringify(e), le, bom)),
);

/** A valid event with a deeply nested value beside it (unknown fields are ignored) or in place of one. */
const nesting = fc.record({
  event: validEvent,
  where: fc.constantFrom('beside', 'in-data', 'as-userId', 'whole-body'),
  shape: fc.constantFrom<'array' | 'object'>('array', 'object'),
  depth: fc.constantFrom(10, 100, 1000, 5000, 9000),
});

function nestedBody({ event, where, shape, depth }: typeof nesting extends fc.Arbitrary<infer T> ? T : never) {
  const deep = nestedJson(depth, shape);
  const body =
    where === 'whole-body'
      ? deep
      : where === 'beside'
        ? JSON.stringify({ ...event, x: '@@' }).replace('"@@"', deep)
        : where === 'in-data'
          ? JSON.stringify(withData(event, { x: '@@' })).replace('"@@"', deep)
          : JSON.stringify(withData(event, { userId: '@@' })).replace('"@@"', deep);
  // Beside a valid event the worker may take it (202) or refuse deep nesting (400/422).
  return { body, allowed: where === 'beside' || where === 'in-data' ? [202, 400, 422] : [400, 422] };
}

const oversize = fc.record({
  event: validEvent,
  extra: fc.oneof(fc.constant(1), fc.integer({ min: 2, max: 200_000 })),
  filler: fc.constantFrom('whitespace', 'in-field', 'bytes'),
  signed: fc.boolean(),
  chunk: fc.option(fc.integer({ min: 512, max: 65_536 }), { nil: undefined }),
});

const singleCase = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('accepted' as const),
      event: validEvent,
      id: freshId,
      signing: goodSigning,
      how: serialization,
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('redelivery' as const),
      pick: fc.nat(),
      signing: goodSigning,
      how: serialization,
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('conflict' as const),
      pick: fc.nat(),
      signing: goodSigning,
      other: fc.oneof(
        validEvent.map((e) => utf8(JSON.stringify(e))),
        notJson,
        schemaBreaking.map((v) => utf8(JSON.stringify(v))),
      ),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('unsigned' as const),
      id: freshId,
      fault: signatureFault,
      body: fc.oneof(
        validEvent.map((e) => utf8(JSON.stringify(e))),
        notJson,
      ),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant('not-json' as const), id: freshId, signing: goodSigning, body: notJson }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('schema' as const),
      id: freshId,
      signing: goodSigning,
      body: schemaBreaking,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('nesting' as const), id: freshId, signing: goodSigning, nested: nesting }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('oversize' as const), id: freshId, spec: oversize }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('at-limit' as const),
      id: freshId,
      event: validEvent,
      signing: goodSigning,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('long-id' as const),
      id: headerSafeText(257, 2000),
      event: validEvent,
      signing: goodSigning,
    }),
  },
);
type SingleCase = typeof singleCase extends fc.Arbitrary<infer T> ? T : never;

function oversizeBody(spec: typeof oversize extends fc.Arbitrary<infer T> ? T : never, limit: number): Uint8Array {
  const size = limit + spec.extra;
  if (spec.filler === 'whitespace') return padded(spec.event, size);
  if (spec.filler === 'bytes') return new Uint8Array(size).fill(0x7b);
  const text = JSON.stringify(withData(spec.event, { firstName: '' }));
  return utf8(text.replace('"firstName":""', `"firstName":"${'x'.repeat(Math.max(0, size - utf8(text).length))}"`));
}

/** The request a case sends and the statuses the contract allows for it. */
function plan(c: SingleCase): { delivery: Delivery; allowed: number[]; accepts?: Event; redelivers?: boolean } {
  const id = 'id' in c ? (c.kind === 'long-id' ? `${uid('fz')}${c.id}` : fresh(c.id)) : '';
  const pick = <T>(list: T[], n: number): T => list[n % list.length] as T;
  switch (c.kind) {
    case 'accepted':
      return {
        delivery: { id, body: utf8(serialize(c.event, c.how)), signing: c.signing },
        allowed: [202],
        accepts: c.event,
      };
    case 'redelivery': {
      const first = pick(delivered, c.pick);
      return {
        delivery: { id: first.id, body: utf8(serialize(first.content, c.how)), signing: c.signing },
        allowed: [200],
        redelivers: true,
      };
    }
    case 'conflict':
      return { delivery: { id: pick(comparable(), c.pick).id, body: c.other, signing: c.signing }, allowed: [409] };
    case 'unsigned':
      return { delivery: { id, body: c.body, fault: c.fault }, allowed: [401] };
    case 'not-json':
      return { delivery: { id, body: c.body, signing: c.signing }, allowed: [400] };
    case 'schema':
      return { delivery: { id, body: utf8(JSON.stringify(c.body)), signing: c.signing }, allowed: [422] };
    case 'nesting': {
      const { body, allowed } = nestedBody(c.nested);
      return { delivery: { id, body: utf8(body), signing: c.signing }, allowed };
    }
    case 'oversize':
      return {
        delivery: {
          id,
          body: oversizeBody(c.spec, SINGLE_LIMIT),
          signing: { chunk: c.spec.chunk },
          ...(c.spec.signed ? {} : { fault: { fault: 'stale' as const, skew: 10_000 } }),
        },
        allowed: [413],
      };
    case 'at-limit':
      return {
        delivery: { id, body: padded(c.event, SINGLE_LIMIT), signing: c.signing },
        allowed: [202],
        accepts: c.event,
      };
    case 'long-id':
      // A webhook-id over 256 characters is a 422 by the contract; 202 is what stores it anyway.
      return { delivery: { id, body: utf8(JSON.stringify(c.event)), signing: c.signing }, allowed: [422, 202] };
  }
}

const described = (c: SingleCase, d: Delivery) =>
  `${c.kind} id=${JSON.stringify(d.id.slice(0, 80))} body=${JSON.stringify(new TextDecoder().decode(d.body.slice(0, 160)))}`;

describe('POST /v1/events, fuzzed with signed input', () => {
  const { numRuns, seed } = fuzzParameters();

  it(
    'answers every delivery with a 2xx or a 4xx problem and leaves the tables alone when it rejects',
    async () => {
      const statuses = new Tally();
      const classes = new Tally();
      await fc.assert(
        fc.asyncProperty(singleCase, async (c) => {
          const { delivery, allowed, accepts, redelivers } = plan(c);
          const what = described(c, delivery);
          await ledger.settle();
          const answer = await deliver(delivery);
          const json = expectApiAnswer(answer, what);
          expect(allowed, `${what} → ${answer.status} ${answer.text.slice(0, 300)}`).toContain(answer.status);
          statuses.note(answer.status);
          classes.note(`${c.kind}:${answer.status}`);
          const changed = await ledger.changes();
          if (answer.status === 202) {
            expect(json, what).toEqual({ eventId: delivery.id, status: 'accepted' });
            expect(changed.received_events, `${what}: one received event stored`).toBe(1);
            if (accepts) remember(delivery.id, accepts);
            // Accepted but not kept for redelivery (an id too long, a nested body): its deletion still counts.
            const event = 'event' in c ? c.event : c.kind === 'nesting' ? c.nested.event : undefined;
            if (event?.type === 'user.deleted') deletedUsers.add(userOf(event));
          } else {
            // Rejected, or a redelivery: nothing is stored, applied or enqueued again.
            expect(changed, `${what} → ${answer.status} changed rows`).toEqual({});
          }
          if (redelivers) expect(json, what).toEqual({ eventId: delivery.id, status: 'accepted' });
        }),
        { numRuns, seed },
      );
      console.log(`fuzz /v1/events (${numRuns} runs, seed ${seed}): ${statuses} | ${classes}`);
      statuses.expectReached([202, 200, 400, 401, 409, 413, 422], 'POST /v1/events');
    },
    fuzzTimeout(numRuns, 300),
  );
});

// ---- The batch endpoint -----------------------------------------------------------------------

const itemSpec = fc.oneof(
  { weight: 4, arbitrary: fc.record({ item: fc.constant('fresh' as const), id: freshId, event: validEvent }) },
  { weight: 2, arbitrary: fc.record({ item: fc.constant('again' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ item: fc.constant('clash' as const), pick: fc.nat(), event: validEvent }) },
  { weight: 2, arbitrary: fc.record({ item: fc.constant('broken' as const), id: freshId, body: schemaBreaking }) },
  {
    weight: 1,
    arbitrary: fc.record({
      item: fc.constant('bad-id' as const),
      id: fc.oneof(fc.constant(undefined), fc.constant(''), tooLong(256), wrongType, withLone(fc.constant('fz'))),
      event: validEvent,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ item: fc.constant('twin' as const), pick: fc.nat(), same: fc.boolean(), event: validEvent }),
  },
);
type ItemSpec = typeof itemSpec extends fc.Arbitrary<infer T> ? T : never;
type ItemStatus = 'accepted' | 'duplicate' | 'rejected';

/** Content compared as the worker compares it: the same JSON whatever the key order. */
const contentKey = (value: unknown): string => {
  const sorted = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(sorted)
      : v && typeof v === 'object'
        ? Object.fromEntries(
            Object.entries(v as Event)
              .sort(([a], [b]) => (a < b ? -1 : 1))
              .map(([k, x]) => [k, sorted(x)]),
          )
        : v;
  return JSON.stringify(sorted(value));
};

/**
 * The batch's items and the result the contract gives each, in order (§6: one id space; the
 * first valid item with an id decides, a later one with the same id is its duplicate or rejected).
 */
function batchItems(specs: ItemSpec[]) {
  const items: unknown[] = [];
  const expected: { id: string; status: ItemStatus; content?: Event }[] = [];
  const firstInBatch = new Map<string, { key: string; status: ItemStatus; content: Event }>();
  const pick = <T>(list: T[], n: number): T => list[n % list.length] as T;
  /** `content` null: the item is invalid (its id, or its event), so it is rejected and decides nothing. */
  const add = (answerId: string, item: unknown, content: Event | null) => {
    items.push(item);
    if (content === null) return expected.push({ id: answerId, status: 'rejected' });
    const key = contentKey(content);
    const first = firstInBatch.get(answerId);
    let status: ItemStatus;
    if (first) status = first.key === key && first.status !== 'rejected' ? 'duplicate' : 'rejected';
    else {
      const known = stored.get(answerId);
      status = known === undefined ? 'accepted' : known === key ? 'duplicate' : 'rejected';
      firstInBatch.set(answerId, { key, status, content });
    }
    return expected.push({ id: answerId, status, ...(status === 'accepted' ? { content } : {}) });
  };
  for (const s of specs) {
    if (s.item === 'fresh') {
      const id = fresh(s.id);
      add(id, { id, ...s.event }, s.event);
    } else if (s.item === 'again') {
      const first = pick(delivered, s.pick);
      add(first.id, { id: first.id, ...first.content }, first.content);
    } else if (s.item === 'clash') {
      const first = pick(comparable(), s.pick);
      const other = { ...s.event, occurredAt: '2001-01-01T00:00:00.000Z' };
      add(first.id, { id: first.id, ...other }, other);
    } else if (s.item === 'broken') {
      const body = s.body;
      const isObject = typeof body === 'object' && body !== null && !Array.isArray(body);
      const id = fresh(s.id);
      add(isObject ? id : '', isObject ? { ...body, id } : body, null);
    } else if (s.item === 'bad-id') {
      add('', withoutAbsent({ ...s.event, id: s.id }), null);
    } else {
      // An id used earlier in this batch, with the same content or another.
      const earlier = [...firstInBatch];
      const chosen = earlier.length ? pick(earlier, s.pick) : null;
      const id = chosen?.[0] ?? fresh('');
      const content = chosen && s.same ? chosen[1].content : { ...s.event, occurredAt: '2002-02-02T00:00:00.000Z' };
      add(id, { id, ...content }, content);
    }
  }
  return { items, expected };
}

const batchCase = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant('items' as const),
      specs: fc.array(itemSpec, { minLength: 1, maxLength: 8 }),
      signing: goodSigning,
      how: serialization,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('unsigned' as const),
      fault: signatureFault,
      specs: fc.array(itemSpec, { minLength: 1, maxLength: 3 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('not-json' as const), body: notJson, signing: goodSigning }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('envelope' as const),
      body: fc.oneof(
        fc.constantFrom<unknown>(
          {},
          { events: null },
          { events: {} },
          { events: 'x' },
          { events: [] },
          [],
          1,
          null,
          'events',
        ),
        fc.integer({ min: 501, max: 700 }).map((n) => ({ events: Array.from({ length: n }, () => ({})) })),
      ),
      signing: goodSigning,
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('oversize' as const), spec: oversize, signing: goodSigning }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('nesting' as const), id: freshId, nested: nesting, signing: goodSigning }),
  },
);

describe('POST /v1/events/batch, fuzzed with signed input', () => {
  const { numRuns, seed } = fuzzParameters(0.5);

  it(
    'answers a result per item in order, or a 4xx problem that changes nothing',
    async () => {
      const statuses = new Tally();
      const results = new Tally();
      await fc.assert(
        fc.asyncProperty(batchCase, async (c) => {
          const path = '/v1/events/batch';
          const id = uid('batch');
          let delivery: Delivery;
          let allowed: number[];
          let expected: { id: string; status: ItemStatus; content?: Event }[] | null = null;
          if (c.kind === 'items' || c.kind === 'unsigned') {
            const built = batchItems(c.specs);
            const body = utf8(serialize({ events: built.items }, c.kind === 'items' ? c.how : undefined));
            delivery = c.kind === 'items' ? { id, path, body, signing: c.signing } : { id, path, body, fault: c.fault };
            allowed = c.kind === 'items' ? [200] : [401];
            if (c.kind === 'items') expected = built.expected;
          } else if (c.kind === 'not-json') {
            delivery = { id, path, body: c.body, signing: c.signing };
            allowed = [400];
          } else if (c.kind === 'envelope') {
            delivery = { id, path, body: utf8(JSON.stringify(c.body)), signing: c.signing };
            allowed = [422];
          } else if (c.kind === 'oversize') {
            const event = new TextDecoder().decode(oversizeBody({ ...c.spec, extra: 0 }, 0));
            const body = `{"events":[${event}]}`.padEnd(BATCH_LIMIT + c.spec.extra);
            delivery = { id, path, body: utf8(body), signing: { ...c.signing, chunk: c.spec.chunk } };
            allowed = [413];
          } else {
            const item = nestedBody(c.nested).body;
            const body = item.startsWith('{') ? `{"id":${JSON.stringify(fresh(c.id))},${item.slice(1)}` : item;
            delivery = { id, path, body: utf8(`{"events":[${body}]}`), signing: c.signing };
            allowed = [200, 400, 422];
          }
          const what = `batch ${c.kind} ${JSON.stringify(new TextDecoder().decode(delivery.body.slice(0, 300)))}`;
          await ledger.settle();
          const answer = await deliver(delivery);
          const json = expectApiAnswer(answer, what);
          expect(allowed, `${what} → ${answer.status} ${answer.text.slice(0, 300)}`).toContain(answer.status);
          statuses.note(answer.status);
          const changed = await ledger.changes();
          let accepted = 0;
          if (answer.status === 200) {
            const got = (json as { results: { id: string; status: ItemStatus; errors?: unknown[] }[] }).results;
            for (const r of got) results.note(r.status);
            accepted = got.filter((r) => r.status === 'accepted').length;
            if (expected) {
              expect(
                got.map((r) => ({ id: r.id, status: r.status })),
                printable(`${what} → ${answer.text.slice(0, 600)}`),
              ).toEqual(expected.map((e) => ({ id: printable(e.id), status: e.status })));
              for (const r of got)
                if (r.status === 'rejected')
                  expect(r.errors?.length, `${what}: a rejected item says why`).toBeGreaterThan(0);
              for (const e of expected) if (e.status === 'accepted' && e.content) remember(e.id, e.content);
            }
          }
          if (accepted && c.kind === 'nesting' && c.nested.event.type === 'user.deleted')
            deletedUsers.add(userOf(c.nested.event));
          if (accepted) expect(changed.received_events, `${what}: one received event per accepted item`).toBe(accepted);
          // Nothing accepted (a rejected request, or only duplicates and rejected items): nothing changed.
          else expect(changed, `${what} → ${answer.status} changed rows`).toEqual({});
        }),
        { numRuns, seed },
      );
      console.log(`fuzz /v1/events/batch (${numRuns} runs, seed ${seed}): ${statuses} | items ${results}`);
      statuses.expectReached([200, 400, 401, 413, 422], 'POST /v1/events/batch');
      results.expectReached(['accepted', 'duplicate', 'rejected'], 'batch items');
    },
    fuzzTimeout(numRuns, 600),
  );
});

// ---- Found by fuzzing: plain regression tests -------------------------------------------------

describe('inputs the fuzzer found answering 500', () => {
  const signed = (body: string, path = '/v1/events') => deliver({ id: uid('fz'), body: utf8(body), path });

  it('answers a valid event with a field nested 20 000 arrays deep without a 500', async () => {
    const event = { type: 'user.deleted', occurredAt: new Date().toISOString(), data: { userId: uid('u') } };
    const answer = await signed(JSON.stringify({ ...event, x: '@@' }).replace('"@@"', nestedJson(20_000, 'array')));
    expectApiAnswer(answer, 'nested 20 000 deep');
    expect([202, 400, 422]).toContain(answer.status);
  });

  it('answers a batch item nested 400 000 arrays deep without a 500', async () => {
    const item = {
      id: uid('fz'),
      type: 'user.deleted',
      occurredAt: new Date().toISOString(),
      data: { userId: uid('u') },
    };
    const body = JSON.stringify({ events: [{ ...item, x: '@@' }] }).replace('"@@"', nestedJson(400_000, 'array'));
    const answer = await signed(body, '/v1/events/batch');
    expectApiAnswer(answer, 'batch nested 400 000 deep');
    expect([200, 400, 422]).toContain(answer.status);
  });

  it('rejects a userId with an unpaired surrogate with 422, so the next event for it is not a 500', async () => {
    const userId = `${uid('u')}\ud800`;
    const event = (newsletterId: string) => ({
      type: 'subscription.confirmed',
      occurredAt: new Date().toISOString(),
      data: { userId, newsletterId, email: 'reader@example.com' },
    });
    for (const newsletterId of ['nl-a', 'nl-b']) {
      const answer = await signed(JSON.stringify(event(newsletterId)));
      const json = expectApiAnswer(answer, 'lone surrogate userId');
      expect(answer.status).toBe(422);
      expect(json).toMatchObject({ errors: [{ path: '/data/userId' }] });
    }
  });

  it('rejects a batch id with an unpaired surrogate as invalid, and stores nothing for it', async () => {
    const events = ['\ud800', '\udbff'].map((s) => ({
      id: `${uid('fz')}${s}`,
      type: 'user.deleted',
      occurredAt: new Date().toISOString(),
      data: { userId: uid('u') },
    }));
    ledger.touched();
    await ledger.settle();
    const answer = await signed(JSON.stringify({ events }), '/v1/events/batch');
    const json = expectApiAnswer(answer, 'lone surrogate batch ids') as {
      results: { status: string; errors?: { path: string; message: string }[] }[];
    };
    expect(answer.status).toBe(200);
    for (const r of json.results) {
      expect(r.status).toBe('rejected');
      expect(r.errors?.[0]).toMatchObject({ path: '/id', message: expect.stringMatching(/well-formed/) });
    }
    expect(await ledger.changes()).toEqual({});
  });
});
