import { describe, expect, it } from 'vitest';
import type { ContactData } from '../../src/ports/provider';
import { type ProviderError, RecipientGoneError, RetryableError } from '../../src/ports/provider-errors';
import type { SessionStore, StoredSession } from '../../src/ports/token-store';
import { Transport } from '../../src/providers/http/transport';
import { Newsletter2GoProvider } from '../../src/providers/newsletter2go/adapter';
import { TokenManager } from '../../src/providers/newsletter2go/auth';

/** How the adapter reads Newsletter2Go's answers (lists, upserts, tokens), through an injected fetch. */

const T0 = 1_800_000_000_000;
const LIST = 'list0001';
const EMPTY: StoredSession = {
  accessToken: null,
  refreshToken: null,
  expiresAt: null,
  loginError: null,
  loginErrorAt: null,
};
const VALID = { accessToken: 'tok-1', refreshToken: 'ref-1', expiresAt: T0 + 3_600_000 };

/** Enough of the session store for one caller at a time; auth has the faithful one. */
function memoryStore(initial: Partial<StoredSession>) {
  const state = { row: { ...EMPTY, ...initial }, locked: false };
  const store: SessionStore = {
    read: async () => ({ ...state.row }),
    tryLock: async () => {
      if (state.locked) return false;
      state.locked = true;
      return true;
    },
    save: async (tokens) => {
      Object.assign(state.row, tokens, { loginError: null, loginErrorAt: null });
      state.locked = false;
    },
    invalidate: async (token) => {
      if (state.row.accessToken === token) state.row.expiresAt = 0;
    },
    recordLoginError: async (message, at) => {
      Object.assign(state.row, { ...EMPTY, loginError: message, loginErrorAt: at });
      state.locked = false;
    },
    unlock: async () => {
      state.locked = false;
    },
  };
  return { store, state };
}

interface Seen {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
}

function setup(answer: (req: Seen) => unknown, session: Partial<StoredSession> = VALID) {
  const seen: Seen[] = [];
  const fetch: typeof globalThis.fetch = async (input, init) => {
    const url = new URL(String(input));
    const req = {
      method: init?.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      body: init?.body ? JSON.parse(String(init.body)) : undefined,
    };
    seen.push(req);
    const out = answer(req);
    return out instanceof Response ? out : Response.json(out);
  };
  const { store, state } = memoryStore(session);
  const transport = new Transport({
    label: 'Newsletter2Go',
    baseUrl: 'https://n2g.test',
    timeoutMs: 2000,
    maxRequestsPerSecond: 1e9,
    fetch,
  });
  const tokens = new TokenManager(
    transport,
    store,
    { authKey: 'k:s', username: 'u', password: 'p' },
    { now: () => T0 },
  );
  const provider = new Newsletter2GoProvider(transport, tokens, {
    limits: { timeoutMs: 2000, bulkSize: 100 },
    linkAttribute: 'unsubscribe_url',
  });
  return { provider, seen, state };
}

const envelope = (value: unknown[], info: Record<string, unknown> = {}, status = 200) => ({ status, info, value });
const person = (email: string): ContactData => ({
  externalId: `user-${email}`,
  email,
  firstName: 'F',
  lastName: 'L',
  gender: 'f',
  unsubscribeUrl: `https://u.test/${email}`,
});
const items = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `r${i}`, email: `u${i}@example.de` }));
const rejection = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: ProviderError) => e,
  );

