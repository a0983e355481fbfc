/**
 * The Newsletter2Go emulator, tested from Newsletter2Go's published behaviour with
 * plain fetch against a running instance (node environment): every endpoint, every
 * error body, paging to the end, filters, each fault kind, token expiry, the call log.
 */
import * as v from 'valibot';
import { beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../../stack/n2g-emulator/emulator.mjs';
import { defined } from '../support/defined';
import {
  basic,
  emulatorForFile,
  expectErrorBody,
  expectValidation,
  filter,
  JWT,
  JWT_REFRESH,
  type Res,
  read,
} from '../support/emulator-http';

const AUTH_KEY = 'key_abc_123_XyZ:s3cr3t#Pw';
const USERNAME = 'api-user@portal.example';
const PASSWORD = 'correct horse battery staple';
const L1 = 'list0001';
const L2 = 'list0002';

const emu = emulatorForFile({
  authKey: AUTH_KEY,
  username: USERNAME,
  password: PASSWORD,
  lists: [
    { id: L1, name: 'Weekly' },
    { id: L2, name: 'Offers' },
  ],
  attributes: ['unsubscribe_url'],
});
const { call, ctl, tokenCall, login, api } = emu;
let base: string;
beforeAll(() => {
  base = emu.url;
});

// ---------------------------------------------------------------- reading answers

/** Any JSON object, its fields read one by one. */
const Fields = v.record(v.string(), v.unknown());

/** Newsletter2Go's envelope: `{status, info: {count, additional?}, value: [{id, …}]}`. */
const Envelope = v.looseObject({
  status: v.number(),
  info: v.looseObject({
    count: v.number(),
    additional: v.optional(v.looseObject({ invalid_recipients: v.array(v.string()) })),
  }),
  value: v.array(v.looseObject({ id: v.string() })),
});

/** A collection read: the envelope with the links to page on. */
const Page = v.looseObject({
  ...Envelope.entries,
  info: v.looseObject({
    ...Envelope.entries.info.entries,
    links: v.looseObject({ _href: v.string(), _next: v.optional(v.string()), _last: v.string() }),
  }),
});

/** The token endpoint's 200 answer. */
const Tokens = v.looseObject({ access_token: v.string(), refresh_token: v.string() });

/** `GET /_emulator/state`. */
const State = v.looseObject({
  accountId: v.string(),
  lists: v.array(Fields),
  attributes: v.array(Fields),
  recipients: v.array(Fields),
  tokens: Fields,
  faults: Fields,
  settings: Fields,
});

/** `GET /_emulator/`: the index of control routes. */
const Index = v.looseObject({ routes: v.array(v.string()) });

/** `GET /_emulator/faults`: the random fault settings. */
const Faults = v.looseObject({ kinds: v.array(Fields) });

/** `GET /_emulator/rules`. */
const Rules = v.array(Fields);

/** `GET /_emulator/log`. */
const Log = v.looseObject({
  entries: v.array(v.looseObject({ time: v.string() })),
  counters: v.looseObject({ byFault: v.record(v.string(), v.number()) }),
});

const fieldsOf = (r: Res) => read(Fields, r.json);
const envelope = (r: Res) => read(Envelope, r.json);
const page = (r: Res) => read(Page, r.json);
const tokens = (r: Res) => read(Tokens, r.json);
/** `value[index]` of an envelope, which the test expects to be there. */
const row = (r: Res, index = 0) => defined(envelope(r).value[index], `value[${index}]`);
/** The id of an object the control interface created: `{id, …}`. */
const idOf = (r: Res) => read(v.looseObject({ id: v.string() }), r.json).id;

async function state(query = '') {
  return read(State, (await ctl('GET', `/state${query}`)).json);
}

async function log() {
  return read(Log, (await ctl('GET', '/log')).json);
}

async function create(listId: string, email: string, extra: Record<string, unknown> = {}): Promise<string> {
  const r = await api('POST', '/recipients', { list_id: listId, email, ...extra });
  expect(r.status).toBe(200);
  expect(envelope(r).value).toHaveLength(1);
  return row(r).id;
}

async function readOne(
  listId: string,
  id: string,
  fields = 'email,first_name,last_name,gender,phone,is_unsubscribed,is_blacklisted,is_bounced,created_at,unsubscribe_url',
) {
  const r = await api('GET', `/lists/${listId}/recipients/${id}?_fields=${fields}`);
  expect(r.status).toBe(200);
  return row(r);
}

const ID = /^[a-z0-9]{8}$/;

// ---------------------------------------------------------------- authentication

describe('POST /oauth/v2/token', () => {
  it('logs in with JSON: the spec’s 200 body', async () => {
    const r = await tokenCall({ username: USERNAME, password: PASSWORD, grant_type: JWT });
    expect(r.status).toBe(200);
    const body = tokens(r);
    expect(Object.keys(body).sort()).toEqual([
      'access_token',
      'account_id',
      'expires_in',
      'refresh_token',
      'scope',
      'token_type',
      'type',
    ]);
    expect(r.json).toMatchObject({ expires_in: 7200, token_type: 'bearer', scope: null, type: 'user' });
    expect(body.access_token).toMatch(/^__eyJ/);
    expect(body.refresh_token).toMatch(/^__eyJ/);
    expect(body.access_token).not.toBe(body.refresh_token);
    expect(body.account_id).toMatch(ID);
    expect(body.account_id).toBe((await state()).accountId);
  });

  it('logs in with a form-encoded body', async () => {
    const r = await tokenCall({ username: USERNAME, password: PASSWORD, grant_type: JWT }, { form: true });
    expect(r.status).toBe(200);
    expect(fieldsOf(r).token_type).toBe('bearer');
  });

  it('refuses a bad login with 400 invalid_grant', async () => {
    const body = { error: 'invalid_grant', error_description: 'Invalid username and password combination' };
    const wrongPw = await tokenCall({ username: USERNAME, password: 'nope', grant_type: JWT });
    expect(wrongPw.status).toBe(400);
    expect(wrongPw.json).toEqual(body);
    const wrongUser = await tokenCall({ username: `x${USERNAME}`, password: PASSWORD, grant_type: JWT });
    expect(wrongUser.status).toBe(400);
    expect(wrongUser.json).toEqual(body);
  });

  it('refuses a missing or bad auth key with 400 invalid_client', async () => {
    const body = { error: 'invalid_client', error_description: 'Client id was not found in the headers or body' };
    const login = { username: USERNAME, password: PASSWORD, grant_type: JWT };
    for (const authorization of [
      null,
      basic('other_key:secret'),
      `Basic ${AUTH_KEY}`,
      basic(`${AUTH_KEY}:`),
      `Bearer ${btoa(AUTH_KEY)}`,
    ]) {
      const r = await tokenCall(login, { authorization });
      expect(r.status, String(authorization)).toBe(400);
      expect(r.json).toEqual(body);
    }
  });

  it('refreshes with jwt_refresh and with jwt + refresh_token; each returns a new refresh token', async () => {
    const first = await login();
    for (const grant_type of [JWT_REFRESH, JWT]) {
      const r = await tokenCall({ refresh_token: first.refresh, grant_type });
      expect(r.status, grant_type).toBe(200);
      expect(r.json).toMatchObject({ token_type: 'bearer', expires_in: 7200, scope: null, type: 'user' });
      const renewed = tokens(r);
      expect(renewed.refresh_token).not.toBe(first.refresh);
      expect(renewed.access_token).not.toBe(first.access);
      expect((await api('GET', '/lists', undefined, { token: renewed.access_token })).status).toBe(200);
    }
  });

  it('answers an invalid refresh token with 400 invalid_grant', async () => {
    const { access } = await login();
    for (const refresh_token of ['__eyJnotatoken', access]) {
      const r = await tokenCall({ refresh_token, grant_type: JWT_REFRESH });
      expect(r.status).toBe(400);
      expect(fieldsOf(r).error).toBe('invalid_grant');
      expect(fieldsOf(r).error_description).toEqual(expect.any(String));
    }
  });

  it('answers an expired refresh token with 400 invalid_grant', async () => {
    const { refresh } = await login();
    await ctl('POST', '/clock/advance', { seconds: 2592000 + 1 });
    const r = await tokenCall({ refresh_token: refresh, grant_type: JWT_REFRESH });
    expect(r.status).toBe(400);
    expect(fieldsOf(r).error).toBe('invalid_grant');
  });

  it('answers a missing or unknown grant type with 400 and an OAuth error body', async () => {
    const missing = await tokenCall({ username: USERNAME, password: PASSWORD });
    expect(missing.status).toBe(400);
    expect(missing.json).toMatchObject({ error: 'invalid_request', error_description: expect.any(String) });
    const unknown = await tokenCall({ username: USERNAME, password: PASSWORD, grant_type: 'password' });
    expect(unknown.status).toBe(400);
    expect(unknown.json).toMatchObject({ error: 'unsupported_grant_type' });
  });
});

describe('bearer tokens on API calls', () => {
  it('answers a missing, unknown or refresh token with 401 and a JSON error', async () => {
    const { refresh } = await login();
    for (const t of [null, 'garbage', refresh]) {
      const r = await api('GET', '/lists', undefined, { token: t });
      expect(r.status, String(t)).toBe(401);
      expect(r.json).toMatchObject({ error: 'invalid_grant', error_description: expect.any(String) });
    }
  });

  it('expires access tokens after 2 hours; a refresh then works', async () => {
    const { access, refresh } = await login();
    await ctl('POST', '/clock/advance', { seconds: 7199 });
    expect((await api('GET', '/lists', undefined, { token: access })).status).toBe(200);
    await ctl('POST', '/clock/advance', { seconds: 2 });
    const r = await api('GET', '/lists', undefined, { token: access });
    expect(r.status).toBe(401);
    expect(r.json).toEqual({ error: 'invalid_grant', error_description: 'The access token provided has expired.' });
    expect((await tokenCall({ refresh_token: refresh, grant_type: JWT_REFRESH })).status).toBe(200);
  });

  it('takes configurable lifetimes', async () => {
    const short = await startEmulator({
      authKey: AUTH_KEY,
      username: USERNAME,
      password: PASSWORD,
      accessTokenTtlSeconds: 60,
      refreshTokenTtlSeconds: 120,
    });
    try {
      const r = await tokenCall({ username: USERNAME, password: PASSWORD, grant_type: JWT }, {}, short.url);
      expect(fieldsOf(r).expires_in).toBe(60);
      const t = tokens(r);
      short.control.advanceClock(61);
      expect((await api('GET', '/lists', undefined, { token: t.access_token, at: short.url })).status).toBe(401);
      expect((await tokenCall({ refresh_token: t.refresh_token, grant_type: JWT_REFRESH }, {}, short.url)).status).toBe(
        200,
      );
      short.control.advanceClock(60);
      expect((await tokenCall({ refresh_token: t.refresh_token, grant_type: JWT_REFRESH }, {}, short.url)).status).toBe(
        400,
      );
    } finally {
      await short.close();
    }
  });

  it('expires all access tokens at once, or access and refresh tokens', async () => {
    const a = await login();
    const b = await login();
    expect(fieldsOf(await ctl('POST', '/tokens/expire', { access: true, refresh: false })).expired).toBe(2);
    for (const t of [a, b]) expect((await api('GET', '/lists', undefined, { token: t.access })).status).toBe(401);
    expect((await tokenCall({ refresh_token: a.refresh, grant_type: JWT_REFRESH })).status).toBe(200);

    await ctl('POST', '/tokens/expire', {});
    const r = await tokenCall({ refresh_token: b.refresh, grant_type: JWT_REFRESH });
    expect(r.status).toBe(400);
    expect(fieldsOf(r).error).toBe('invalid_grant');
    expect((await tokenCall({ username: USERNAME, password: PASSWORD, grant_type: JWT })).status).toBe(200);
  });
});

// ---------------------------------------------------------------- readings the spec leaves open

describe('switches for the spec’s unconfirmed readings (/_emulator/settings)', () => {
  const DEFAULT_SETTINGS = {
    errorMessageKey: 'errorMessage',
    expiredToken: '401-invalid_grant',
    invalidRecipientsShape: 'strings',
    refreshTokenReuse: true,
    singleCreateStatus: 200,
    unquotedValue: 'field',
    maxUrlBytes: null,
    unknownAttribute: 'refuse',
  };

  it('GET shows the defaults; PUT changes any subset; a bad key or value is a 400 that changes nothing; reset restores', async () => {
    expect((await ctl('GET', '/settings')).json).toEqual(DEFAULT_SETTINGS);
    const index = read(Index, (await ctl('GET', '/')).json).routes.join('\n');
    for (const name of [
      'GET /_emulator/settings',
      'PUT /_emulator/settings',
      'expiredToken',
      'refreshTokenReuse',
      'singleCreateStatus',
      'unknownAttribute: "refuse" | "drop"',
      'invalidRecipientsShape: "strings" | "objects" | "indexed"',
      'retryAfterStyle',
    ])
      expect(index).toContain(name);
    const put = await ctl('PUT', '/settings', { expiredToken: '401-empty', singleCreateStatus: 201 });
    expect(put.status).toBe(200);
    expect(put.json).toEqual({ ...DEFAULT_SETTINGS, expiredToken: '401-empty', singleCreateStatus: 201 });
    for (const bad of [
      { expiredToken: '403' },
      { refreshTokenReuse: 'no' },
      { singleCreateStatus: 202 },
      { errorMessageKey: 'message' },
      { refreshTokenReuse: false, shoeSize: 42 },
      { refreshTokenReuse: false, singleCreateStatus: '201' },
      { unknownAttribute: 'ignore' },
      { invalidRecipientsShape: 'object' },
    ]) {
      const r = await ctl('PUT', '/settings', bad);
      expect(r.status, JSON.stringify(bad)).toBe(400);
      expect(fieldsOf(r).error).toEqual(expect.any(String));
    }
    expect((await ctl('GET', '/settings')).json).toEqual({
      ...DEFAULT_SETTINGS,
      expiredToken: '401-empty',
      singleCreateStatus: 201,
    });
    expect((await state()).settings.expiredToken).toBe('401-empty');
    await ctl('POST', '/reset');
    expect((await ctl('GET', '/settings')).json).toEqual(DEFAULT_SETTINGS);
    expect(emu.control.setSettings({ refreshTokenReuse: false }).refreshTokenReuse).toBe(false);
    expect(() => emu.control.setSettings({ expiredToken: 'x' } as never)).toThrow();
  });

  it('expiredToken "401-invalid_grant" (default): 401, JSON invalid_grant body, WWW-Authenticate', async () => {
    const { access } = await login();
    await ctl('POST', '/tokens/expire', { access: true, refresh: false });
    const r = await api('GET', '/lists', undefined, { token: access });
    expect(r.status).toBe(401);
    expect(r.json).toEqual({ error: 'invalid_grant', error_description: 'The access token provided has expired.' });
    expect(r.headers.get('www-authenticate')).toContain('Bearer');
  });

  it('expiredToken "401-empty": 401 with an empty body, for expired and unknown tokens', async () => {
    await ctl('PUT', '/settings', { expiredToken: '401-empty' });
    const { access } = await login();
    await ctl('POST', '/tokens/expire', { access: true, refresh: false });
    for (const t of [access, 'garbage']) {
      const r = await api('GET', '/lists', undefined, { token: t });
      expect(r.status).toBe(401);
      expect(r.text).toBe('');
      expect(r.headers.get('www-authenticate')).toContain('Bearer');
    }
  });

  it('expiredToken "400-invalid_grant": 400 with {error: "invalid_grant", error_description}, for expired and unknown tokens', async () => {
    await ctl('PUT', '/settings', { expiredToken: '400-invalid_grant' });
    const { access } = await login();
    await ctl('POST', '/clock/advance', { seconds: 7201 });
    for (const t of [access, 'garbage', null]) {
      const r = await api('GET', '/lists', undefined, { token: t });
      expect(r.status, String(t)).toBe(400);
      expect(r.json).toEqual({ error: 'invalid_grant', error_description: expect.any(String) });
      expect(r.headers.get('www-authenticate')).toBeNull();
    }
    expect((await api('GET', '/lists', undefined, { token: (await login()).access })).status).toBe(200);
  });

  it('refreshTokenReuse true (default): a used refresh token keeps working until it expires', async () => {
    const { refresh } = await login();
    for (let i = 0; i < 3; i++)
      expect((await tokenCall({ refresh_token: refresh, grant_type: JWT_REFRESH })).status).toBe(200);
  });

  it('refreshTokenReuse false: a refresh token works once; reuse is a 400 invalid_grant like an expired one', async () => {
    await ctl('PUT', '/settings', { refreshTokenReuse: false });
    const { refresh } = await login();
    const first = await tokenCall({ refresh_token: refresh, grant_type: JWT_REFRESH });
    expect(first.status).toBe(200);
    const again = await tokenCall({ refresh_token: refresh, grant_type: JWT });
    expect(again.status).toBe(400);
    expect(again.json).toEqual({ error: 'invalid_grant', error_description: 'Refresh token has expired' });
    // The new refresh token works, once; the access tokens handed out stay valid.
    const issued = tokens(first);
    const second = await tokenCall({ refresh_token: issued.refresh_token, grant_type: JWT_REFRESH });
    expect(second.status).toBe(200);
    expect((await tokenCall({ refresh_token: issued.refresh_token, grant_type: JWT_REFRESH })).status).toBe(400);
    expect((await api('GET', '/lists', undefined, { token: issued.access_token })).status).toBe(200);
    expect((await state()).tokens.liveRefreshTokens).toBe(1);
  });

  it('singleCreateStatus 201: a single POST /recipients answers 201 (status and envelope); an array always 201', async () => {
    await ctl('PUT', '/settings', { singleCreateStatus: 201 });
    const one = await api('POST', '/recipients', { list_id: L1, email: 'one@example.com' });
    expect(one.status).toBe(201);
    expect(one.json).toMatchObject({ status: 201, info: { count: 1, additional: { invalid_recipients: [] } } });
    const again = await api('POST', '/recipients', { list_id: L1, email: 'ONE@example.com', first_name: 'Up' });
    expect(again.status).toBe(201);
    expect(row(again).id).toBe(row(one).id);
    expect((await api('POST', '/recipients', [{ list_id: L1, email: 'two@example.com' }])).status).toBe(201);
    await ctl('PUT', '/settings', { singleCreateStatus: 200 });
    expect((await api('POST', '/recipients', { list_id: L1, email: 'three@example.com' })).status).toBe(200);
  });

  it('startEmulator takes the readings as options; reset goes back to them; a bad one fails the start', async () => {
    const e2 = await startEmulator({
      authKey: AUTH_KEY,
      username: USERNAME,
      password: PASSWORD,
      lists: [{ id: L1, name: 'W' }],
      expiredToken: '401-empty',
      refreshTokenReuse: false,
      singleCreateStatus: 201,
      errorMessageKey: 'error_message',
      unknownAttribute: 'drop',
      invalidRecipientsShape: 'indexed',
    });
    try {
      const initial = {
        errorMessageKey: 'error_message',
        expiredToken: '401-empty',
        invalidRecipientsShape: 'indexed',
        refreshTokenReuse: false,
        singleCreateStatus: 201,
        unquotedValue: 'field',
        maxUrlBytes: null,
        unknownAttribute: 'drop',
      };
      expect((await ctl('GET', '/settings', undefined, e2.url)).json).toEqual(initial);
      await ctl('PUT', '/settings', { expiredToken: '400-invalid_grant' }, e2.url);
      await ctl('POST', '/reset', undefined, e2.url);
      expect((await ctl('GET', '/settings', undefined, e2.url)).json).toEqual(initial);
      const r = await api('GET', '/lists', undefined, { token: 'garbage', at: e2.url });
      expect([r.status, r.text]).toEqual([401, '']);
    } finally {
      await e2.close();
    }
    await expect(startEmulator({ expiredToken: '418' as never })).rejects.toThrow(/expiredToken/);
    await expect(startEmulator({ unknownAttribute: 'ignore' as never })).rejects.toThrow(/unknownAttribute/);
  });
});

describe('write-side readings the spec is silent on', () => {
  it('booleans are accepted as true/false and as 1/0, and read back as booleans', async () => {
    const id = await create(L1, 'b@example.com', { is_unsubscribed: 1 });
    expect((await readOne(L1, id)).is_unsubscribed).toBe(true);
    expect((await api('PATCH', `/lists/${L1}/recipients/${id}`, { is_unsubscribed: 0 })).status).toBe(200);
    expect((await readOne(L1, id)).is_unsubscribed).toBe(false);
    expectValidation(await api('PATCH', `/lists/${L1}/recipients/${id}`, { is_unsubscribed: 2 }), 'is_unsubscribed');
    expectValidation(
      await api('PATCH', `/lists/${L1}/recipients/${id}`, { is_unsubscribed: 'true' }),
      'is_unsubscribed',
    );
  });

  it('gender "" and null are accepted as "empty" and stored as sent', async () => {
    const id = await create(L1, 'g@example.com', { gender: 'f' });
    expect((await api('PATCH', `/lists/${L1}/recipients/${id}`, { gender: '' })).status).toBe(200);
    expect((await readOne(L1, id)).gender).toBe('');
    expect((await api('PATCH', `/lists/${L1}/recipients/${id}`, { gender: null })).status).toBe(200);
    expect((await readOne(L1, id)).gender).toBeNull();
    expectValidation(await api('PATCH', `/lists/${L1}/recipients/${id}`, { gender: 'M' }), 'gender');
  });

  it('is_blacklisted: false is accepted on write (the spec’s pitfall is for clients)', async () => {
    const r = await api('POST', '/recipients', { list_id: L1, email: 'bl@example.com', is_blacklisted: false });
    expect(r.status).toBe(200);
    const id = row(r).id;
    expect((await api('PATCH', `/lists/${L1}/recipients/${id}`, { is_blacklisted: false })).status).toBe(200);
    expect((await readOne(L1, id)).is_blacklisted).toBe(false);
  });

  it('bulk: rejected addresses are left out of value; count is the number accepted; a repeated address gives its id twice', async () => {
    const r = await api('POST', '/recipients', [
      { list_id: L1, email: 'x@example.com' },
      { list_id: L1, email: 'bad' },
      { list_id: L1, email: 'X@example.com' },
    ]);
    expect(r.status).toBe(201);
    expect(envelope(r).info).toEqual({ count: 2, additional: { invalid_recipients: ['bad'] } });
    expect(envelope(r).value).toHaveLength(2);
    expect(row(r).id).toBe(row(r, 1).id);
  });
});

// ---------------------------------------------------------------- lists

describe('lists', () => {
  it('GET /lists: envelope with {_href, id}; _expand adds the fields', async () => {
    const r = await api('GET', '/lists');
    expect(r.status).toBe(200);
    expect(envelope(r).status).toBe(200);
    expect(envelope(r).info.count).toBe(2);
    expect(envelope(r).value).toEqual([
      { _href: `${base}/lists/${L1}`, id: L1 },
      { _href: `${base}/lists/${L2}`, id: L2 },
    ]);
    const x = await api('GET', '/lists?_expand=true');
    expect(envelope(x).value.map((l) => l.name)).toEqual(['Weekly', 'Offers']);
    expect(row(x).created_at).toEqual(expect.any(String));
  });

  it('GET /lists/{list_id}; 404 for an unknown list', async () => {
    const r = await api('GET', `/lists/${L2}?_fields=name`);
    expect(r.status).toBe(200);
    expect(r.json).toEqual({
      status: 200,
      info: { count: 1 },
      value: [{ _href: `${base}/lists/${L2}`, id: L2, name: 'Offers' }],
    });
    expectErrorBody(await api('GET', '/lists/zzzz9999'), 404);
  });

  it('a list created by control shows up with a fresh 8-character id', async () => {
    const list = await ctl('POST', '/lists', { name: 'Daily' });
    expect(list.status).toBe(200);
    expect(idOf(list)).toMatch(ID);
    const r = await api('GET', '/lists?_expand=true');
    expect(envelope(r).value.map((l) => l.name)).toEqual(['Weekly', 'Offers', 'Daily']);
  });
});

// ---------------------------------------------------------------- POST /recipients

describe('POST /recipients', () => {
  it('creates one recipient: 200, count, invalid_recipients, value [{_href, id}]', async () => {
    const r = await api('POST', '/recipients', {
      list_id: L1,
      email: 'anna@example.com',
      first_name: 'Anna',
      last_name: 'Alpha',
      gender: 'f',
      is_unsubscribed: false,
      unsubscribe_url: 'https://w.example/u/abc',
    });
    expect(r.status).toBe(200);
    expect(envelope(r).status).toBe(200);
    expect(envelope(r).info).toEqual({ count: 1, additional: { invalid_recipients: [] } });
    const item = row(r);
    expect(item.id).toMatch(ID);
    expect(item._href).toContain(item.id);
    expect(await readOne(L1, item.id)).toMatchObject({
      email: 'anna@example.com',
      first_name: 'Anna',
      last_name: 'Alpha',
      gender: 'f',
      phone: null,
      is_unsubscribed: false,
      is_blacklisted: false,
      is_bounced: false,
      unsubscribe_url: 'https://w.example/u/abc',
    });
  });

  it('a new recipient without is_unsubscribed is subscribed; created_at is set', async () => {
    const id = await create(L1, 'new@example.com');
    const rec = await readOne(L1, id);
    expect(rec.is_unsubscribed).toBe(false);
    expect(Date.parse(String(rec.created_at))).not.toBeNaN();
  });

  it('upserts by e-mail within the list, case-insensitively, changing only the fields sent', async () => {
    const id = await create(L1, 'Mixed.Case@Example.com', { first_name: 'Max', last_name: 'Muster', phone: '+49 1' });
    const again = await api('POST', '/recipients', {
      list_id: L1,
      email: 'mixed.case@example.com',
      last_name: 'Neu',
      is_unsubscribed: true,
    });
    expect(again.status).toBe(200);
    expect(row(again).id).toBe(id);
    expect(await readOne(L1, id)).toMatchObject({
      email: 'mixed.case@example.com',
      first_name: 'Max',
      last_name: 'Neu',
      phone: '+49 1',
      is_unsubscribed: true,
    });
    expect((await state(`?list_id=${L1}`)).recipients).toHaveLength(1);
  });

  it('stores the e-mail as given; the same e-mail in another list is another recipient', async () => {
    const a = await create(L1, 'Same@Example.com');
    const b = await create(L2, 'same@example.com');
    expect(a).not.toBe(b);
    expect((await readOne(L1, a, 'email')).email).toBe('Same@Example.com');
    // Not reachable through the other list.
    expectErrorBody(await api('GET', `/lists/${L2}/recipients/${a}`), 404);
  });

  it('ids are 8 lowercase alphanumerics, unique across lists, recipients and the account', async () => {
    const r = await api(
      'POST',
      '/recipients',
      Array.from({ length: 200 }, (_, i) => ({ list_id: i % 2 ? L1 : L2, email: `u${i}@example.com` })),
    );
    const ids = envelope(r).value.map((item) => item.id);
    const s = await state();
    const all = [...ids, L1, L2, s.accountId, ...s.attributes.map((a) => a.id)];
    expect(new Set(all).size).toBe(all.length);
    for (const id of ids) expect(id).toMatch(ID);
  });

  it('bulk upsert: an array answers 201 with one {_href, id} per stored recipient', async () => {
    const existing = await create(L1, 'b@example.com', { first_name: 'Old' });
    const r = await api('POST', '/recipients', [
      { list_id: L1, email: 'a@example.com', first_name: 'A' },
      { list_id: L1, email: 'B@example.com', first_name: 'B' },
      { list_id: L2, email: 'c@example.com', first_name: 'C' },
    ]);
    expect(r.status).toBe(201);
    expect(envelope(r).status).toBe(201);
    expect(envelope(r).info).toEqual({ count: 3, additional: { invalid_recipients: [] } });
    expect(row(r, 1).id).toBe(existing);
    expect((await readOne(L1, existing)).first_name).toBe('B');
    expect((await readOne(L2, row(r, 2).id)).email).toBe('c@example.com');
  });

  it('bulk upsert: items with different keys are a 400', async () => {
    const r = await api('POST', '/recipients', [
      { list_id: L1, email: 'a@example.com', first_name: 'A' },
      { list_id: L1, email: 'b@example.com', last_name: 'B' },
    ]);
    expectErrorBody(r, 400);
    expect((await state()).recipients).toHaveLength(0);
    expectErrorBody(await api('POST', '/recipients', []), 400);
  });

  it('invalid e-mail addresses land in invalid_recipients and are not stored', async () => {
    const single = await api('POST', '/recipients', { list_id: L1, email: 'not-an-email' });
    expect(single.status).toBe(200);
    expect(envelope(single).info).toEqual({ count: 0, additional: { invalid_recipients: ['not-an-email'] } });
    expect(envelope(single).value).toEqual([]);

    const bulk = await api('POST', '/recipients', [
      { list_id: L1, email: 'ok@example.com' },
      { list_id: L1, email: 'DELETED' },
      { list_id: L1, email: 'two@@example.com' },
    ]);
    expect(bulk.status).toBe(201);
    expect(envelope(bulk).info.count).toBe(1);
    expect(envelope(bulk).info.additional?.invalid_recipients).toEqual(['DELETED', 'two@@example.com']);
    expect((await state()).recipients.map((r) => r.email)).toEqual(['ok@example.com']);
  });

  it('addresses configured as rejected land in invalid_recipients', async () => {
    await ctl('POST', '/rejected-emails', { emails: ['Blocked@Example.com'] });
    const r = await api('POST', '/recipients', [
      { list_id: L1, email: 'blocked@example.com' },
      { list_id: L1, email: 'fine@example.com' },
    ]);
    expect(r.status).toBe(201);
    expect(envelope(r).info.additional?.invalid_recipients).toEqual(['blocked@example.com']);
    expect(envelope(r).info.count).toBe(1);
    expect(fieldsOf(await ctl('GET', '/rejected-emails')).emails).toEqual(['blocked@example.com']);
  });

  it('an unknown list is a 404', async () => {
    expectErrorBody(await api('POST', '/recipients', { list_id: 'zzzz9999', email: 'a@example.com' }), 404);
  });

  it('writing a custom attribute that does not exist is a 422 naming it', async () => {
    const r = await api('POST', '/recipients', { list_id: L1, email: 'a@example.com', favourite_colour: 'green' });
    expectValidation(r, 'favourite_colour');
    expect((await state()).recipients).toHaveLength(0);
  });

  it('validates fields: gender, booleans, missing e-mail or list_id, read-only fields', async () => {
    expectValidation(await api('POST', '/recipients', { list_id: L1, email: 'a@example.com', gender: 'x' }), 'gender');
    expectValidation(
      await api('POST', '/recipients', { list_id: L1, email: 'a@example.com', is_unsubscribed: 'yes' }),
      'is_unsubscribed',
    );
    expectValidation(await api('POST', '/recipients', { list_id: L1, first_name: 'A' }), 'email');
    expectValidation(await api('POST', '/recipients', { email: 'a@example.com' }), 'list_id');
    expectValidation(
      await api('POST', '/recipients', { list_id: L1, email: 'a@example.com', is_bounced: true }),
      'is_bounced',
    );
    const ok = await api('POST', '/recipients', { list_id: L1, email: 'a@example.com', gender: '' });
    expect(ok.status).toBe(200);
  });

  it('a body that is not JSON is a 400', async () => {
    const r = await call('POST', '/recipients', {
      headers: { authorization: `Bearer ${(await login()).access}`, 'content-type': 'application/json' },
      body: '{"list_id":',
    });
    expectErrorBody(r, 400);
  });
});

// ---------------------------------------------------------------- PATCH / POST one recipient

describe('PATCH and POST /lists/{list_id}/recipients/{id}', () => {
  it('updates any subset of fields: 200 {"status":200,"info":{"count":1},"value":[]}', async () => {
    const id = await create(L1, 'p@example.com', { first_name: 'P', last_name: 'Q', gender: 'm' });
    const r = await api('PATCH', `/lists/${L1}/recipients/${id}`, {
      first_name: 'Paula',
      gender: 'f',
      unsubscribe_url: 'https://w/u/1',
    });
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ status: 200, info: { count: 1 }, value: [] });
    expect(await readOne(L1, id)).toMatchObject({
      email: 'p@example.com',
      first_name: 'Paula',
      last_name: 'Q',
      gender: 'f',
      unsubscribe_url: 'https://w/u/1',
    });
  });

  it('POST to the same path does the same (the PHP client’s way)', async () => {
    const id = await create(L1, 'p@example.com');
    const r = await api('POST', `/lists/${L1}/recipients/${id}`, { is_unsubscribed: true, last_name: 'DELETED' });
    expect(r.json).toEqual({ status: 200, info: { count: 1 }, value: [] });
    expect(await readOne(L1, id)).toMatchObject({ is_unsubscribed: true, last_name: 'DELETED' });
  });

  it('changes the e-mail; the old address is free again, the new one found by filter', async () => {
    const id = await create(L1, 'old@example.com');
    expect((await api('PATCH', `/lists/${L1}/recipients/${id}`, { email: 'New@Example.com' })).status).toBe(200);
    const found = await api('GET', `/lists/${L1}/recipients?${filter('email=="new@example.com"')}`);
    expect(envelope(found).value.map((item) => item.id)).toEqual([id]);
    const other = await create(L1, 'old@example.com');
    expect(other).not.toBe(id);
  });

  it('an e-mail used by another recipient of the list is a 400 with code 1062', async () => {
    await create(L1, 'taken@example.com');
    const id = await create(L1, 'mine@example.com');
    const r = await api('PATCH', `/lists/${L1}/recipients/${id}`, { email: 'TAKEN@example.com' });
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ status: 400, code: 1062 });
    expect(fieldsOf(r).errorMessage).toMatch(/^Duplicate value/);
    // The same address in another list is no conflict.
    await create(L2, 'elsewhere@example.com');
    expect((await api('PATCH', `/lists/${L1}/recipients/${id}`, { email: 'elsewhere@example.com' })).status).toBe(200);
  });

  it('unknown list, unknown recipient, or a recipient of another list: 404', async () => {
    const id = await create(L1, 'x@example.com');
    expectErrorBody(await api('PATCH', `/lists/zzzz9999/recipients/${id}`, { first_name: 'A' }), 404);
    expectErrorBody(await api('PATCH', `/lists/${L1}/recipients/zzzz9999`, { first_name: 'A' }), 404);
    expectErrorBody(await api('PATCH', `/lists/${L2}/recipients/${id}`, { first_name: 'A' }), 404);
    expectErrorBody(await api('POST', `/lists/${L2}/recipients/${id}`, { first_name: 'A' }), 404);
  });

  it('rejects an invalid e-mail (422), a refused one (400), an unknown attribute (422), a list move (422)', async () => {
    const id = await create(L1, 'x@example.com');
    expectValidation(await api('PATCH', `/lists/${L1}/recipients/${id}`, { email: 'DELETED' }), 'email');
    await ctl('POST', '/rejected-emails', { emails: ['refused@example.com'] });
    expectErrorBody(await api('PATCH', `/lists/${L1}/recipients/${id}`, { email: 'refused@example.com' }), 400);
    expectValidation(await api('PATCH', `/lists/${L1}/recipients/${id}`, { nickname: 'x' }), 'nickname');
    expectValidation(await api('PATCH', `/lists/${L1}/recipients/${id}`, { list_id: L2 }), 'list_id');
    expect((await readOne(L1, id, 'email')).email).toBe('x@example.com');
  });

  it('can spell the message error_message (the Swagger model) when told to', async () => {
    await ctl('PUT', '/settings', { errorMessageKey: 'error_message' });
    const r = await api('GET', '/lists/zzzz9999');
    expect(r.status).toBe(404);
    expect(r.json).toMatchObject({ status: 404, code: expect.any(Number), error_message: expect.any(String) });
    expect(fieldsOf(r).errorMessage).toBeUndefined();
  });
});

