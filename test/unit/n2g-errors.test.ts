import { describe, expect, it } from 'vitest';
import type { ProviderFailure } from '../../src/ports/provider';
import {
  PermanentError,
  type ProviderError,
  RateLimitedError,
  RecipientGoneError,
  RetryableError,
} from '../../src/ports/provider-errors';
import type { SessionStore, StoredSession } from '../../src/ports/token-store';
import { Transport } from '../../src/providers/http/transport';
import { Newsletter2GoProvider } from '../../src/providers/newsletter2go/adapter';
import { TokenManager } from '../../src/providers/newsletter2go/auth';

/** How the adapter classifies what Newsletter2Go answers, driven through an injected fetch. */

const REF = { listId: 'list0001', contactId: 'rcpt0001' };

/** Enough of the session store for an adapter with a valid token (auth has the faithful one). */
function memoryStore(): SessionStore & { row: StoredSession } {
  const row: StoredSession = {
    accessToken: 'tok-1',
    refreshToken: 'ref-1',
    expiresAt: 8.64e15,
    loginError: null,
    loginErrorAt: null,
  };
  return {
    row,
    read: async () => ({ ...row }),
    tryLock: async () => true,
    save: async (tokens) => void Object.assign(row, tokens),
    invalidate: async (token) => {
      if (row.accessToken === token) row.expiresAt = 0;
    },
    recordLoginError: async (message, at) => void Object.assign(row, { loginError: message, loginErrorAt: at }),
    unlock: async () => undefined,
  };
}

type ApiAnswer = Response | ((signal: AbortSignal) => Promise<Response>);
interface Seen {
  method: string;
  path: string;
  authorization: string | null;
  body: unknown;
}

/** The API answers from the queue; the token endpoint hands out tok-2, tok-3, … */
function setup(answers: ApiAnswer[], timeoutMs = 2000) {
  const seen: Seen[] = [];
  let issued = 1;
  const fetch: typeof globalThis.fetch = async (input, init) => {
    const url = new URL(String(input));
    seen.push({
      method: init?.method ?? 'GET',
      path: url.pathname,
      authorization: new Headers(init?.headers).get('authorization'),
      body: init?.body ? JSON.parse(String(init.body)) : undefined,
    });
    if (url.pathname === '/oauth/v2/token') {
      issued++;
      return Response.json({ access_token: `tok-${issued}`, refresh_token: `ref-${issued}`, expires_in: 7200 });
    }
    const next = answers.shift();
    if (!next) return new Response('unscripted', { status: 599 });
    return typeof next === 'function' ? next(init?.signal as AbortSignal) : next;
  };
  const transport = new Transport({
    label: 'Newsletter2Go',
    baseUrl: 'https://n2g.test',
    timeoutMs,
    maxRequestsPerSecond: 1e9,
    fetch,
  });
  const provider = new Newsletter2GoProvider(
    transport,
    new TokenManager(transport, memoryStore(), { authKey: 'k:s', username: 'u', password: 'p' }),
    { limits: { timeoutMs, bulkSize: 100 }, linkAttribute: 'unsubscribe_url' },
  );
  return { provider, seen };
}

const answer = (status: number, body: unknown = '', headers: Record<string, string> = {}) =>
  new Response(typeof body === 'string' ? body : JSON.stringify(body), { status, headers });

async function failureOf(...answers: ApiAnswer[]): Promise<ProviderError> {
  const { provider } = setup(answers);
  return provider.unsubscribe(REF).then(
    () => {
      throw new Error('expected the call to fail');
    },
    (e: ProviderError) => e,
  );
}

function expectError(error: ProviderError, kind: new (...a: never[]) => ProviderError, failure: ProviderFailure) {
  expect(error).toBeInstanceOf(kind);
  expect(error.failure).toEqual(failure);
  expect(error.message).toBe(failure.message);
}

