/**
 * A Newsletter2Go emulator of a test file's own, spoken to over plain fetch: the emulator test
 * files (test/stack/n2g-*.test.ts) share its start, its reset and the calls they make to it, so
 * each file keeps only its tests and the schemas it reads answers through.
 *
 *   const emu = emulatorForFile({ lists, attributes }); // authKey, username, password: AUTH_KEY… below
 *   const { call, ctl, api, login } = emu;
 *
 * It starts the emulator before the file's tests, resets it (over the control API) before each
 * and closes it after them. Each call also takes `at`, another emulator's URL, for the tests that
 * start a second one with other options.
 */
import * as v from 'valibot';
import { afterAll, beforeAll, beforeEach, expect } from 'vitest';
import { startEmulator } from '../../stack/n2g-emulator/emulator.mjs';

export type Emulator = Awaited<ReturnType<typeof startEmulator>>;

/** `startEmulator`'s options; the credentials, which the calls log in with, default to the account below. */
export type EmulatorOptions = NonNullable<Parameters<typeof startEmulator>[0]>;

/** The account a file's emulator has unless the file names its own credentials. */
export const AUTH_KEY = 'key_emulator_tests:s3cr3t';
export const USERNAME = 'tests@portal.example';
export const PASSWORD = 'emulator tests password';

/** An answer as the test saw it; `json` is undefined when the body is empty or not JSON. */
export type Res = { status: number; headers: Headers; json: unknown; text: string };

export type CallInit = { headers?: Record<string, string>; body?: string; signal?: AbortSignal };

/** `token`: the bearer token to send, null for none; by default the file's own, logged in once per test. */
export type ApiOptions = { token?: string | null; signal?: AbortSignal; at?: string };

/** `authorization`: the header to send, null for none; by default Basic with the auth key. */
export type TokenCallOptions = { authorization?: string | null; form?: boolean };

export const JWT = 'https://nl2go.com/jwt';
export const JWT_REFRESH = 'https://nl2go.com/jwt_refresh';

export const basic = (key: string) => `Basic ${btoa(key)}`;

/** `_filter=…`, encoded for a query string. */
export const filter = (f: string) => `_filter=${encodeURIComponent(f)}`;

/**
 * What a test reads out of an answer, parsed rather than assumed: a body of another shape fails
 * here, naming the field. With loose object schemas every key the schema does not name is kept,
 * so the assertions still see the whole body.
 */
export function read<S extends v.GenericSchema>(schema: S, json: unknown): v.InferOutput<S> {
  const parsed = v.safeParse(schema, json);
  if (!parsed.success) {
    const issues = parsed.issues.map((i) => `${v.getDotPath(i) ?? 'body'}: ${i.message}`).join('; ');
    throw new Error(`unexpected JSON (${issues}): ${JSON.stringify(json)}`);
  }
  return parsed.output;
}

const Tokens = v.looseObject({ access_token: v.string(), refresh_token: v.string() });

/** Newsletter2Go's error body, `{status, code, errorMessage}`, with this status. */
export function expectErrorBody(r: Res, status: number) {
  expect(r.status).toBe(status);
  expect(r.json).toMatchObject({ status, code: expect.any(Number), errorMessage: expect.any(String) });
}

/** A 422 whose `moreInfo.errors` names `fieldName` (with this message, when given). */
export function expectValidation(r: Res, fieldName: string, message?: string) {
  expect(r.status).toBe(422);
  expect(r.json).toMatchObject({
    status: 422,
    code: 10003,
    errorMessage: 'Error during input validation',
    moreInfo: {
      errors: expect.arrayContaining([
        expect.objectContaining({ code: 10003, fieldName, message: message ?? expect.any(String) }),
      ]),
    },
  });
}