// ---------------------------------------------------------------- GET one recipient

describe('GET /lists/{list_id}/recipients/{id}', () => {
  it('returns {_href, id} alone, the named _fields, or the default fields with _expand', async () => {
    const id = await create(L1, 'g@example.com', { first_name: 'G', unsubscribe_url: 'https://w/u/g' });
    const bare = await api('GET', `/lists/${L1}/recipients/${id}`);
    expect(bare.json).toEqual({
      status: 200,
      info: { count: 1 },
      value: [{ _href: `${base}/lists/${L1}/recipients/${id}`, id }],
    });

    const named = await api('GET', `/lists/${L1}/recipients/${id}?_fields=email,first_name,unsubscribe_url`);
    expect(row(named)).toEqual({
      _href: expect.any(String),
      id,
      email: 'g@example.com',
      first_name: 'G',
      unsubscribe_url: 'https://w/u/g',
    });

    const expanded = row(await api('GET', `/lists/${L1}/recipients/${id}?_expand=true`));
    for (const f of [
      'id',
      'email',
      'first_name',
      'last_name',
      'gender',
      'phone',
      'created_at',
      'is_unsubscribed',
      'is_blacklisted',
      'is_bounced',
    ])
      expect(expanded).toHaveProperty(f);
    expect(expanded).not.toHaveProperty('unsubscribe_url'); // custom attributes only when named
  });

  it('unknown field in _fields is a 400; unknown recipient a 404', async () => {
    const id = await create(L1, 'g@example.com');
    expectErrorBody(await api('GET', `/lists/${L1}/recipients/${id}?_fields=email,shoe_size`), 400);
    expectErrorBody(await api('GET', `/lists/${L1}/recipients/zzzz9999`), 404);
    expectErrorBody(await api('GET', `/lists/zzzz9999/recipients/${id}`), 404);
  });
});