describe('readMembers', () => {
  it('asks for one page with every field it maps, the list id encoded', async () => {
    const { provider, seen } = setup(() => envelope([]));
    await provider.readMembers('ab/cd', 100, 50);
    expect(seen).toEqual([
      {
        method: 'GET',
        path: '/lists/ab%2Fcd/recipients',
        query: {
          _expand: 'true',
          _fields: 'id,email,first_name,last_name,gender,is_unsubscribed,is_blacklisted,is_bounced',
          _limit: '50',
          _offset: '100',
        },
        body: undefined,
      },
    ]);
  });

  it('reads the flags in every spelling; blacklisted beats bounced beats unsubscribed', async () => {
    const { provider } = setup(() =>
      envelope(
        [
          {
            id: 'r1',
            email: 'a@x.de',
            first_name: 'Anna',
            last_name: 'A',
            gender: 'f',
            phone: '1',
            is_unsubscribed: false,
            is_blacklisted: 0,
            is_bounced: '0',
          },
          { id: 'r2', email: null, first_name: null, is_unsubscribed: true },
          { id: 'r3', is_unsubscribed: 1, is_bounced: '1' },
          { id: 'r4', is_unsubscribed: '1', is_bounced: 'true', is_blacklisted: '1' },
          { id: 'r5', is_unsubscribed: '1', is_blacklisted: 'false' },
        ],
        { count: 5 },
      ),
    );
    const page = await provider.readMembers(LIST, 0, 50);
    expect(page.items[0]).toEqual({
      contactId: 'r1',
      email: 'a@x.de',
      firstName: 'Anna',
      lastName: 'A',
      gender: 'f',
      status: 'subscribed',
    });
    expect(page.items[1]).toEqual({
      contactId: 'r2',
      email: '',
      firstName: '',
      lastName: '',
      gender: '',
      status: 'unsubscribed',
    });
    expect(page.items.map((i) => i.status)).toEqual([
      'subscribed',
      'unsubscribed',
      'bounced',
      'blacklisted',
      'unsubscribed',
    ]);
  });

  it.each([
    [
      '_next names a page',
      { count: 120, links: { _next: 'https://n2g.test/next' } },
      50,
      50,
      { next: 100, total: 120 },
    ],
    ['_next is null', { count: 120, links: { _next: null } }, 100, 20, { next: null, total: 120 }],
    ['no links, count says more', { count: 120 }, 0, 50, { next: 50, total: 120 }],
    ['no links, count reached', { count: 50 }, 0, 50, { next: null, total: 50 }],
    ['no info at all', {}, 10, 3, { next: null, total: 13 }],
    // An empty page ends the walk even if _next says otherwise: no endless paging.
    [
      '_next on an empty page',
      { count: 120, links: { _next: 'https://n2g.test/next' } },
      120,
      0,
      { next: null, total: 120 },
    ],
  ])('paging: %s', async (_label, info, offset, n, expected) => {
    const { provider } = setup(() => envelope(items(n), info));
    const page = await provider.readMembers(LIST, offset, 50);
    expect({ next: page.next, total: page.total }).toEqual(expected);
    expect(page.items).toHaveLength(n);
  });

  it.each([
    [
      'a recipient without an id',
      envelope([{ email: 'a@x.de' }]),
      'Newsletter2Go listed a recipient in an unexpected shape',
    ],
    [
      'a numeric id',
      envelope([{ id: 12345, email: 'a@x.de' }]),
      'Newsletter2Go listed a recipient in an unexpected shape',
    ],
    ['a body that is not JSON', new Response('OK', { status: 200 }), 'Newsletter2Go answered with an unexpected body'],
    ['value that is no array', { status: 200, value: { id: 'r1' } }, 'Newsletter2Go answered with an unexpected body'],
    ['a count that is a string', envelope([], { count: '5' }), 'Newsletter2Go answered with an unexpected body'],
  ])('%s: RetryableError', async (_label, body, message) => {
    const error = await rejection(setup(() => body).provider.readMembers(LIST, 0, 50));
    expect(error).toBeInstanceOf(RetryableError);
    expect(error.failure).toEqual({ message, code: null, httpStatus: 200 });
  });
});

