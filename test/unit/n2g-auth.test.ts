import { describe, expect, it } from 'vitest';
import { CredentialsRefusedError, RetryableError } from '../../src/ports/provider-errors';
import type { SessionStore, StoredSession } from '../../src/ports/token-store';
import { Transport } from '../../src/providers/http/transport';
import { TokenManager } from '../../src/providers/newsletter2go/auth';

const CREDS = { authKey: 'key_abc:secret', username: 'ops@example.de', password: 'pw' };
const PASSWORD_GRANT = 'https://nl2go.com/jwt';
const REFRESH_GRANT = 'https://nl2go.com/jwt_refresh';
const T0 = 1_800_000_000_000;
const EMPTY: StoredSession = {
  accessToken: null,
  refreshToken: null,
  expiresAt: null,
  loginError: null,
  loginErrorAt: null,
};
const EXPIRED = { accessToken: 'a1', refreshToken: 'r1', expiresAt: T0 - 1 };

const yieldTurn = () => new Promise<void>((r) => setTimeout(r, 0));

/** Twin of dbSessionStore (src/db/provider-sessions.ts): one row, free when lockUntil is null or past. */
class MemoryStore implements SessionStore {
  row: (StoredSession & { lockUntil: number | null }) | null;
  constructor(initial?: Partial<StoredSession>) {
    this.row = initial ? { ...EMPTY, lockUntil: null, ...initial } : null;
  }
  async read() {
    await yieldTurn();
    return this.row ? { ...this.row } : null;
  }
  async tryLock(now: number, holdMs: number) {
    await yieldTurn();
    this.row ??= { ...EMPTY, lockUntil: null }; // the INSERT … ON CONFLICT DO NOTHING
    if (this.row.lockUntil !== null && this.row.lockUntil >= now) return false;
    this.row.lockUntil = now + holdMs;
    return true;
  }
  async save(tokens: { accessToken: string; refreshToken: string | null; expiresAt: number }, _now: number) {
    await yieldTurn();
    if (this.row) Object.assign(this.row, tokens, { lockUntil: null, loginError: null, loginErrorAt: null });
  }
  async invalidate(accessToken: string) {
    await yieldTurn();
    if (this.row && this.row.accessToken === accessToken) this.row.expiresAt = 0;
  }
  async recordLoginError(message: string, now: number) {
    await yieldTurn();
    if (this.row) Object.assign(this.row, { ...EMPTY, loginError: message, loginErrorAt: now, lockUntil: null });
  }
  async unlock() {
    await yieldTurn();
    if (this.row) this.row.lockUntil = null;
  }
}

interface Seen {
  path: string;
  authorization: string | null;
  body: Record<string, string>;
}
type Answer = (req: Seen, n: number) => Response | Promise<Response>;

function tokenEndpoint(answer: Answer) {
  const seen: Seen[] = [];
  const fetch: typeof globalThis.fetch = async (input, init) => {
    const req = {
      path: new URL(String(input)).pathname,
      authorization: new Headers(init?.headers).get('authorization'),
      body: JSON.parse(String(init?.body)) as Record<string, string>,
    };
    seen.push(req);
    return answer(req, seen.length);
  };
  return { fetch, seen };
}

/** Answers in order; a call beyond the script is a test failure, seen in `seen.length`. */
const script =
  (...answers: Response[]): Answer =>
  (_req, n) =>
    answers[n - 1] ?? new Response('unscripted', { status: 599 });
const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status });
const granted = (access: string, refresh?: string) =>
  json(200, {
    access_token: access,
    expires_in: 7200,
    token_type: 'bearer',
    ...(refresh ? { refresh_token: refresh } : {}),
  });
const invalidGrant = (description = 'Invalid username and password combination') =>
  json(400, { error: 'invalid_grant', error_description: description });
const refreshBody = (token: string) => ({ refresh_token: token, grant_type: REFRESH_GRANT });
const passwordBody = { username: CREDS.username, password: CREDS.password, grant_type: PASSWORD_GRANT };

function setup(answer: Answer, now?: () => number) {
  const clock = { t: T0 };
  const endpoint = tokenEndpoint(answer);
  const transport = new Transport({
    label: 'Newsletter2Go',
    baseUrl: 'https://n2g.test',
    timeoutMs: 2000,
    maxRequestsPerSecond: 1e9,
    fetch: endpoint.fetch,
  });
  const manager = (store: SessionStore) =>
    new TokenManager(transport, store, CREDS, { now: now ?? (() => clock.t), loginRetryAfterMs: 60_000 });
  return { clock, seen: endpoint.seen, manager };
}