// ---------------------------------------------------------------- GET many, paging

describe('GET /lists/{list_id}/recipients: paging', () => {
  it('pages 120 recipients by 50 to the end, in creation order', async () => {
    const created = await api(
      'POST',
      '/recipients',
      Array.from({ length: 120 }, (_, i) => ({ list_id: L1, email: `p${String(i).padStart(3, '0')}@example.com` })),
    );
    const expected = envelope(created).value.map((item) => item.id);

    let next: string | undefined = `/lists/${L1}/recipients?_expand=true&_fields=id,email&_limit=50&_offset=0`;
    const pages: v.InferOutput<typeof Page>[] = [];
    while (next) {
      const r = await api('GET', next.startsWith('http') ? next.slice(base.length) : next);
      expect(r.status).toBe(200);
      const p = page(r);
      pages.push(p);
      next = p.info.links._next;
    }
    expect(pages.map((p) => p.value.length)).toEqual([50, 50, 20]);
    for (const p of pages) {
      expect(p.info.count).toBe(120);
      expect(p.info.links._href).toEqual(expect.any(String));
      expect(new URL(p.info.links._last).searchParams.get('_offset')).toBe('100');
    }
    expect(defined(pages[2], 'a third page').info.links._next).toBeUndefined();
    expect(pages.flatMap((p) => p.value.map((item) => item.id))).toEqual(expected);
    expect(defined(pages[0]?.value[0], 'a first row')).toEqual({
      _href: expect.any(String),
      id: expected[0],
      email: 'p000@example.com',
    });
  });

  it('defaults to _limit 50 and {_href, id} without _expand', async () => {
    await api(
      'POST',
      '/recipients',
      Array.from({ length: 60 }, (_, i) => ({ list_id: L1, email: `d${i}@example.com` })),
    );
    const r = await api('GET', `/lists/${L1}/recipients`);
    expect(envelope(r).info.count).toBe(60);
    expect(envelope(r).value).toHaveLength(50);
    expect(Object.keys(row(r)).sort()).toEqual(['_href', 'id']);
    expect(page(r).info.links._next).toEqual(expect.any(String));
    const expanded = await api('GET', `/lists/${L1}/recipients?_expand=true&_offset=50`);
    expect(envelope(expanded).value).toHaveLength(10);
    expect(row(expanded).email).toBe('d50@example.com');
    expect(page(expanded).info.links._next).toBeUndefined();
  });

  it('_fields without _expand gives {_href, id} alone (the spec’s list/find row); unknown names are still a 400', async () => {
    const id = await create(L1, 'f@example.com', { first_name: 'F', unsubscribe_url: 'https://w/u/f' });
    const r = await api('GET', `/lists/${L1}/recipients?_fields=email,first_name,unsubscribe_url`);
    expect(r.status).toBe(200);
    expect(envelope(r).value).toEqual([{ _href: `${base}/lists/${L1}/recipients/${id}`, id }]);
    const off = await api('GET', `/lists/${L1}/recipients?_expand=false&_fields=email`);
    expect(envelope(off).value).toEqual([{ _href: expect.any(String), id }]);
    const found = await api('GET', `/lists/${L1}/recipients?_fields=email&${filter('email=="f@example.com"')}`);
    expect(envelope(found).value).toEqual([{ _href: expect.any(String), id }]);
    expectErrorBody(await api('GET', `/lists/${L1}/recipients?_fields=email,shoe_size`), 400);
    const expanded = await api('GET', `/lists/${L1}/recipients?_expand=true&_fields=email,unsubscribe_url`);
    expect(envelope(expanded).value).toEqual([
      { _href: expect.any(String), id, email: 'f@example.com', unsubscribe_url: 'https://w/u/f' },
    ]);
    // Other collections alike; a read-one call honours _fields alone.
    expect(row(await api('GET', '/lists?_fields=name'))).toEqual({ _href: `${base}/lists/${L1}`, id: L1 });
    expect(row(await api('GET', '/lists?_expand=true&_fields=name'))).toEqual({
      _href: `${base}/lists/${L1}`,
      id: L1,
      name: 'Weekly',
    });
    expect(row(await api('GET', `/lists/${L1}/recipients/${id}?_fields=first_name`))).toEqual({
      _href: expect.any(String),
      id,
      first_name: 'F',
    });
  });

  it('a count that is an exact multiple of _limit ends without _next', async () => {
    await api(
      'POST',
      '/recipients',
      Array.from({ length: 100 }, (_, i) => ({ list_id: L1, email: `m${i}@example.com` })),
    );
    const first = await api('GET', `/lists/${L1}/recipients?_limit=50`);
    const second = await api('GET', defined(page(first).info.links._next, 'a next link').slice(base.length));
    expect(envelope(second).value).toHaveLength(50);
    expect(page(second).info.links._next).toBeUndefined();
    expect(page(second).info.links._last).toBe(page(first).info.links._last);
  });

  it('an offset past the end gives an empty page; bad _limit/_offset are 400; unknown list 404', async () => {
    await create(L1, 'a@example.com');
    const r = await api('GET', `/lists/${L1}/recipients?_offset=10`);
    expect(envelope(r).info.count).toBe(1);
    expect(envelope(r).value).toEqual([]);
    for (const q of ['_limit=0', '_limit=abc', '_offset=-1'])
      expectErrorBody(await api('GET', `/lists/${L1}/recipients?${q}`), 400);
    expectErrorBody(await api('GET', '/lists/zzzz9999/recipients'), 404);
  });

  it('an empty list answers count 0', async () => {
    const r = await api('GET', `/lists/${L2}/recipients?_expand=true`);
    expect(envelope(r).status).toBe(200);
    expect(envelope(r).info.count).toBe(0);
    expect(envelope(r).value).toEqual([]);
    expect(page(r).info.links._next).toBeUndefined();
  });
});