export interface EmulatorHttp {
  /** The running emulator's base URL (after the file's beforeAll). */
  readonly url: string;
  /** The running emulator's JS control interface. */
  readonly control: Emulator['control'];
  /** The bearer token `api` sends by default; '' until it logs in, and again after each reset. */
  token: string;
  /** Any request; the body is sent as given. */
  call(method: string, path: string, init?: CallInit, at?: string): Promise<Res>;
  /** A control route, `/_emulator${path}`, with a JSON body when one is given. */
  ctl(method: string, path: string, body?: unknown, at?: string): Promise<Res>;
  /** `POST /oauth/v2/token` with this body, JSON or form-encoded. */
  tokenCall(body: Record<string, string>, opts?: TokenCallOptions, at?: string): Promise<Res>;
  /** Logs in with the credentials (a 200 is expected) and returns both tokens. */
  login(at?: string): Promise<{ access: string; refresh: string }>;
  /** An API call with a bearer token and a JSON body when one is given. */
  api(method: string, path: string, body?: unknown, opts?: ApiOptions): Promise<Res>;
  /** `POST /_emulator/reset` (a 200 is expected), and the file's token forgotten. */
  reset(): Promise<void>;
  close(): Promise<void>;
}

/** Starts an emulator with these options for the test file that calls it (at its top level). */
export function emulatorForFile(start: EmulatorOptions): EmulatorHttp {
  const options = {
    ...start,
    authKey: start.authKey ?? AUTH_KEY,
    username: start.username ?? USERNAME,
    password: start.password ?? PASSWORD,
  };
  let emu: Emulator | undefined;
  let token = '';

  const running = () => {
    if (emu === undefined) throw new Error('the emulator is not running: use it inside a test or hook');
    return emu;
  };
  const base = () => running().url;

  const call = async (method: string, path: string, init: CallInit = {}, at = base()): Promise<Res> => {
    const r = await fetch(at + path, { method, headers: init.headers, body: init.body, signal: init.signal });
    const text = await r.text();
    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: r.status, headers: r.headers, json, text };
  };

  const ctl = (method: string, path: string, body?: unknown, at = base()) =>
    call(
      method,
      `/_emulator${path}`,
      body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) },
      at,
    );

  const tokenCall = (body: Record<string, string>, opts: TokenCallOptions = {}, at = base()) => {
    const headers: Record<string, string> = {
      'content-type': opts.form ? 'application/x-www-form-urlencoded' : 'application/json',
    };
    const auth = opts.authorization === undefined ? basic(options.authKey) : opts.authorization;
    if (auth !== null) headers.authorization = auth;
    return call(
      'POST',
      '/oauth/v2/token',
      { headers, body: opts.form ? new URLSearchParams(body).toString() : JSON.stringify(body) },
      at,
    );
  };

  const login = async (at = base()) => {
    const r = await tokenCall({ username: options.username, password: options.password, grant_type: JWT }, {}, at);
    expect(r.status).toBe(200);
    const t = read(Tokens, r.json);
    return { access: t.access_token, refresh: t.refresh_token };
  };

  /** The token to send: the one asked for; else the file's own (logged in once), or a new one at another emulator. */
  const bearer = async (opts: ApiOptions, at: string) => {
    if (opts.token !== undefined) return opts.token;
    if (at !== base()) return (await login(at)).access;
    if (token === '') token = (await login(at)).access;
    return token;
  };

  const api = async (method: string, path: string, body?: unknown, opts: ApiOptions = {}) => {
    const at = opts.at ?? base();
    const t = await bearer(opts, at);
    const headers: Record<string, string> = {};
    if (t !== null) headers.authorization = `Bearer ${t}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    return call(
      method,
      path,
      { headers, body: body === undefined ? undefined : JSON.stringify(body), signal: opts.signal },
      at,
    );
  };

  const reset = async () => {
    expect((await ctl('POST', '/reset')).status).toBe(200);
    token = ''; // reset drops every token
  };

  const close = async () => {
    const started = emu;
    emu = undefined;
    await started?.close();
  };

  beforeAll(async () => {
    emu = await startEmulator(options);
  });
  afterAll(close);
  beforeEach(reset);

  return {
    get url() {
      return base();
    },
    get control() {
      return running().control;
    },
    get token() {
      return token;
    },
    set token(value: string) {
      token = value;
    },
    call,
    ctl,
    tokenCall,
    login,
    api,
    reset,
    close,
  };
}