describe('getList', () => {
  it('asks for the name (without _fields only {_href, id} come back) and reads it', async () => {
    const { provider, seen } = setup(() => envelope([{ _href: 'x', id: LIST, name: 'Kunden' }]));
    expect(await provider.getList(LIST)).toEqual({ listId: LIST, name: 'Kunden' });
    expect(seen[0]).toMatchObject({ method: 'GET', path: `/lists/${LIST}`, query: { _fields: 'id,name' } });
  });

  it('a list without a name has name null', async () => {
    expect(await setup(() => envelope([{ id: LIST }])).provider.getList(LIST)).toEqual({ listId: LIST, name: null });
  });

  it('an empty value: RecipientGoneError', async () => {
    const error = await rejection(setup(() => envelope([])).provider.getList(LIST));
    expect(error).toBeInstanceOf(RecipientGoneError);
    expect(error.failure).toEqual({ message: `List ${LIST} not found`, code: null, httpStatus: 404 });
  });
});

describe('subscribe: one recipient', () => {
  it('posts the single form and keeps value[0].id; the unsubscribe flag only on resubscribe', async () => {
    const { provider, seen } = setup(() => envelope([{ _href: 'x', id: 'rc000001' }], { count: 1 }));
    expect(await provider.subscribe(LIST, [person('anna@example.de')], { resubscribe: false })).toEqual([
      { status: 'stored', email: 'anna@example.de', contactId: 'rc000001' },
    ]);
    await provider.subscribe(LIST, [person('anna@example.de')], { resubscribe: true });
    const base = {
      list_id: LIST,
      email: 'anna@example.de',
      first_name: 'F',
      last_name: 'L',
      gender: 'f',
      unsubscribe_url: 'https://u.test/anna@example.de',
    };
    expect(seen.map((s) => [s.method, s.path, s.body])).toEqual([
      ['POST', '/recipients', base],
      ['POST', '/recipients', { ...base, is_unsubscribed: false }],
    ]);
  });

  it('an answer without an id: looked up by e-mail in the list, case-insensitively', async () => {
    const { provider, seen } = setup((req) =>
      req.method === 'POST' ? envelope([], { count: 1 }) : envelope([{ id: 'rc000002', email: 'anna@example.de' }]),
    );
    expect(await provider.subscribe(LIST, [person('Anna@Example.de')], { resubscribe: false })).toEqual([
      { status: 'stored', email: 'Anna@Example.de', contactId: 'rc000002' },
    ]);
    expect(seen[1]).toMatchObject({
      path: `/lists/${LIST}/recipients`,
      query: { _expand: 'true', _fields: 'id,email', _filter: 'email=="Anna@Example.de"', _limit: '1' },
    });
  });

  it('named in invalid_recipients: a refused item and no lookup', async () => {
    const { provider, seen } = setup(() =>
      envelope([], { count: 0, additional: { invalid_recipients: ['anna@example.de'] } }),
    );
    expect(await provider.subscribe(LIST, [person('anna@example.de')], { resubscribe: false })).toEqual([
      {
        status: 'refused',
        email: 'anna@example.de',
        error: {
          message: 'Newsletter2Go rejected the address as invalid (invalid_recipients)',
          code: 'invalid_recipient',
          httpStatus: 200,
        },
      },
    ]);
    expect(seen).toHaveLength(1);
  });

  it('a 2xx whose body cannot be read: the write stands, the id is looked up', async () => {
    const { provider, seen } = setup((req) =>
      req.method === 'POST'
        ? new Response('<html>ok</html>', { status: 200 })
        : envelope([{ id: 'rc000003', email: 'anna@example.de' }]),
    );
    expect(await provider.subscribe(LIST, [person('anna@example.de')], { resubscribe: false })).toEqual([
      { status: 'stored', email: 'anna@example.de', contactId: 'rc000003' },
    ]);
    expect(seen.map((s) => s.method)).toEqual(['POST', 'GET']);
  });
});