// ---------------------------------------------------------------- filters

// The `_filter` language, row by row against Newsletter2Go's operator table: n2g-filter.test.ts.

// ---------------------------------------------------------------- DELETE, attributes, unknown routes

describe('DELETE /lists/{list_id}/recipients/{id}', () => {
  it('removes the recipient: 200 envelope, then 404', async () => {
    const id = await create(L1, 'del@example.com');
    const r = await api('DELETE', `/lists/${L1}/recipients/${id}`);
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ status: 200, info: { count: 1 }, value: [] });
    expectErrorBody(await api('GET', `/lists/${L1}/recipients/${id}`), 404);
    expectErrorBody(await api('DELETE', `/lists/${L1}/recipients/${id}`), 404);
    expectErrorBody(await api('DELETE', `/lists/zzzz9999/recipients/${id}`), 404);
    // The address can be added again as a new recipient.
    expect(await create(L1, 'del@example.com')).not.toBe(id);
  });
});

describe('attributes (more in n2g-attributes.test.ts)', () => {
  it('POST /attributes creates one for its lists that can then be written there; a duplicate name is a 400 (1062)', async () => {
    const r = await api('POST', '/attributes', { list_ids: [L1], name: 'customer_no' });
    expect(r.status).toBe(201);
    expect(row(r).id).toMatch(ID);
    const list = await api('GET', '/attributes?_expand=true');
    expect(envelope(list).value.map((a) => [a.name, a.list_ids])).toEqual([
      ['unsubscribe_url', [L1, L2]],
      ['customer_no', [L1]],
    ]);
    const id = await create(L1, 'c@example.com', { customer_no: 'K-1' });
    expect((await readOne(L1, id, 'customer_no')).customer_no).toBe('K-1');
    expectValidation(
      await api('POST', '/recipients', { list_id: L2, email: 'c@example.com', customer_no: 'K' }),
      'customer_no',
    );
    const dup = await api('POST', '/attributes', { list_ids: [L2], name: 'customer_no' });
    expect(dup.status).toBe(400);
    expect(dup.json).toEqual({
      status: 400,
      code: 1062,
      errorMessage: 'Duplicate value "customer_no" for column "name"',
    });
    expectValidation(await api('POST', '/attributes', { list_ids: [L1], name: 'no spaces' }), 'name');
  });
});