describe('refusals that repeating will not change', () => {
  const duplicate = 'Duplicate value "anna@example.de" for column "email"';
  it.each([
    ['400 code 1062 with errorMessage', 400, { status: 400, code: 1062, errorMessage: duplicate }, duplicate, '1062'],
    ['400 code 1062 with error_message (Swagger)', 400, { code: 1062, error_message: duplicate }, duplicate, '1062'],
    [
      '400 with both spellings: errorMessage first',
      400,
      { errorMessage: 'first', error_message: 'second' },
      'first',
      null,
    ],
    [
      '400 OAuth body (not invalid_grant)',
      400,
      { error: 'invalid_client', error_description: 'Client id was not found in the headers or body' },
      'Client id was not found in the headers or body',
      'invalid_client',
    ],
    ['400 with only an error string', 400, { error: 'bad_request' }, 'bad_request', 'bad_request'],
    ['400 with a plain message', 400, { message: 'Bad request' }, 'Bad request', null],
    ['400 with a string code', 400, { code: 'E42', errorMessage: 'x' }, 'x', 'E42'],
    ['400 with an error object', 400, { error: { reason: 'x' } }, 'HTTP 400', null],
    ['400 with a JSON array', 400, [1, 2], 'HTTP 400', null],
    ['403', 403, { status: 403, errorMessage: 'Forbidden' }, 'Forbidden', null],
    ['409 with an empty body', 409, '', 'HTTP 409 without a body', null],
    ['412 with a text body', 412, '  Precondition Failed\n', 'Precondition Failed', null],
    [
      '422 with errorMessage and moreInfo',
      422,
      {
        status: 422,
        code: 10003,
        errorMessage: 'Error during input validation',
        moreInfo: { errors: [{ code: 10003, fieldName: 'email', message: 'is invalid' }] },
      },
      'Error during input validation: email is invalid',
      '10003',
    ],
    [
      '422 with moreInfo only',
      422,
      {
        code: 10003,
        moreInfo: { errors: [{ fieldName: 'email', message: 'is invalid' }, { fieldName: 'gender' }, {}] },
      },
      'email is invalid; gender',
      '10003',
    ],
    ['422 with empty moreInfo', 422, { moreInfo: { errors: [] } }, 'HTTP 422', null],
  ])('%s: PermanentError', async (_label, status, body, message, code) => {
    expectError(await failureOf(answer(status, body)), PermanentError, { message, code, httpStatus: status });
  });

  it('a non-JSON body is kept verbatim up to 500 characters', async () => {
    const error = await failureOf(answer(400, `<html>${'x'.repeat(600)}</html>`));
    expectError(error, PermanentError, { message: `<html>${'x'.repeat(494)}`, code: null, httpStatus: 400 });
  });
});

describe('404: the list or recipient is gone', () => {
  it.each([
    [{ status: 404, errorMessage: 'No record found' }, 'No record found'],
    ['', 'HTTP 404 without a body'],
  ])('%j: RecipientGoneError', async (body, message) => {
    expectError(await failureOf(answer(404, body)), RecipientGoneError, { message, code: null, httpStatus: 404 });
  });
});

describe('provider faults: try again', () => {
  it.each([
    [500, '', 'HTTP 500 without a body'],
    [502, '<html><body>Bad Gateway</body></html>', '<html><body>Bad Gateway</body></html>'],
    [503, { status: 503, errorMessage: 'Service unavailable' }, 'Service unavailable'],
    [408, { error_message: 'Request timeout' }, 'Request timeout'],
  ])('%i without Retry-After: RetryableError', async (status, body, message) => {
    expectError(await failureOf(answer(status, body)), RetryableError, { message, code: null, httpStatus: status });
  });

  it('a 502 whose Retry-After cannot be read is retried on the usual schedule', async () => {
    expectError(await failureOf(answer(502, '', { 'retry-after': 'soon' })), RetryableError, {
      message: 'HTTP 502 without a body',
      code: null,
      httpStatus: 502,
    });
  });
});