describe('subscribe: the array form', () => {
  it('posts one array, then reads the returned ids back in one call: `id=="…",id=="…"`', async () => {
    const { provider, seen } = setup((req) =>
      req.method === 'POST'
        ? envelope([{ id: 'rc1' }, { id: 'rc2' }], { count: 2 }, 201)
        : envelope([
            { id: 'rc2', email: 'bert@example.de' },
            { id: 'rc1', email: 'anna@example.de' },
          ]),
    );
    expect(
      await provider.subscribe(LIST, [person('Anna@Example.de'), person('bert@example.de')], { resubscribe: false }),
    ).toEqual([
      { status: 'stored', email: 'Anna@Example.de', contactId: 'rc1' },
      { status: 'stored', email: 'bert@example.de', contactId: 'rc2' },
    ]);
    expect(seen).toHaveLength(2);
    expect(seen[1]).toMatchObject({
      method: 'GET',
      path: `/lists/${LIST}/recipients`,
      query: { _expand: 'true', _fields: 'id,email', _filter: 'id=="rc1",id=="rc2"', _limit: '2' },
    });
  });

  it('reads every documented shape of invalid_recipients; the rest is looked up, never written again', async () => {
    const invalid = [
      'BAD@example.de', // a bare address, in another case
      { email: 'msg@example.de', message: 'Invalid email' },
      { email: 'err@example.de', errorMessage: 'Invalid domain' },
      { email: 'why@example.de', reason: 'Blocked' },
      42, // shapes naming no address: the affected addresses are looked up instead
      { reason: 'no address' },
    ];
    const { provider, seen } = setup((req) =>
      req.method === 'POST'
        ? envelope([{ id: 'rc1' }], { count: 2, additional: { invalid_recipients: invalid } }, 201)
        : req.query._filter?.startsWith('id==')
          ? envelope([{ id: 'rc1', email: 'anna@example.de' }])
          : envelope([]),
    );
    const emails = [
      'Anna@Example.de',
      'bad@example.de',
      'msg@example.de',
      'err@example.de',
      'why@example.de',
      'lost@example.de',
    ];
    const rejected = (message: string) => ({ message, code: 'invalid_recipient', httpStatus: 201 });
    expect(await provider.subscribe(LIST, emails.map(person), { resubscribe: false })).toEqual([
      { status: 'stored', email: 'Anna@Example.de', contactId: 'rc1' },
      {
        status: 'refused',
        email: 'bad@example.de',
        error: rejected('Newsletter2Go rejected the address as invalid (invalid_recipients)'),
      },
      { status: 'refused', email: 'msg@example.de', error: rejected('Invalid email') },
      { status: 'refused', email: 'err@example.de', error: rejected('Invalid domain') },
      { status: 'refused', email: 'why@example.de', error: rejected('Blocked') },
      {
        status: 'refused',
        email: 'lost@example.de',
        error: {
          message: 'Newsletter2Go accepted the address but no recipient was found for it',
          code: null,
          httpStatus: null,
        },
      },
    ]);
    expect(seen.map((s) => [s.method, s.query._filter])).toEqual([
      ['POST', undefined],
      ['GET', 'id=="rc1"'],
      ['GET', 'email=="lost@example.de"'],
    ]);
  });

  it('invalid_recipients keyed by index: read, not fatal', async () => {
    const { provider } = setup((req) =>
      req.method === 'POST'
        ? envelope([{ id: 'rc1' }], { additional: { invalid_recipients: { '1': { message: 'Nope' } } } }, 201)
        : envelope([{ id: 'rc1', email: 'a@x.de' }]),
    );
    const out = await provider.subscribe(LIST, [person('a@x.de'), person('b@x.de')], { resubscribe: false });
    expect(out).toEqual([
      { status: 'stored', email: 'a@x.de', contactId: 'rc1' },
      { status: 'refused', email: 'b@x.de', error: { message: 'Nope', code: 'invalid_recipient', httpStatus: 201 } },
    ]);
  });

  it('the read-back fails after a 2xx: every item is `written`, and nothing is posted again', async () => {
    const { provider, seen } = setup((req) =>
      req.method === 'POST'
        ? envelope([{ id: 'rc1' }, { id: 'rc2' }], {}, 201)
        : new Response(JSON.stringify({ status: 503, errorMessage: 'busy' }), { status: 503 }),
    );
    const out = await provider.subscribe(LIST, [person('a@x.de'), person('b@x.de')], { resubscribe: false });
    expect(out).toEqual([
      { status: 'written', email: 'a@x.de', failure: { message: 'busy', code: null, httpStatus: 503 } },
      { status: 'written', email: 'b@x.de', failure: { message: 'busy', code: null, httpStatus: 503 } },
    ]);
    expect(seen.filter((s) => s.method === 'POST')).toHaveLength(1);
  });

  it('every address rejected: no lookup at all', async () => {
    const { provider, seen } = setup(() =>
      envelope([], { additional: { invalid_recipients: ['a@x.de', 'b@x.de'] } }, 201),
    );
    const out = await provider.subscribe(LIST, [person('a@x.de'), person('b@x.de')], { resubscribe: false });
    expect(out.map((r) => r.status)).toEqual(['refused', 'refused']);
    expect(seen).toHaveLength(1);
  });

  it('no ids in the answer: the addresses are looked up, as many per call as fit in 4,096 bytes', async () => {
    const { provider, seen } = setup((req) => (req.method === 'POST' ? envelope([], {}, 201) : envelope([])));
    await provider.subscribe(
      LIST,
      items(300).map((i) => person(i.email)),
      { resubscribe: false },
    );
    const gets = seen.slice(1);
    expect(gets.length).toBeGreaterThan(1);
    expect(gets.flatMap((g) => (g.query._filter ?? '').split(','))).toHaveLength(300);
    for (const g of gets) expect(g.query._limit).toBe(String((g.query._filter ?? '').split(',').length));
  });

  it('no items: no call', async () => {
    const { provider, seen } = setup(() => envelope([]));
    expect(await provider.subscribe(LIST, [], { resubscribe: true })).toEqual([]);
    expect(seen).toHaveLength(0);
  });
});