describe('unknown routes', () => {
  it('answer 404 with an error body', async () => {
    for (const [m, p] of [
      ['GET', '/nope'],
      ['GET', '/recipients'],
      ['PUT', '/lists'],
      ['DELETE', `/lists/${L1}`],
      ['GET', '/oauth/v2/token'],
    ] as const) {
      expectErrorBody(await api(m, p), 404);
    }
  });
});

// ---------------------------------------------------------------- control

describe('control over HTTP', () => {
  it('GET /_emulator/ lists the routes', async () => {
    const r = await ctl('GET', '/');
    expect(r.status).toBe(200);
    expect(read(Index, r.json).routes.length).toBeGreaterThan(10);
  });

  it('state shows every recipient with every field, flag and attribute', async () => {
    const id = await create(L1, 's@example.com', { first_name: 'S', unsubscribe_url: 'https://w/u/s' });
    const s = await state();
    expect(s.lists.map((l) => l.id)).toEqual([L1, L2]);
    expect(s.attributes.map((a) => a.name)).toEqual(['unsubscribe_url']);
    expect(s.recipients).toEqual([
      expect.objectContaining({
        id,
        list_id: L1,
        email: 's@example.com',
        first_name: 'S',
        last_name: null,
        gender: null,
        phone: null,
        is_unsubscribed: false,
        is_blacklisted: false,
        is_bounced: false,
        created_at: expect.any(String),
        attributes: { unsubscribe_url: 'https://w/u/s' },
      }),
    ]);
    expect(s.tokens.liveAccessTokens).toBe(1);
  });

  it('inserts, finds, edits (flags included) and deletes recipients as a UI user would', async () => {
    const ins = await ctl('POST', '/recipients', {
      list_id: L1,
      email: 'ui@example.com',
      first_name: 'U',
      is_bounced: true,
    });
    expect(ins.status).toBe(200);
    const id = idOf(ins);
    expect(id).toMatch(ID);
    expect((await readOne(L1, id)).is_bounced).toBe(true);
    expect(fieldsOf(await ctl('GET', `/recipients?list_id=${L1}&email=UI@example.com`)).id).toBe(id);

    const ed = await ctl('PATCH', `/recipients/${id}`, {
      is_unsubscribed: true,
      is_blacklisted: true,
      is_bounced: false,
      email: 'ui2@example.com',
    });
    expect(ed.status).toBe(200);
    expect(await readOne(L1, id)).toMatchObject({
      email: 'ui2@example.com',
      is_unsubscribed: true,
      is_blacklisted: true,
      is_bounced: false,
    });

    expect((await ctl('DELETE', `/recipients/${id}`)).json).toEqual({ deleted: true });
    expectErrorBody(await api('GET', `/lists/${L1}/recipients/${id}`), 404);
    expect((await ctl('GET', `/recipients/${id}`)).status).toBe(404);
  });

  it('control errors: duplicate insert 409, unknown list 404, bad field 400, unknown route 404, wrong method 405', async () => {
    await ctl('POST', '/recipients', { list_id: L1, email: 'a@example.com' });
    expect((await ctl('POST', '/recipients', { list_id: L1, email: 'A@example.com' })).status).toBe(409);
    expect((await ctl('POST', '/recipients', { list_id: 'zzzz9999', email: 'a@example.com' })).status).toBe(404);
    expect((await ctl('POST', '/recipients', { list_id: L1, email: 'b@example.com', gender: 'x' })).status).toBe(400);
    expect((await ctl('GET', '/nothing')).status).toBe(404);
    expect((await ctl('PUT', '/state')).status).toBe(405);
    expect((await ctl('PUT', '/faults', { rate: 2 })).status).toBe(400);
    expect((await ctl('POST', '/rules', { kind: 'explode' })).status).toBe(400);
  });

  it('reset: initial lists/attributes back, recipients, tokens, faults and log gone', async () => {
    const { access } = await login();
    await create(L1, 'r@example.com');
    await ctl('POST', '/lists', { name: 'Extra' });
    await ctl('POST', '/attributes', { name: 'extra_attr' });
    await ctl('PUT', '/faults', { rate: 0.5, seed: 3 });
    await ctl('POST', '/rules', { kind: '503', method: 'GET' });
    await ctl('POST', '/rejected-emails', { emails: ['x@example.com'] });
    await ctl('POST', '/clock/advance', { seconds: 100 });

    expect((await ctl('POST', '/reset')).status).toBe(200);
    const s = await state();
    expect(s.lists.map((l) => l.id)).toEqual([L1, L2]);
    expect(s.attributes.map((a) => a.name)).toEqual(['unsubscribe_url']);
    expect(s.recipients).toEqual([]);
    expect(s.tokens).toEqual({ liveAccessTokens: 0, liveRefreshTokens: 0 });
    expect(s.faults.rate).toBe(0);
    expect(s.rules).toEqual([]);
    expect(s.rejectedEmails).toEqual([]);
    expect(s.clockOffsetSeconds).toBe(0);
    expect((await log()).entries).toEqual([]);
    expect((await api('GET', '/lists', undefined, { token: access })).status).toBe(401);
  });

  it('the JS control object offers the same', async () => {
    const list = emu.control.createList({ name: 'JS list' });
    const rec = emu.control.insertRecipient({ list_id: list.id, email: 'js@example.com', is_unsubscribed: true });
    expect(emu.control.findRecipient(list.id, 'JS@example.com')?.id).toBe(rec.id);
    emu.control.editRecipient(rec.id, { is_blacklisted: true });
    expect(emu.control.getRecipient(rec.id)).toMatchObject({
      is_unsubscribed: true,
      is_blacklisted: true,
      is_bounced: false,
    });
    expect(emu.control.state({ listId: list.id }).recipients).toHaveLength(1);
    expect(emu.control.deleteRecipient(rec.id)).toBe(true);
    expect(() => emu.control.deleteRecipient(rec.id)).toThrow();
  });
});