/** The same store seen by one caller, with some of its steps held back to force an interleaving. */
const view = (s: SessionStore, hold: Partial<SessionStore>): SessionStore => ({
  read: () => s.read(),
  tryLock: (now, ms) => s.tryLock(now, ms),
  save: (tokens, now) => s.save(tokens, now),
  invalidate: (token) => s.invalidate(token),
  recordLoginError: (message, now) => s.recordLoginError(message, now),
  unlock: () => s.unlock(),
  ...hold,
});

function signal() {
  let fire!: () => void;
  const fired = new Promise<void>((r) => (fire = r));
  return { fire, fired };
}

/**
 * Two managers on one store, in the order the lock bugs needed: B reads the session; only then
 * does A take the lock; B takes it only after A has finished (`save`d a token or recorded a
 * refused login) and let it go.
 */
function lockedInTurn(
  store: SessionStore,
  manager: (s: SessionStore) => TokenManager,
  aFinishes: 'save' | 'recordLoginError',
) {
  const bHasRead = signal();
  const aHasFinished = signal();
  const a = manager(
    view(store, {
      tryLock: async (now, ms) => {
        await bHasRead.fired;
        return store.tryLock(now, ms);
      },
      ...(aFinishes === 'save'
        ? {
            save: async (tokens, now) => {
              await store.save(tokens, now);
              aHasFinished.fire();
            },
          }
        : {
            recordLoginError: async (message, now) => {
              await store.recordLoginError(message, now);
              aHasFinished.fire();
            },
          }),
    }),
  );
  const b = manager(
    view(store, {
      read: async () => {
        const s = await store.read();
        bHasRead.fire();
        return s;
      },
      tryLock: async (now, ms) => {
        await aHasFinished.fired;
        return store.tryLock(now, ms);
      },
    }),
  );
  return [a, b] as const;
}

describe('TokenManager: a stored token', () => {
  it('is used without a call while it is more than a minute from expiry', async () => {
    const store = new MemoryStore({ accessToken: 'a1', expiresAt: T0 + 60_001 });
    const { seen, manager } = setup(script());
    expect(await manager(store).token()).toBe('a1');
    expect(seen).toHaveLength(0);
  });

  it('is kept in memory: a second call needs neither the store nor the endpoint', async () => {
    const store = new MemoryStore({ accessToken: 'a1', expiresAt: T0 + 3_600_000 });
    const { seen, manager } = setup(script());
    const tokens = manager(store);
    await tokens.token();
    store.row = null;
    expect(await tokens.token()).toBe('a1');
    expect(seen).toHaveLength(0);
  });

  it('is refreshed within the one-minute margin, with the auth key as Basic credentials', async () => {
    const store = new MemoryStore({ accessToken: 'a1', refreshToken: 'r1', expiresAt: T0 + 60_000 });
    const { seen, manager } = setup(script(granted('a2', 'r2')));
    expect(await manager(store).token()).toBe('a2');
    expect(seen).toEqual([
      { path: '/oauth/v2/token', authorization: `Basic ${btoa(CREDS.authKey)}`, body: refreshBody('r1') },
    ]);
    expect(store.row).toMatchObject({
      accessToken: 'a2',
      refreshToken: 'r2',
      expiresAt: T0 + 7_200_000,
      lockUntil: null,
    });
  });

  it('is forgotten when the provider refuses it, so the next call renews', async () => {
    const store = new MemoryStore({ accessToken: 'a1', refreshToken: 'r1', expiresAt: T0 + 3_600_000 });
    const { seen, manager } = setup(script(granted('a2', 'r2')));
    const tokens = manager(store);
    await tokens.token();
    await tokens.refused('a1');
    expect(store.row?.expiresAt).toBe(0);
    expect(await tokens.token()).toBe('a2');
    expect(seen.map((s) => s.body)).toEqual([refreshBody('r1')]);
  });

  it('is not forgotten when the refused token is an older one another caller already replaced', async () => {
    const store = new MemoryStore({ accessToken: 'a2', expiresAt: T0 + 3_600_000 });
    await setup(script()).manager(store).refused('a1');
    expect(store.row?.expiresAt).toBe(T0 + 3_600_000);
  });
});