describe('token responses', () => {
  it('keeps access and refresh token for expires_in seconds', async () => {
    const { provider, seen, state } = setup(
      () => ({
        access_token: 'a1',
        refresh_token: 'r1',
        expires_in: 3600,
        token_type: 'bearer',
        scope: null,
        account_id: 'awtfn5jn',
      }),
      {},
    );
    await provider.checkLogin();
    expect(seen.map((s) => s.path)).toEqual(['/oauth/v2/token']);
    expect(state.row).toMatchObject({ accessToken: 'a1', refreshToken: 'r1', expiresAt: T0 + 3_600_000 });
    expect(state.locked).toBe(false);
  });

  it('without refresh_token and expires_in: 2 hours, and the next renewal logs in with the password', async () => {
    const { provider, seen, state } = setup(
      (req) =>
        req.path === '/oauth/v2/token' ? { access_token: `a${seen.length}` } : new Response('', { status: 401 }),
      {},
    );
    await provider.checkLogin();
    expect(state.row).toMatchObject({ accessToken: 'a1', refreshToken: null, expiresAt: T0 + 7_200_000 });
    await rejection(provider.unsubscribe({ listId: LIST, contactId: 'rc000001' }));
    const grants = seen
      .filter((s) => s.path === '/oauth/v2/token')
      .map((s) => (s.body as { grant_type: string }).grant_type);
    expect(grants).toEqual(['https://nl2go.com/jwt', 'https://nl2go.com/jwt']);
  });

  it.each([
    ['an empty object', '{}'],
    ['an empty access token', '{"access_token":""}'],
    ['a numeric access token', '{"access_token":5}'],
    ['expires_in as a string', '{"access_token":"a1","expires_in":"7200"}'],
    ['no JSON', 'ok'],
  ])('a 200 with %s: RetryableError, nothing kept, lock released', async (_label, raw) => {
    const { provider, state } = setup(() => new Response(raw, { status: 200 }), {});
    const error = await rejection(provider.checkLogin());
    expect(error).toBeInstanceOf(RetryableError);
    expect(error.failure).toEqual({
      message: 'Newsletter2Go answered the login with an unexpected body',
      code: null,
      httpStatus: 200,
    });
    expect(state.row.accessToken).toBeNull();
    expect(state.locked).toBe(false);
  });
});