describe('rate limits and Retry-After', () => {
  // The real clock, not a faked one: the transport's pacing slot is module state read from
  // Date.now(), and a faked time would hold back or rush the requests of other tests.
  const later = (ms: number) => new Date(Date.now() + ms).toUTCString();
  it.each([
    [429, undefined, null],
    [429, '30', 30_000],
    [429, '0', 0],
    [429, '-5', 0],
    [429, 'soon', null],
    [429, 'HTTP date', 'two minutes'],
    [429, 'past date', 0],
    [503, '10', 10_000],
    [500, 'HTTP date', 'two minutes'],
  ] as const)('%i with Retry-After %s: RateLimitedError, wait %s', async (status, header, wait) => {
    const value = header === 'HTTP date' ? later(120_000) : header === 'past date' ? later(-60_000) : header;
    const error = await failureOf(
      answer(status, { errorMessage: 'Too many requests' }, value === undefined ? {} : { 'retry-after': value }),
    );
    expectError(error, RateLimitedError, { message: 'Too many requests', code: null, httpStatus: status });
    const { retryAfterMs } = error as RateLimitedError;
    if (wait !== 'two minutes') return void expect(retryAfterMs).toBe(wait);
    // An HTTP date has whole seconds: two minutes ahead reads as a little under 120 s.
    expect(retryAfterMs).toBeGreaterThan(118_000);
    expect(retryAfterMs).toBeLessThanOrEqual(120_000);
  });
});

describe('a refused access token', () => {
  it('401 renews the token once and repeats the call with the new one', async () => {
    const { provider, seen } = setup([answer(401), answer(200, { status: 200, info: { count: 1 }, value: [] })]);
    await provider.unsubscribe(REF);
    expect(seen.map((s) => `${s.method} ${s.path} ${s.authorization}`)).toEqual([
      'PATCH /lists/list0001/recipients/rcpt0001 Bearer tok-1',
      `POST /oauth/v2/token Basic ${btoa('k:s')}`,
      'PATCH /lists/list0001/recipients/rcpt0001 Bearer tok-2',
    ]);
    expect(seen[1]?.body).toEqual({ refresh_token: 'ref-1', grant_type: 'https://nl2go.com/jwt_refresh' });
  });

  // Refused again right after a renewal: the login's trouble, so the transfer waits (retryable).
  it.each([
    [401, '', 'HTTP 401 without a body', null],
    [
      401,
      { error: 'invalid_grant', error_description: 'The access token provided has expired' },
      'The access token provided has expired',
      'invalid_grant',
    ],
    [400, { error: 'invalid_grant', error_description: 'Invalid token' }, 'Invalid token', 'invalid_grant'],
  ])('%i %j twice: RetryableError after one renewal', async (status, body, message, code) => {
    const { provider, seen } = setup([answer(status, body), answer(status, body)]);
    const error = await provider.unsubscribe(REF).catch((e: ProviderError) => e);
    expectError(error as ProviderError, RetryableError, { message, code, httpStatus: status });
    expect(seen.map((s) => s.path)).toEqual([
      '/lists/list0001/recipients/rcpt0001',
      '/oauth/v2/token',
      '/lists/list0001/recipients/rcpt0001',
    ]);
  });
});

describe('no answer at all', () => {
  it('a timeout aborts the request: RetryableError "timeout"', async () => {
    const hang = (signal: AbortSignal) =>
      new Promise<Response>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
    const { provider } = setup([hang], 20);
    const error = (await provider.unsubscribe(REF).catch((e: ProviderError) => e)) as ProviderError;
    expectError(error, RetryableError, {
      message: 'Newsletter2Go did not answer within 20 ms',
      code: 'timeout',
      httpStatus: null,
    });
  });

  it('an AbortError counts as a timeout too', async () => {
    const error = await failureOf(() => Promise.reject(new DOMException('aborted', 'AbortError')));
    expectError(error, RetryableError, {
      message: 'Newsletter2Go did not answer within 2000 ms',
      code: 'timeout',
      httpStatus: null,
    });
  });

  it.each([
    [new TypeError('fetch failed'), 'fetch failed'],
    ['socket hang up', 'socket hang up'],
  ])('a network failure (%s): RetryableError "network"', async (thrown, text) => {
    const error = await failureOf(() => Promise.reject(thrown));
    expectError(error, RetryableError, {
      message: `Newsletter2Go could not be reached: ${text}`,
      code: 'network',
      httpStatus: null,
    });
  });

  it('a body cut off while reading is a network failure, not a parse error', async () => {
    const broken = new ReadableStream({ pull: (c) => c.error(new TypeError('terminated')) });
    const error = await failureOf(new Response(broken, { status: 200 }));
    expectError(error, RetryableError, {
      message: 'Newsletter2Go could not be reached: terminated',
      code: 'network',
      httpStatus: null,
    });
  });
});