describe('TokenManager: password login', () => {
  it('logs in with the password when nothing is stored', async () => {
    const store = new MemoryStore();
    const { seen, manager } = setup(script(granted('a1', 'r1')));
    expect(await manager(store).token()).toBe('a1');
    expect(seen.map((s) => s.body)).toEqual([passwordBody]);
    expect(store.row).toMatchObject({ accessToken: 'a1', refreshToken: 'r1', lockUntil: null });
  });

  // Every reading of "the refresh token is no good" the spec leaves open falls back to the password.
  it.each([
    ['401 invalid_grant', json(401, { error: 'invalid_grant' })],
    ['401 with an empty body', new Response('', { status: 401 })],
    ['400 invalid_grant', invalidGrant('Invalid refresh token')],
  ])('after a refused refresh (%s)', async (_label, refusal) => {
    const store = new MemoryStore(EXPIRED);
    const { seen, manager } = setup(script(refusal, granted('a2', 'r2')));
    expect(await manager(store).token()).toBe('a2');
    expect(seen.map((s) => s.body)).toEqual([refreshBody('r1'), passwordBody]);
    expect(store.row).toMatchObject({ accessToken: 'a2', refreshToken: 'r2', lockUntil: null });
  });

  it('refused: records the error, throws CredentialsRefusedError and waits out the retry window', async () => {
    const store = new MemoryStore(EXPIRED);
    const { clock, seen, manager } = setup(
      script(invalidGrant('Invalid refresh token'), invalidGrant(), granted('a3', 'r3')),
    );
    const tokens = manager(store);
    const first = await tokens.token().catch((e: unknown) => e);
    expect(first).toBeInstanceOf(CredentialsRefusedError);
    expect((first as CredentialsRefusedError).failure).toEqual({
      message: 'Invalid username and password combination',
      code: 'invalid_grant',
      httpStatus: 400,
    });
    expect(store.row).toEqual({
      ...EMPTY,
      loginError: 'Invalid username and password combination',
      loginErrorAt: T0,
      lockUntil: null,
    });

    // Within the window the stored refusal answers, and the account is not asked again.
    clock.t = T0 + 59_999;
    await expect(tokens.token()).rejects.toThrow(CredentialsRefusedError);
    await expect(manager(store).token()).rejects.toThrow('Invalid username and password combination');
    expect(seen).toHaveLength(2);

    // Once it has passed, one password login (the refresh token went with the refusal).
    clock.t = T0 + 60_000;
    expect(await tokens.token()).toBe('a3');
    expect(seen.map((s) => s.body)).toEqual([refreshBody('r1'), passwordBody, passwordBody]);
    expect(store.row).toMatchObject({ loginError: null, loginErrorAt: null, refreshToken: 'r3' });
  });

  it("refused for a bad auth key: the provider's own code and words", async () => {
    const store = new MemoryStore();
    const refusal = json(400, {
      error: 'invalid_client',
      error_description: 'Client id was not found in the headers or body',
    });
    const error = await setup(script(refusal))
      .manager(store)
      .token()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CredentialsRefusedError);
    expect((error as CredentialsRefusedError).failure).toEqual({
      message: 'Client id was not found in the headers or body',
      code: 'invalid_client',
      httpStatus: 400,
    });
  });
});

describe('TokenManager: transient failures of the token endpoint', () => {
  it.each([
    ['refresh', 503, { errorMessage: 'Service unavailable' }, 'Service unavailable'],
    ['refresh', 429, { errorMessage: 'Too many requests' }, 'Too many requests'],
    ['login', 500, '', 'HTTP 500 without a body'],
    ['login', 429, { error_message: 'Slow down' }, 'Slow down'],
  ] as const)(
    '%s answered %i: RetryableError, lock released, nothing recorded',
    async (step, status, body, message) => {
      const store = new MemoryStore(step === 'refresh' ? EXPIRED : undefined);
      const raw = typeof body === 'string' ? body : JSON.stringify(body);
      const { seen, manager } = setup(script(new Response(raw, { status }), new Response(raw, { status })));
      const error = await manager(store)
        .token()
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RetryableError);
      expect((error as RetryableError).failure).toEqual({ message, code: null, httpStatus: status });
      // A 5xx is asked once more at once (a grant may be repeated); a 429 is not. A transient
      // refusal of the refresh does not spend a password login.
      expect(seen).toHaveLength(status >= 500 ? 2 : 1);
      expect(store.row).toMatchObject({
        lockUntil: null,
        loginError: null,
        refreshToken: step === 'refresh' ? 'r1' : null,
      });
    },
  );

  it('one 5xx of the token endpoint is tried again at once, and the grant then kept', async () => {
    const store = new MemoryStore();
    const { seen, manager } = setup(script(json(503, { errorMessage: 'busy' }), granted('a1', 'r1')));
    expect(await manager(store).token()).toBe('a1');
    expect(seen).toHaveLength(2);
  });

  it('a network failure: RetryableError and the lock released', async () => {
    const store = new MemoryStore(EXPIRED);
    const { manager } = setup(() => Promise.reject(new TypeError('fetch failed')));
    const error = await manager(store)
      .token()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetryableError);
    expect((error as RetryableError).failure).toMatchObject({ code: 'network', httpStatus: null });
    expect(store.row).toMatchObject({ lockUntil: null, refreshToken: 'r1' });
  });

  it('a lock held elsewhere past the wait: RetryableError, and no call of its own', async () => {
    const store = new MemoryStore({ ...EXPIRED });
    if (store.row) store.row.lockUntil = T0 + 10 ** 9;
    let t = T0;
    // Each reading of the clock moves it a second on, so the 5 s wait ends after a few steps.
    const { seen, manager } = setup(script(), () => (t += 1000));
    await expect(manager(store).token()).rejects.toThrow('Another worker is logging in to Newsletter2Go; try again');
    expect(seen).toHaveLength(0);
  });
});