describe('call log', () => {
  it('records method, path with query, route, status, time, duration and fault; counts by route', async () => {
    await create(L1, 'log@example.com');
    await api('GET', `/lists/${L1}/recipients?_limit=5`);
    await api('GET', '/lists/zzzz9999');
    const { entries, counters } = await log();
    expect(entries.map((e) => [e.method, e.path, e.status])).toEqual([
      ['POST', '/oauth/v2/token', 200],
      ['POST', '/recipients', 200],
      ['GET', `/lists/${L1}/recipients?_limit=5`, 200],
      ['GET', '/lists/zzzz9999', 404],
    ]);
    for (const e of entries) {
      expect(Object.keys(e).sort()).toEqual([
        'durationMs',
        'fault',
        'items',
        'method',
        'path',
        'route',
        'ruleId',
        'seq',
        'status',
        'time',
      ]);
      expect(Date.parse(e.time)).not.toBeNaN();
      expect(e.fault).toBeNull();
    }
    expect(counters.byRoute).toEqual({
      'POST /oauth/v2/token': 1,
      'POST /recipients': 1,
      'GET /lists/{list_id}/recipients': 1,
      'GET /lists/{list_id}': 1,
    });
    expect(counters.total).toBe(4);
    expect(fieldsOf(await ctl('GET', '/counters')).byStatus).toEqual({ 200: 3, 404: 1 });
    await ctl('DELETE', '/log');
    expect((await ctl('GET', '/log')).json).toEqual({
      entries: [],
      counters: { total: 0, byRoute: {}, byStatus: {}, byFault: {}, upsertItems: 0 },
    });
  });

  it('counts the recipients each POST /recipients carried, written or faulted, and only there', async () => {
    await create(L1, 'one@example.com');
    const many = ['a', 'b', 'c'].map((n) => ({ list_id: L1, email: `${n}@example.com` }));
    await api('POST', '/recipients', many);
    await ctl('POST', '/rules', { kind: '500_after_write', times: 1, pathPrefix: '/recipients' });
    await api('POST', '/recipients', many.slice(0, 2));
    await ctl('POST', '/rules', { kind: '503', times: 1, pathPrefix: '/recipients' });
    await api('POST', '/recipients', many);
    await api('GET', `/lists/${L1}/recipients`);
    const { entries, counters } = await log();
    expect(entries.map((e) => [e.route, e.status, e.fault, e.items])).toEqual([
      ['POST /oauth/v2/token', 200, null, null],
      ['POST /recipients', 200, null, 1],
      ['POST /recipients', 201, null, 3],
      ['POST /recipients', 500, '500_after_write', 2],
      ['POST /recipients', 503, '503', 3],
      ['GET /lists/{list_id}/recipients', 200, null, null],
    ]);
    expect(fieldsOf(await ctl('GET', '/counters')).upsertItems).toBe(9);
    expect(counters).toMatchObject({ upsertItems: 9 });
  });

  it('never holds the password, auth key, tokens or personal data from bodies', async () => {
    const seen: unknown[] = [];
    const e2 = await startEmulator({
      authKey: AUTH_KEY,
      username: USERNAME,
      password: PASSWORD,
      lists: [{ id: L1, name: 'W' }],
      log: (e) => seen.push(e),
    });
    try {
      const t = await login(e2.url);
      await tokenCall({ refresh_token: t.refresh, grant_type: JWT_REFRESH }, {}, e2.url);
      await tokenCall({ username: USERNAME, password: 'wrong-secret-pw', grant_type: JWT }, {}, e2.url);
      await api(
        'POST',
        '/recipients',
        { list_id: L1, email: 'private.person@example.com', first_name: 'Zelda', last_name: 'Secretname' },
        { token: t.access, at: e2.url },
      );
      const id = defined(e2.control.state().recipients[0], 'the recipient just created').id;
      await api(
        'PATCH',
        `/lists/${L1}/recipients/${id}`,
        { email: 'other.private@example.com' },
        { token: t.access, at: e2.url },
      );
      const logged = JSON.stringify([e2.control.log(), seen, (await ctl('GET', '/log', undefined, e2.url)).json]);
      expect(seen.length).toBe(5);
      for (const secret of [
        PASSWORD,
        'wrong-secret-pw',
        AUTH_KEY,
        btoa(AUTH_KEY),
        t.access,
        t.refresh,
        USERNAME,
        'private.person',
        'other.private',
        'Zelda',
        'Secretname',
      ]) {
        expect(logged).not.toContain(secret);
      }
    } finally {
      await e2.close();
    }
  });
});

