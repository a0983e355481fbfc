/**
 * A Brevo emulator of a test file's own, spoken to over plain fetch (test/stack/brevo-*.test.ts):
 * it starts before the file's tests, is reset over the control API before each and closes after
 * them.
 *
 *   const brevo = brevoForFile({ lists });   // apiKey: API_KEY below unless the file names its own
 *   const { api, ctl, call } = brevo;
 *
 * Each call also takes `at`, another emulator's URL, for the tests that start a second one with
 * other options.
 */
import { afterAll, beforeAll, beforeEach, expect } from 'vitest';
import { startEmulator } from '../../stack/brevo-emulator/emulator.mjs';
import type { Res } from './emulator-http';

export type BrevoEmulator = Awaited<ReturnType<typeof startEmulator>>;

/** `startEmulator`'s options. */
export type BrevoOptions = NonNullable<Parameters<typeof startEmulator>[0]>;

/** The account key a file's emulator has unless the file names its own. */
export const API_KEY = `xkeysib-${'ab12'.repeat(16)}-TestsKey00000001`;

export type BrevoApiOptions = {
  /** The `api-key` header to send, null for none; by default the file's key. */
  key?: string | null;
  signal?: AbortSignal;
  at?: string;
};

export interface BrevoHttp {
  /** The running emulator's base URL (after the file's beforeAll); the API is under `/v3`. */
  readonly url: string;
  /** The running emulator's JS control interface. */
  readonly control: BrevoEmulator['control'];
  /** Any request; the body is sent as given. */
  call(method: string, path: string, init?: RequestInit, at?: string): Promise<Res>;
  /** A control route, `/_emulator${path}`, with a JSON body when one is given. */
  ctl(method: string, path: string, body?: unknown, at?: string): Promise<Res>;
  /** `/v3${path}` with the api key and a JSON body when one is given. */
  api(method: string, path: string, body?: unknown, opts?: BrevoApiOptions): Promise<Res>;
  /** `POST /_emulator/reset` (a 200 is expected). */
  reset(): Promise<void>;
  close(): Promise<void>;
}

/** Starts an emulator with these options for the test file that calls it (at its top level). */
export function brevoForFile(start: BrevoOptions = {}): BrevoHttp {
  const options = { ...start, apiKey: start.apiKey ?? API_KEY };
  let emu: BrevoEmulator | undefined;

  const running = () => {
    if (emu === undefined) throw new Error('the emulator is not running: use it inside a test or hook');
    return emu;
  };
  const base = () => running().url;

  const call = async (method: string, path: string, init: RequestInit = {}, at = base()): Promise<Res> => {
    const r = await fetch(at + path, { ...init, method });
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

  const api = (method: string, path: string, body?: unknown, opts: BrevoApiOptions = {}) => {
    const headers: Record<string, string> = { accept: 'application/json' };
    const key = opts.key === undefined ? options.apiKey : opts.key;
    if (key !== null) headers['api-key'] = key;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const init: RequestInit = { headers };
    if (body !== undefined) init.body = JSON.stringify(body);
    if (opts.signal) init.signal = opts.signal;
    return call(method, `/v3${path}`, init, opts.at ?? base());
  };

  const reset = async () => {
    expect((await ctl('POST', '/reset')).status).toBe(200);
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
    call,
    ctl,
    api,
    reset,
    close,
  };
}