describe('TokenManager: one renewal at a time', () => {
  /** Newsletter2Go (one reading): each refresh returns a new refresh token; a used one is refused. */
  function singleUseRefresh() {
    const live = new Set(['r1']);
    let n = 1;
    return (req: Seen) => {
      if (req.body.grant_type === REFRESH_GRANT && !live.delete(req.body.refresh_token ?? ''))
        return invalidGrant('Invalid refresh token');
      n++;
      live.add(`r${n}`);
      return granted(`a${n}`, `r${n}`);
    };
  }

  it('several calls on one manager renew once', async () => {
    const store = new MemoryStore(EXPIRED);
    const { seen, manager } = setup(singleUseRefresh());
    const tokens = manager(store);
    const got = await Promise.all([1, 2, 3, 4, 5].map(() => tokens.token()));
    expect(got).toEqual(['a2', 'a2', 'a2', 'a2', 'a2']);
    expect(seen.map((s) => s.body)).toEqual([refreshBody('r1')]);
  });

  it('calls on two managers sharing one store renew once', async () => {
    const store = new MemoryStore(EXPIRED);
    const { seen, manager } = setup(singleUseRefresh());
    const [a, b] = [manager(store), manager(store)];
    const got = await Promise.all([a, b, a, b, a, b].map((m) => m.token()));
    expect(got).toEqual(Array(6).fill('a2'));
    expect(seen.map((s) => s.body)).toEqual([refreshBody('r1')]);
  });

  it('a manager that takes the lock after another renewed does not send the stale refresh token', async () => {
    const store = new MemoryStore(EXPIRED);
    const { clock, seen, manager } = setup(singleUseRefresh());
    // The bug's interleaving, forced: B reads the expired session naming r1; A takes the lock,
    // renews (r1 is now used up) and releases it; only then does B take the lock.
    const [a, b] = lockedInTurn(store, manager, 'save');
    expect(await Promise.all([a.token(), b.token()])).toEqual(['a2', 'a2']);
    // With the stale r1, B's refresh would be refused and a password login would follow.
    expect(seen.map((s) => s.body)).toEqual([refreshBody('r1')]);
    expect(store.row).toMatchObject({ accessToken: 'a2', refreshToken: 'r2', lockUntil: null });

    // The next renewal, by either manager, sends the refresh token the first one returned.
    clock.t += 7_200_000;
    expect(await b.token()).toBe('a3');
    expect(seen.map((s) => s.body)).toEqual([refreshBody('r1'), refreshBody('r2')]);
  });

  it('a manager that takes the lock after a refused login sends no second login', async () => {
    // Nothing stored: both need a login. B reads; A takes the lock, its password is refused, it
    // records that and releases the lock; then B takes the lock and must honour the refusal.
    const store = new MemoryStore(EMPTY);
    const { seen, manager } = setup(script(invalidGrant()));
    const [a, b] = lockedInTurn(store, manager, 'recordLoginError');
    const results = await Promise.allSettled([a.token(), b.token()]);
    for (const r of results) expect(r.status === 'rejected' && r.reason instanceof CredentialsRefusedError).toBe(true);
    expect(seen.map((x) => x.body)).toEqual([passwordBody]);
    expect(store.row).toMatchObject({ lockUntil: null, loginError: 'Invalid username and password combination' });
  });
});