// ---------------------------------------------------------------- faults

describe('faults: targeted rules, one per kind', () => {
  it('429 with Retry-After (seconds)', async () => {
    await ctl('POST', '/rules', { kind: '429_retry_after', retryAfterSeconds: 7, pathPrefix: '/lists' });
    const r = await api('GET', '/lists');
    expect(r.status).toBe(429);
    expect(r.headers.get('retry-after')).toBe('7');
    expect(r.json).toMatchObject({ status: 429, code: 429, errorMessage: expect.any(String) });
    expect((await api('GET', '/lists')).status).toBe(200); // fired once
  });

  it('429 without Retry-After', async () => {
    const { access } = await login(); // first: an unfiltered rule would hit the token call too
    await ctl('POST', '/rules', { kind: '429' });
    const r = await api('GET', '/lists', undefined, { token: access });
    expect(r.status).toBe(429);
    expect(r.headers.get('retry-after')).toBeNull();
  });

  it('500 and 503, with JSON, HTML or empty bodies', async () => {
    await login().then((t) => (emu.token = t.access));
    await ctl('POST', '/rules', { kind: '500', method: 'GET', times: 1 });
    await ctl('POST', '/rules', { kind: '503', method: 'GET', times: 1 });
    expectErrorBody(await api('GET', '/lists'), 500);
    expectErrorBody(await api('GET', '/lists'), 503);
    await ctl('PUT', '/faults', { body: 'html' });
    await ctl('POST', '/rules', { kind: '503' });
    const html = await api('GET', '/lists');
    expect(html.status).toBe(503);
    expect(html.headers.get('content-type')).toContain('text/html');
    expect(html.text).toContain('503');
    await ctl('PUT', '/faults', { body: 'empty' });
    await ctl('POST', '/rules', { kind: '500' });
    const empty = await api('GET', '/lists');
    expect(empty.status).toBe(500);
    expect(empty.text).toBe('');
  });

  it('a delay past the client’s timeout, then a normal answer: the write still happens', async () => {
    await login().then((t) => (emu.token = t.access));
    await ctl('POST', '/rules', {
      kind: 'timeout',
      delayMs: 400,
      delayThen: 'normal',
      method: 'POST',
      pathPrefix: '/recipients',
    });
    await expect(
      api('POST', '/recipients', { list_id: L1, email: 'slow@example.com' }, { signal: AbortSignal.timeout(100) }),
    ).rejects.toThrow();
    expect((await state()).recipients).toHaveLength(0);
    await new Promise((r) => setTimeout(r, 500));
    expect((await state()).recipients.map((r) => r.email)).toEqual(['slow@example.com']);
    const entry = defined((await log()).entries.at(-1), 'a last log entry');
    expect(entry).toMatchObject({ method: 'POST', path: '/recipients', status: 200, fault: 'timeout' });
    expect(entry.durationMs).toBeGreaterThanOrEqual(390);
  });

  it('a delay, then 503: nothing written', async () => {
    await ctl('POST', '/rules', { kind: 'timeout', delayMs: 150, delayThen: '503', pathPrefix: '/recipients' });
    const started = Date.now();
    const r = await api('POST', '/recipients', { list_id: L1, email: 'slow@example.com' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(r.status).toBe(503);
    expect((await state()).recipients).toHaveLength(0);
  });

  it('5xx after the write was made', async () => {
    const id = await create(L1, 'w@example.com');
    await ctl('POST', '/rules', { kind: '500_after_write', method: 'PATCH' });
    const r = await api('PATCH', `/lists/${L1}/recipients/${id}`, { is_unsubscribed: true });
    expect(r.status).toBe(500);
    expect(fieldsOf(await ctl('GET', `/recipients/${id}`)).is_unsubscribed).toBe(true);
  });

  it('any status with any body', async () => {
    const { access } = await login();
    await ctl('POST', '/rules', {
      kind: 'status',
      status: 403,
      body: { status: 403, code: 403, errorMessage: 'Forbidden' },
    });
    const r = await api('GET', '/lists', undefined, { token: access });
    expect(r.status).toBe(403);
    expect(r.json).toEqual({ status: 403, code: 403, errorMessage: 'Forbidden' });
  });
});

describe('faults: Retry-After styles and 503 with Retry-After', () => {
  const IMF_FIXDATE =
    /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;
  const secondsAhead = (header: string | null) => (Date.parse(String(header)) - Date.now()) / 1000;

  it('a rule can give Retry-After as an HTTP-date that many seconds ahead (rounded up to a whole second)', async () => {
    const { access } = await login();
    await ctl('POST', '/rules', { kind: '429_retry_after', retryAfterSeconds: 7, retryAfterStyle: 'http-date' });
    const r = await api('GET', '/lists', undefined, { token: access });
    expect(r.status).toBe(429);
    const header = r.headers.get('retry-after');
    expect(header).toMatch(IMF_FIXDATE);
    expect(secondsAhead(header)).toBeGreaterThan(6.5);
    expect(secondsAhead(header)).toBeLessThanOrEqual(8);
  });

  it('the style set with PUT /faults applies to random faults and to rules that do not name one', async () => {
    const { access } = await login();
    await ctl('PUT', '/faults', { retryAfterStyle: 'http-date', retryAfterSeconds: 3 });
    expect((await ctl('GET', '/faults')).json).toMatchObject({ retryAfterStyle: 'http-date', retryAfterSeconds: 3 });
    await ctl('POST', '/rules', { kind: '429_retry_after' });
    const ruled = await api('GET', '/lists', undefined, { token: access });
    expect(ruled.headers.get('retry-after')).toMatch(IMF_FIXDATE);
    await ctl('POST', '/rules', { kind: '429_retry_after', retryAfterStyle: 'seconds' });
    expect((await api('GET', '/lists', undefined, { token: access })).headers.get('retry-after')).toBe('3');
    await ctl('PUT', '/faults', { rate: 1, seed: 4, kinds: ['429_retry_after'] });
    const random = await api('GET', '/lists', undefined, { token: access });
    expect(random.status).toBe(429);
    expect(secondsAhead(random.headers.get('retry-after'))).toBeGreaterThan(2.5);
  });

  it('503_retry_after: 503 with Retry-After, by rule and at random; seconds by default', async () => {
    const { access } = await login();
    await ctl('POST', '/rules', { kind: '503_retry_after', retryAfterSeconds: 5 });
    const r = await api('GET', '/lists', undefined, { token: access });
    expectErrorBody(r, 503);
    expect(r.headers.get('retry-after')).toBe('5');
    expect((await api('GET', '/lists', undefined, { token: access })).status).toBe(200);
    await ctl('PUT', '/faults', { rate: 1, seed: 2, kinds: ['503_retry_after'], retryAfterStyle: 'http-date' });
    const random = await api('GET', '/lists', undefined, { token: access });
    expect(random.status).toBe(503);
    expect(random.headers.get('retry-after')).toMatch(IMF_FIXDATE);
    expect((await log()).counters.byFault).toEqual({ '503_retry_after': 2 });
  });

  it('a bad style or seconds is a 400; default random kinds leave 503_retry_after out (old seeds replay)', async () => {
    expect((await ctl('PUT', '/faults', { retryAfterStyle: 'date' })).status).toBe(400);
    expect((await ctl('POST', '/rules', { kind: '503_retry_after', retryAfterStyle: 'minutes' })).status).toBe(400);
    expect((await ctl('POST', '/rules', { kind: '429_retry_after', retryAfterSeconds: -1 })).status).toBe(400);
    const faults = read(Faults, (await ctl('GET', '/faults')).json);
    expect(faults.retryAfterStyle).toBe('seconds');
    expect(faults.kinds.map((k) => k.kind)).toEqual([
      '429_retry_after',
      '429',
      '500',
      '503',
      'timeout',
      '500_after_write',
    ]);
  });
});

describe('faults: rule matching and counts', () => {
  it('"fail the next 3 PATCH calls with 503"', async () => {
    const id = await create(L1, 'm@example.com');
    const rule = fieldsOf(await ctl('POST', '/rules', { kind: '503', method: 'patch', times: 3 }));
    expect(rule).toMatchObject({ id: expect.any(Number), remaining: 3, method: 'PATCH' });
    const statuses = [];
    for (let i = 0; i < 4; i++) {
      statuses.push((await api('PATCH', `/lists/${L1}/recipients/${id}`, { first_name: `n${i}` })).status);
      expect((await api('GET', `/lists/${L1}/recipients/${id}`)).status).toBe(200);
    }
    expect(statuses).toEqual([503, 503, 503, 200]);
    expect((await ctl('GET', '/rules')).json).toEqual([]);
    const { counters, entries } = await log();
    expect(counters.byFault).toEqual({ 503: 3 });
    expect(entries.filter((e) => e.ruleId === rule.id)).toHaveLength(3);
  });

  it('matches by e-mail in the body (bulk too) or of the recipient the path names', async () => {
    const id = await create(L1, 'target@example.com');
    await create(L1, 'other@example.com');
    await ctl('POST', '/rules', { kind: '500', email: 'TARGET@example.com', times: 3 });
    expect((await api('POST', '/recipients', { list_id: L1, email: 'other@example.com' })).status).toBe(200);
    expect(
      (
        await api('POST', '/recipients', [
          { list_id: L1, email: 'x@example.com' },
          { list_id: L1, email: 'target@example.com' },
        ])
      ).status,
    ).toBe(500);
    expect((await api('PATCH', `/lists/${L1}/recipients/${id}`, { is_unsubscribed: true })).status).toBe(500);
    expect((await api('GET', `/lists/${L1}/recipients/${id}`)).status).toBe(500);
    expect((await api('GET', `/lists/${L1}/recipients/${id}`)).status).toBe(200);
  });

  it('matches by path regex and prefix; rules can be removed', async () => {
    await login().then((t) => (emu.token = t.access));
    const r1 = fieldsOf(await ctl('POST', '/rules', { kind: '503', pathRegex: '^/lists/[a-z0-9]{8}$', times: 5 }));
    expect((await api('GET', '/lists')).status).toBe(200);
    expect((await api('GET', `/lists/${L1}`)).status).toBe(503);
    expect((await ctl('DELETE', `/rules/${r1.id}`)).json).toEqual({ removed: true });
    expect((await api('GET', `/lists/${L1}`)).status).toBe(200);
    await ctl('POST', '/rules', { kind: '503', pathPrefix: '/lists?_expand' });
    expect((await api('GET', '/lists')).status).toBe(200);
    expect((await api('GET', '/lists?_expand=true')).status).toBe(503);
    await ctl('POST', '/rules', { kind: '503' });
    await ctl('DELETE', '/rules');
    expect((await api('GET', '/lists')).status).toBe(200);
  });

  it('control calls are never faulted or logged', async () => {
    await ctl('PUT', '/faults', { rate: 1, seed: 1, kinds: ['503'] });
    await ctl('POST', '/rules', { kind: '500', times: 5 });
    expect((await ctl('GET', '/state')).status).toBe(200);
    expect((await log()).entries).toEqual([]);
    expect(defined(read(Rules, (await ctl('GET', '/rules')).json)[0], 'a rule').remaining).toBe(5);
  });
});

describe('faults: random rate from a seeded PRNG', () => {
  async function run(seed: number, n = 60): Promise<string[]> {
    await ctl('PUT', '/faults', {
      rate: 0.3,
      seed,
      kinds: ['429_retry_after', '429', '500', '503', '500_after_write'],
      retryAfterSeconds: 1,
    });
    const out: string[] = [];
    for (let i = 0; i < n; i++) {
      const r = await api('GET', `/lists/${L1}/recipients`);
      out.push(`${r.status}${r.headers.get('retry-after') ? '+ra' : ''}`);
    }
    return out;
  }

  it('the same seed gives the same faults; another seed others', async () => {
    await login().then((t) => (emu.token = t.access));
    const a = await run(42);
    const b = await run(42);
    const c = await run(7);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    const faulted = a.filter((s) => s !== '200').length;
    expect(faulted).toBeGreaterThan(5);
    expect(faulted).toBeLessThan(40);
    expect(new Set(a)).toEqual(new Set(['200', '429+ra', '429', '500', '503']));
    const { counters } = await log();
    expect(Object.values(counters.byFault).reduce((x, y) => x + y, 0)).toBe(
      a.filter((s) => s !== '200').length * 2 + c.filter((s) => s !== '200').length,
    );
  });

  it('rate 1: every API call faulted; the token endpoint only with includeOAuth', async () => {
    await ctl('PUT', '/faults', { rate: 1, seed: 9, kinds: [{ kind: '503', weight: 1 }] });
    const t = await tokenCall({ username: USERNAME, password: PASSWORD, grant_type: JWT });
    expect(t.status).toBe(200);
    expect((await api('GET', '/lists', undefined, { token: tokens(t).access_token })).status).toBe(503);
    await ctl('PUT', '/faults', { includeOAuth: true });
    expect((await tokenCall({ username: USERNAME, password: PASSWORD, grant_type: JWT })).status).toBe(503);
    await ctl('DELETE', '/faults');
    expect((await api('GET', '/lists', undefined, { token: tokens(t).access_token })).status).toBe(200);
  });

  it('random timeouts use the configured delay', async () => {
    await login().then((x) => (emu.token = x.access));
    await ctl('PUT', '/faults', { rate: 1, seed: 5, kinds: ['timeout'], delayMs: 120, delayThen: '503' });
    const started = Date.now();
    expect((await api('GET', '/lists')).status).toBe(503);
    expect(Date.now() - started).toBeGreaterThanOrEqual(110);
  });
});

// ---------------------------------------------------------------- scale

describe('scale', () => {
  it('holds 100,000 recipients in one list; upsert stays fast; _limit caps at 5000', async () => {
    const total = 100_000;
    for (let start = 0; start < total; start += 20_000) {
      const chunk = Array.from({ length: 20_000 }, (_, i) => ({
        list_id: L1,
        email: `bulk${start + i}@example.com`,
        first_name: 'B',
      }));
      const r = await api('POST', '/recipients', chunk);
      expect(r.status).toBe(201);
      expect(envelope(r).info.count).toBe(20_000);
    }
    const t0 = Date.now();
    for (let i = 0; i < 200; i++)
      expect(
        (await api('POST', '/recipients', { list_id: L1, email: `BULK${i * 499}@example.com`, last_name: 'Up' }))
          .status,
      ).toBe(200);
    expect(Date.now() - t0).toBeLessThan(5000);
    const last = await api('GET', `/lists/${L1}/recipients?_limit=10000&_offset=99000`);
    expect(envelope(last).info.count).toBe(total);
    expect(envelope(last).value).toHaveLength(1000);
    const capped = await api('GET', `/lists/${L1}/recipients?_limit=10000&_expand=true`);
    expect(envelope(capped).value).toHaveLength(5000);
    expect(new URL(defined(page(capped).info.links._next, 'a next link')).searchParams.get('_offset')).toBe('5000');
    const found = await api('GET', `/lists/${L1}/recipients?_expand=true&${filter('last_name=="Up"')}`);
    expect(envelope(found).info.count).toBe(200);
  }, 60_000);
});
