/**
 * The Brevo emulator, tested from the spec (shared/spec/brevo-api.md) with plain fetch against a
 * running instance (node environment): every endpoint, every error body of the spec's table,
 * paging to the end both ways, modifiedSince, the add/remove limits, the rate limits and their
 * headers, each fault kind and rule, and each switch for an unconfirmed reading under both readings.
 */
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { startEmulator } from '../../stack/brevo-emulator/emulator.mjs';
import { API_KEY, brevoForFile } from '../support/brevo-http';
import { defined } from '../support/defined';
import { type Res, read } from '../support/emulator-http';

const L1 = 11;
const L2 = 12;
const ACCOUNT_EMAIL = 'owner@account.example.org';
const SECOND_KEY = `xkeysib-${'cd34'.repeat(16)}-TestsKey00000002`;

// The file's own emulator is generous with calls so that tests other than the rate-limit ones
// never meet a 429; those set the limits they test (reset restores these).
const brevo = brevoForFile({
  lists: [
    { id: L1, name: 'Weekly' },
    { id: L2, name: 'Offers' },
  ],
  accountEmail: ACCOUNT_EMAIL,
  extraApiKeys: [SECOND_KEY],
  rateLimits: { perSecond: 100_000, perHour: 100_000_000 },
});
const { api, ctl, call } = brevo;

// ---------------------------------------------------------------- reading answers

const Int = v.pipe(v.number(), v.integer());
const IsoTime = v.pipe(v.string(), v.isoTimestamp());

/** Brevo's error body `{code, message, metadata?}`, nothing else. */
const ErrorBody = v.strictObject({
  code: v.string(),
  message: v.string(),
  metadata: v.optional(v.strictObject({ duplicate_identifiers: v.array(v.string()) })),
});

/** A contact in a list's contacts and in `GET /contacts` (getContactDetails). */
const Contact = v.strictObject({
  email: v.optional(v.string()),
  id: Int,
  ext_id: v.optional(v.string()),
  emailBlacklisted: v.boolean(),
  smsBlacklisted: v.boolean(),
  createdAt: IsoTime,
  modifiedAt: IsoTime,
  listIds: v.array(Int),
  listUnsubscribed: v.optional(v.array(Int)),
  attributes: v.record(v.string(), v.unknown()),
});
/** `GET /contacts/{identifier}` (getExtendedContactDetails). */
const ContactDetails = v.strictObject({ ...Contact.entries, statistics: v.record(v.string(), v.unknown()) });
const ContactPage = v.strictObject({ contacts: v.array(Contact), count: Int });
const List = v.strictObject({
  id: Int,
  name: v.string(),
  totalBlacklisted: Int,
  totalSubscribers: Int,
  uniqueSubscribers: Int,
  folderId: Int,
});
const ListDetails = v.strictObject({ ...List.entries, createdAt: IsoTime, dynamicList: v.boolean() });
const ListPage = v.strictObject({ lists: v.array(List), count: Int });
const Entry = v.union([v.string(), Int]);
const PostContactInfo = v.strictObject({
  contacts: v.strictObject({ success: v.array(Entry), failure: v.array(Entry) }),
});
const RemoveAll = v.strictObject({ contacts: v.strictObject({ total: Int, processId: Int }) });
const Attribute = v.looseObject({ name: v.string(), category: v.string(), type: v.optional(v.string()) });
const Attributes = v.strictObject({ attributes: v.array(Attribute) });
const Created = v.strictObject({ id: Int });

/** The control's view of a contact: every field. */
const CtlContact = v.looseObject({
  id: Int,
  email: v.nullable(v.string()),
  ext_id: v.nullable(v.string()),
  attributes: v.record(v.string(), v.unknown()),
  listIds: v.array(Int),
  listUnsubscribed: v.array(Int),
  emailBlacklisted: v.boolean(),
  smsBlacklisted: v.boolean(),
  createdAt: IsoTime,
  modifiedAt: IsoTime,
});
const State = v.looseObject({
  account: v.looseObject({ email: v.string() }),
  lists: v.array(ListDetails),
  attributes: v.array(Attribute),
  contacts: v.array(CtlContact),
  suppressedEmails: v.array(v.string()),
  settings: v.record(v.string(), v.unknown()),
  rateLimits: v.looseObject({ perSecond: v.nullable(Int), perHour: v.nullable(Int) }),
  clockOffsetSeconds: v.number(),
});
const LogEntry = v.strictObject({
  seq: Int,
  time: IsoTime,
  method: v.string(),
  path: v.string(),
  route: v.string(),
  status: Int,
  durationMs: v.number(),
  fault: v.nullable(v.string()),
  ruleId: v.nullable(Int),
  rateLimited: v.boolean(),
  items: v.nullable(Int),
});
const Log = v.strictObject({
  entries: v.array(LogEntry),
  counters: v.strictObject({
    total: Int,
    byRoute: v.record(v.string(), Int),
    byStatus: v.record(v.string(), Int),
    byFault: v.record(v.string(), Int),
    rateLimited: Int,
    listItems: Int,
  }),
});
const Rule = v.looseObject({ id: Int, remaining: Int, kind: v.string() });
const Fields = v.record(v.string(), v.unknown());

/** The error body of an answer with this status. */
function errorOf(r: Res, status: number) {
  expect(r.status, r.text).toBe(status);
  return read(ErrorBody, r.json);
}

/** An answer with no body (204, and 201 of an attribute). */
function expectEmpty(r: Res, status: number) {
  expect(r.status, r.text).toBe(status);
  expect(r.text).toBe('');
}

async function create(body: Record<string, unknown>): Promise<number> {
  const r = await api('POST', '/contacts', body);
  expect(r.status, r.text).toBe(201);
  return read(Created, r.json).id;
}

async function contact(identifier: string | number, identifierType?: string) {
  const q = identifierType ? `?identifierType=${identifierType}` : '';
  const r = await api('GET', `/contacts/${encodeURIComponent(String(identifier))}${q}`);
  expect(r.status, r.text).toBe(200);
  return read(ContactDetails, r.json);
}

async function listPage(listId: number, query = '') {
  const r = await api('GET', `/contacts/lists/${listId}/contacts${query}`);
  expect(r.status, r.text).toBe(200);
  return read(ContactPage, r.json);
}

async function state() {
  return read(State, (await ctl('GET', '/state')).json);
}

async function log() {
  return read(Log, (await ctl('GET', '/log')).json);
}

async function settings(patch: Record<string, unknown>) {
  const r = await ctl('PUT', '/settings', patch);
  expect(r.status, r.text).toBe(200);
}

/** A contact added inside Brevo (control), its id. */
async function seed(body: Record<string, unknown>): Promise<number> {
  const r = await ctl('POST', '/contacts', body);
  expect(r.status, r.text).toBe(200);
  return read(CtlContact, r.json).id;
}

async function ctlContact(id: number) {
  return read(CtlContact, (await ctl('GET', `/contacts/${id}`)).json);
}

const limitHeaders = (r: Res) => ({
  limit: r.headers.get('x-sib-ratelimit-limit'),
  remaining: r.headers.get('x-sib-ratelimit-remaining'),
  reset: r.headers.get('x-sib-ratelimit-reset'),
});

// ---------------------------------------------------------------- authentication

describe('api-key header', () => {
  it('no key, or an empty one: 401 "authentication not found in headers"', async () => {
    for (const key of [null, '']) {
      const r = await api('GET', '/contacts/lists', undefined, { key });
      expect(errorOf(r, 401)).toEqual({ code: 'unauthorized', message: 'authentication not found in headers' });
    }
  });

  it('a wrong key: 401 "Key not found"', async () => {
    for (const key of ['xkeysib-nope', API_KEY.toUpperCase(), API_KEY.slice(0, -1), SECOND_KEY.replace('cd', 'dc')]) {
      const r = await api('GET', '/contacts/lists', undefined, { key });
      expect(errorOf(r, 401)).toEqual({ code: 'unauthorized', message: 'Key not found' });
    }
  });

  it('any key configured for the account works; the control routes need none', async () => {
    expect((await api('GET', '/contacts/lists')).status).toBe(200);
    expect((await api('GET', '/contacts/lists', undefined, { key: SECOND_KEY })).status).toBe(200);
    expect((await ctl('GET', '/state')).status).toBe(200);
  });
});

// ---------------------------------------------------------------- contacts

describe('POST /contacts', () => {
  it('creates a contact: 201 {id} with an integer id; GET shows what was sent', async () => {
    const id = await create({
      email: 'ann@example.com',
      ext_id: 'user-1',
      attributes: { FIRSTNAME: 'Ann', LASTNAME: 'Lee' },
      listIds: [L1],
    });
    const second = await create({ email: 'bob@example.com' });
    expect(second).toBeGreaterThan(id);
    const c = await contact(id);
    expect(c).toEqual({
      email: 'ann@example.com',
      id,
      emailBlacklisted: false,
      smsBlacklisted: false,
      createdAt: c.createdAt,
      modifiedAt: c.createdAt,
      listIds: [L1],
      attributes: { FIRSTNAME: 'Ann', LASTNAME: 'Lee', EXT_ID: 'user-1' },
      statistics: {},
    });
    expect(Math.abs(Date.parse(c.createdAt) - Date.now())).toBeLessThan(5000);
  });

  it('an e-mail the account has, in any case, without updateEnabled: the spec’s 400 with metadata', async () => {
    const id = await create({ email: 'dup@example.com', attributes: { FIRSTNAME: 'First' } });
    for (const email of ['dup@example.com', 'DUP@Example.COM']) {
      const r = await api('POST', '/contacts', { email, attributes: { FIRSTNAME: 'Second' } });
      expect(errorOf(r, 400)).toEqual({
        code: 'duplicate_parameter',
        message: 'Unable to create contact, email is already associated with another Contact',
        metadata: { duplicate_identifiers: ['email'] },
      });
    }
    const r = await api('POST', '/contacts', { email: 'dup@example.com', updateEnabled: false });
    expect(r.status).toBe(400);
    expect((await contact(id)).attributes).toEqual({ FIRSTNAME: 'First' });
    expect((await state()).contacts).toHaveLength(1);
  });

  it('updateEnabled on an existing e-mail: 204 without a body; attributes merged, listIds added', async () => {
    const id = await create({ email: 'up@example.com', attributes: { FIRSTNAME: 'A', LASTNAME: 'B' }, listIds: [L1] });
    const r = await api('POST', '/contacts', {
      email: 'UP@example.com',
      attributes: { FIRSTNAME: 'Alpha' },
      listIds: [L2],
      updateEnabled: true,
    });
    expectEmpty(r, 204);
    const c = await contact(id);
    expect(c.attributes).toEqual({ FIRSTNAME: 'Alpha', LASTNAME: 'B' });
    expect(c.listIds).toEqual([L1, L2]);
    expect(c.email).toBe('up@example.com');
  });

  it('updateEnabled on a new e-mail creates: 201 {id}', async () => {
    const r = await api('POST', '/contacts', { email: 'new@example.com', updateEnabled: true });
    expect(r.status).toBe(201);
    expect((await contact(read(Created, r.json).id)).email).toBe('new@example.com');
  });

  it('an e-mail and an ext_id of two different contacts: 400, with or without updateEnabled, nothing changed', async () => {
    const a = await create({ email: 'a@example.com', ext_id: 'user-a' });
    const b = await create({ email: 'b@example.com', ext_id: 'user-b' });
    for (const updateEnabled of [false, true]) {
      const r = await api('POST', '/contacts', {
        email: 'a@example.com',
        ext_id: 'user-b',
        attributes: { FIRSTNAME: 'X' },
        updateEnabled,
      });
      expect(errorOf(r, 400)).toEqual({
        code: 'duplicate_parameter',
        message: 'Unable to create contact, email and ext_id are associated with two different Contacts',
        metadata: { duplicate_identifiers: ['email', 'ext_id'] },
      });
    }
    expect((await contact(a)).attributes).toEqual({ EXT_ID: 'user-a' });
    expect((await contact(b)).attributes).toEqual({ EXT_ID: 'user-b' });
  });

  it('an ext_id the account has, with a new e-mail: 400 without updateEnabled; with it that contact gets the e-mail', async () => {
    const id = await create({ email: 'old@example.com', ext_id: 'user-7' });
    const r = await api('POST', '/contacts', { email: 'fresh@example.com', ext_id: 'user-7' });
    expect(errorOf(r, 400)).toEqual({
      code: 'duplicate_parameter',
      message: 'Unable to create contact, ext_id is already associated with another Contact',
      metadata: { duplicate_identifiers: ['ext_id'] },
    });
    expectEmpty(
      await api('POST', '/contacts', { email: 'fresh@example.com', ext_id: 'user-7', updateEnabled: true }),
      204,
    );
    const c = await contact('user-7', 'ext_id');
    expect(c.id).toBe(id);
    expect(c.email).toBe('fresh@example.com');
    expect(errorOf(await api('GET', '/contacts/old%40example.com'), 404).code).toBe('document_not_found');
  });

  it('updateEnabled with an e-mail held by a contact with another or no ext_id sets this ext_id (the merge)', async () => {
    const id = await create({ email: 'merge@example.com', ext_id: 'user-1' });
    expectEmpty(
      await api('POST', '/contacts', { email: 'merge@example.com', ext_id: 'user-2', updateEnabled: true }),
      204,
    );
    expect((await contact('user-2', 'ext_id')).id).toBe(id);
    expect(errorOf(await api('GET', '/contacts/user-1?identifierType=ext_id'), 404).message).toBe(
      'Contact does not exist',
    );
  });

  it('no e-mail, SMS or ext_id: 400 missing_parameter; SMS alone or ext_id alone creates', async () => {
    for (const body of [{}, { attributes: { FIRSTNAME: 'N' } }, { email: '' }, { listIds: [L1] }]) {
      const r = await api('POST', '/contacts', body);
      expect(errorOf(r, 400), JSON.stringify(body)).toEqual({
        code: 'missing_parameter',
        message: 'Please provide Email or SMS attribute value to create user',
      });
    }
    const sms = await create({ attributes: { SMS: '+4915100000001' } });
    expect(await contact('+4915100000001', 'phone_id')).toMatchObject({
      id: sms,
      attributes: { SMS: '+4915100000001' },
    });
    expect((await contact(sms)).email).toBeUndefined();
    const ext = await create({ ext_id: 'only-ext' });
    expect((await contact('only-ext', 'ext_id')).id).toBe(ext);
  });

  it('a malformed address, or one configured as rejected: 400 "Invalid email address"', async () => {
    await ctl('POST', '/rejected-emails', { emails: ['Refused@example.com'] });
    for (const email of ['no-at-sign', 'a@b', 'two@@example.com', 'sp ace@example.com', 42, 'refused@EXAMPLE.com']) {
      const r = await api('POST', '/contacts', { email });
      expect(errorOf(r, 400), String(email)).toEqual({ code: 'invalid_parameter', message: 'Invalid email address' });
    }
    expect((await state()).contacts).toEqual([]);
  });

  it('the address goes in email; attributes.EMAIL is read only when email is absent', async () => {
    const id = await create({ attributes: { EMAIL: 'attr@example.com', FIRSTNAME: 'E' } });
    expect(await contact(id)).toMatchObject({ email: 'attr@example.com', attributes: { FIRSTNAME: 'E' } });
    const other = await create({ email: 'main@example.com', attributes: { EMAIL: 'ignored@example.com' } });
    expect((await contact(other)).email).toBe('main@example.com');
  });

  it('refuses a body that is not a JSON object, unknown lists and wrongly typed fields', async () => {
    const raw = await call('POST', '/v3/contacts', {
      headers: { 'api-key': API_KEY, 'content-type': 'application/json' },
      body: '{"email": ',
    });
    expect(errorOf(raw, 400)).toEqual({ code: 'bad_request', message: 'Input must be a valid JSON object' });
    expect(errorOf(await api('POST', '/contacts', ['x@example.com']), 400).code).toBe('bad_request');
    expect(errorOf(await api('POST', '/contacts', { email: 'l@example.com', listIds: [999] }), 400)).toEqual({
      code: 'invalid_parameter',
      message: 'listIds: list 999 does not exist',
    });
    expect(errorOf(await api('POST', '/contacts', { email: 'l@example.com', listIds: ['11'] }), 400).code).toBe(
      'invalid_parameter',
    );
    expect(errorOf(await api('POST', '/contacts', { email: 'l@example.com', updateEnabled: 'yes' }), 400).code).toBe(
      'invalid_parameter',
    );
    expect(errorOf(await api('POST', '/contacts', { email: 'l@example.com', ext_id: 7 }), 400).code).toBe(
      'invalid_parameter',
    );
    expect((await state()).contacts).toEqual([]);
  });

  it('emailBlacklisted and smsBlacklisted can be set on create', async () => {
    const id = await create({ email: 'bl@example.com', emailBlacklisted: true, smsBlacklisted: true });
    expect(await contact(id)).toMatchObject({ emailBlacklisted: true, smsBlacklisted: true });
  });
});

describe('attribute values in contact writes', () => {
  it('values that do not fit the attribute’s type are ignored; the rest is written', async () => {
    const defs: [string, string, Record<string, unknown>][] = [
      ['normal', 'AGE', { type: 'float' }],
      ['normal', 'VIP', { type: 'boolean' }],
      ['normal', 'BIRTHDAY', { type: 'date' }],
      ['normal', 'TOPICS', { type: 'multiple-choice', multiCategoryOptions: ['news', 'sport'] }],
      [
        'category',
        'GENDER',
        {
          type: 'category',
          enumeration: [
            { value: 1, label: 'Men' },
            { value: 2, label: 'Women' },
          ],
        },
      ],
      ['transactional', 'ORDER_ID', { type: 'id' }],
    ];
    for (const [category, name, body] of defs)
      expectEmpty(await api('POST', `/contacts/attributes/${category}/${name}`, body), 201);
    const good = await create({
      email: 'fit@example.com',
      attributes: {
        FIRSTNAME: 'Fit',
        AGE: 41.5,
        VIP: true,
        BIRTHDAY: '1985-02-28',
        TOPICS: ['news'],
        GENDER: 2,
        ORDER_ID: 77,
      },
    });
    expect((await contact(good)).attributes).toEqual({
      FIRSTNAME: 'Fit',
      AGE: 41.5,
      VIP: true,
      BIRTHDAY: '1985-02-28',
      TOPICS: ['news'],
      GENDER: 'Women',
      ORDER_ID: 77,
    });
    const bad = await create({
      email: 'unfit@example.com',
      attributes: {
        FIRSTNAME: 12,
        LASTNAME: 'Kept',
        AGE: '41',
        VIP: 'yes',
        BIRTHDAY: '1985-02-30',
        TOPICS: ['golf'],
        GENDER: 3,
        ORDER_ID: 'x',
      },
    });
    expect((await contact(bad)).attributes).toEqual({ LASTNAME: 'Kept' });
    expectEmpty(
      await api('PUT', `/contacts/${good}`, { attributes: { AGE: 'old', GENDER: 'Men', FIRSTNAME: null } }),
      204,
    );
    expect((await contact(good)).attributes).toMatchObject({ AGE: 41.5, GENDER: 'Men' });
    expect((await contact(good)).attributes.FIRSTNAME).toBeUndefined();
  });

  it('an attribute that does not exist is dropped without a word (unknownAttribute "drop", the default)', async () => {
    const id = await create({
      email: 'drop@example.com',
      attributes: { FIRSTNAME: 'D', UNSUB_URL_11: 'https://x.example' },
    });
    expect((await contact(id)).attributes).toEqual({ FIRSTNAME: 'D' });
    expectEmpty(await api('PUT', `/contacts/${id}`, { attributes: { NOPE: 'x', firstname: 'lower' } }), 204);
    expect((await contact(id)).attributes).toEqual({ FIRSTNAME: 'D' });
  });
});

describe('GET /contacts/{identifier}', () => {
  it('by id, by URL-encoded e-mail in any case, and by each identifierType', async () => {
    const id = await create({ email: 'Who+tag@Example.com', ext_id: 'u-9', attributes: { SMS: '+4917000000009' } });
    for (const [identifier, type] of [
      [String(id), undefined],
      ['who+tag@example.com', undefined],
      ['WHO+TAG@EXAMPLE.COM', 'email_id'],
      [String(id), 'contact_id'],
      ['u-9', 'ext_id'],
      ['+4917000000009', 'phone_id'],
    ] as const)
      expect((await contact(identifier, type)).id, `${identifier} ${type}`).toBe(id);
  });

  it('without identifierType only an e-mail or a contact id works: a numeric ext_id reads as a contact id', async () => {
    const first = await create({ email: 'first@example.com' });
    const id = await create({ email: 'ext@example.com', ext_id: String(first) });
    expect((await contact(String(first))).id).toBe(first);
    expect((await contact(String(first), 'ext_id')).id).toBe(id);
    expect(errorOf(await api('GET', '/contacts/u-unknown'), 404).code).toBe('document_not_found');
  });

  it('unknown contact: the spec’s 404; a bad identifierType or a non-numeric contact_id: 400', async () => {
    for (const path of ['/contacts/999', '/contacts/nobody%40example.com', '/contacts/zz?identifierType=ext_id'])
      expect(errorOf(await api('GET', path), 404), path).toEqual({
        code: 'document_not_found',
        message: 'Contact does not exist',
      });
    expect(errorOf(await api('GET', '/contacts/1?identifierType=uuid'), 400).code).toBe('invalid_parameter');
    expect(errorOf(await api('GET', '/contacts/abc?identifierType=contact_id'), 400).code).toBe('invalid_parameter');
    expect(errorOf(await api('GET', '/contacts/%E0%A4%A'), 400).code).toBe('invalid_parameter');
  });
});

describe('PUT /contacts/{identifier}', () => {
  it('updates attributes: 204 without a body; modifiedAt moves, createdAt stays', async () => {
    const id = await create({ email: 'put@example.com', attributes: { FIRSTNAME: 'P', LASTNAME: 'Q' } });
    const before = await contact(id);
    await ctl('POST', '/clock/advance', { seconds: 60 });
    expectEmpty(await api('PUT', `/contacts/${id}?identifierType=contact_id`, { attributes: { LASTNAME: 'R' } }), 204);
    const after = await contact(id);
    expect(after.attributes).toEqual({ FIRSTNAME: 'P', LASTNAME: 'R' });
    expect(after.createdAt).toBe(before.createdAt);
    expect(Date.parse(after.modifiedAt) - Date.parse(before.modifiedAt)).toBeGreaterThanOrEqual(60_000);
  });

  it('changes the e-mail with attributes.EMAIL: the old address is free, the new one finds the contact', async () => {
    const id = await create({ email: 'before@example.com', ext_id: 'u-1' });
    expectEmpty(
      await api('PUT', '/contacts/u-1?identifierType=ext_id', { attributes: { EMAIL: 'after@example.com' } }),
      204,
    );
    expect((await contact('after@example.com')).id).toBe(id);
    expect((await api('GET', '/contacts/before%40example.com')).status).toBe(404);
    expect(await create({ email: 'before@example.com' })).toBeGreaterThan(id);
  });

  it('another contact’s e-mail: the spec’s 400 with metadata (duplicate_parameter by default); nothing changed', async () => {
    const a = await create({ email: 'one@example.com', attributes: { FIRSTNAME: 'One' } });
    await create({ email: 'two@example.com' });
    const r = await api('PUT', `/contacts/${a}`, { attributes: { EMAIL: 'TWO@example.com', FIRSTNAME: 'Changed' } });
    expect(errorOf(r, 400)).toEqual({
      code: 'duplicate_parameter',
      message: 'Unable to update contact, email is already associated with another Contact',
      metadata: { duplicate_identifiers: ['email'] },
    });
    expect(await contact(a)).toMatchObject({ email: 'one@example.com', attributes: { FIRSTNAME: 'One' } });
  });

  it('another contact’s ext_id: 400 naming ext_id; its own e-mail in another case is no conflict', async () => {
    const a = await create({ email: 'x1@example.com', ext_id: 'u-x1' });
    await create({ email: 'x2@example.com', ext_id: 'u-x2' });
    expect(errorOf(await api('PUT', `/contacts/${a}`, { ext_id: 'u-x2' }), 400)).toEqual({
      code: 'duplicate_parameter',
      message: 'Unable to update contact, ext_id is already associated with another Contact',
      metadata: { duplicate_identifiers: ['ext_id'] },
    });
    expectEmpty(await api('PUT', `/contacts/${a}`, { ext_id: 'u-x3', attributes: { EMAIL: 'X1@example.com' } }), 204);
    expect((await contact('u-x3', 'ext_id')).id).toBe(a);
  });

  it('listIds adds to lists, unlinkListIds removes from them', async () => {
    const id = await create({ email: 'lists@example.com', listIds: [L1] });
    expectEmpty(await api('PUT', `/contacts/${id}`, { listIds: [L2] }), 204);
    expect((await contact(id)).listIds).toEqual([L1, L2]);
    expectEmpty(await api('PUT', `/contacts/${id}`, { unlinkListIds: [L1] }), 204);
    expect((await contact(id)).listIds).toEqual([L2]);
    expect(errorOf(await api('PUT', `/contacts/${id}`, { unlinkListIds: [404] }), 400).code).toBe('invalid_parameter');
  });

  it('emailBlacklisted true blocklists account-wide; the contact stays in its lists; false lifts it', async () => {
    const id = await create({ email: 'block@example.com', listIds: [L1, L2] });
    expectEmpty(await api('PUT', `/contacts/${id}`, { emailBlacklisted: true }), 204);
    expect(await contact(id)).toMatchObject({ emailBlacklisted: true, listIds: [L1, L2] });
    const page = await listPage(L1);
    expect(page.contacts.map((c) => [c.id, c.emailBlacklisted])).toEqual([[id, true]]);
    const list = read(ListDetails, (await api('GET', `/contacts/lists/${L1}`)).json);
    expect(list).toMatchObject({ totalBlacklisted: 1, totalSubscribers: 0, uniqueSubscribers: 1 });
    expectEmpty(await api('PUT', `/contacts/${id}`, { emailBlacklisted: false }), 204);
    expect((await contact(id)).emailBlacklisted).toBe(false);
  });

  it('changing a blocklisted contact’s e-mail lifts the blocklisting; another case of it does not', async () => {
    const id = await create({ email: 'bl1@example.com', emailBlacklisted: true });
    expectEmpty(await api('PUT', `/contacts/${id}`, { attributes: { EMAIL: 'BL1@example.com' } }), 204);
    expect((await contact(id)).emailBlacklisted).toBe(true);
    expectEmpty(await api('PUT', `/contacts/${id}`, { attributes: { EMAIL: 'dummy-1@example.invalid.example' } }), 204);
    expect(await contact(id)).toMatchObject({ email: 'dummy-1@example.invalid.example', emailBlacklisted: false });
    // Unless the same write blocklists it again.
    const other = await create({ email: 'bl2@example.com', emailBlacklisted: true });
    expectEmpty(
      await api('PUT', `/contacts/${other}`, { attributes: { EMAIL: 'bl3@example.com' }, emailBlacklisted: true }),
      204,
    );
    expect((await contact(other)).emailBlacklisted).toBe(true);
  });

  it('unknown contact 404; an empty body 400; a malformed or rejected new address 400', async () => {
    expect(errorOf(await api('PUT', '/contacts/999', { attributes: { FIRSTNAME: 'x' } }), 404).message).toBe(
      'Contact does not exist',
    );
    const id = await create({ email: 'p@example.com' });
    for (const body of [undefined, {}])
      expect(errorOf(await api('PUT', `/contacts/${id}`, body), 400)).toEqual({
        code: 'missing_parameter',
        message: 'No inputs in the body',
      });
    await ctl('POST', '/rejected-emails', { emails: ['blocked@example.com'] });
    for (const EMAIL of ['bad', 'blocked@example.com'])
      expect(errorOf(await api('PUT', `/contacts/${id}`, { attributes: { EMAIL } }), 400).message).toBe(
        'Invalid email address',
      );
  });
});

describe('DELETE /contacts/{identifier}', () => {
  it('deletes: 204 without a body, then 404; by ext_id too', async () => {
    const id = await create({ email: 'del@example.com', ext_id: 'u-del', listIds: [L1] });
    expectEmpty(await api('DELETE', '/contacts/u-del?identifierType=ext_id'), 204);
    expect(errorOf(await api('GET', `/contacts/${id}`), 404).code).toBe('document_not_found');
    expect(errorOf(await api('DELETE', `/contacts/${id}`), 404).message).toBe('Contact does not exist');
    expect((await listPage(L1)).count).toBe(0);
  });

  it('the account’s own registered e-mail: 405, the contact stays', async () => {
    const id = await create({ email: ACCOUNT_EMAIL.toUpperCase() });
    expect(errorOf(await api('DELETE', `/contacts/${id}`), 405)).toEqual({
      code: 'method_not_allowed',
      message: "You're not allowed to delete registered email contact with Brevo",
    });
    expect((await contact(id)).id).toBe(id);
  });
});

// ---------------------------------------------------------------- lists

describe('lists', () => {
  it('GET /contacts/lists: {lists, count}, newest first by default, limit 10 by default and at most 50', async () => {
    for (let i = 0; i < 12; i++) expect((await ctl('POST', '/lists', { name: `Extra ${i}` })).status).toBe(200);
    const r = await api('GET', '/contacts/lists');
    const page = read(ListPage, r.json);
    expect(page.count).toBe(14);
    expect(page.lists).toHaveLength(10);
    expect(page.lists[0]).toMatchObject({ name: 'Extra 11', folderId: 1 });
    const asc = read(ListPage, (await api('GET', '/contacts/lists?sort=asc&limit=50')).json);
    expect(asc.lists.map((l) => l.id).slice(0, 3)).toEqual([L1, L2, L2 + 1]);
    const last = read(ListPage, (await api('GET', '/contacts/lists?sort=asc&limit=10&offset=10')).json);
    expect(last.lists.map((l) => l.name)).toEqual(['Extra 8', 'Extra 9', 'Extra 10', 'Extra 11']);
    expect(errorOf(await api('GET', '/contacts/lists?limit=51'), 400).code).toBe('out_of_range');
  });

  it('GET /contacts/lists/{listId}: the list with its counts; unknown 404', async () => {
    await create({ email: 'm1@example.com', listIds: [L1] });
    await create({ email: 'm2@example.com', listIds: [L1], emailBlacklisted: true });
    const r = await api('GET', `/contacts/lists/${L1}`);
    expect(r.status).toBe(200);
    const list = read(ListDetails, r.json);
    expect(list).toEqual({
      id: L1,
      name: 'Weekly',
      totalBlacklisted: 1,
      totalSubscribers: 1,
      uniqueSubscribers: 2,
      folderId: 1,
      createdAt: list.createdAt,
      dynamicList: false,
    });
    for (const path of ['/contacts/lists/999', '/contacts/lists/abc', '/contacts/lists/999/contacts'])
      expect(errorOf(await api('GET', path), 404), path).toEqual({
        code: 'document_not_found',
        message: 'List ID does not exist',
      });
  });

  it('a list’s contacts: pages of 50 to the end with sort=asc; descending by creation without sort', async () => {
    const ids: number[] = [];
    for (let i = 0; i < 120; i++) ids.push(await seed({ email: `p${i}@example.com`, listIds: [L1] }));
    await seed({ email: 'elsewhere@example.com', listIds: [L2] });
    const seen: number[] = [];
    let offset = 0;
    let count = Number.POSITIVE_INFINITY;
    let pages = 0;
    while (offset < count) {
      const page = await listPage(L1, `?limit=50&offset=${offset}&sort=asc`);
      count = page.count;
      seen.push(...page.contacts.map((c) => c.id));
      offset += 50;
      pages++;
    }
    expect(pages).toBe(3);
    expect(count).toBe(120);
    expect(seen).toEqual(ids);
    const desc = await listPage(L1);
    expect(desc.contacts).toHaveLength(50);
    expect(desc.contacts.map((c) => c.id)).toEqual(ids.slice(70).reverse());
    const descAll: number[] = [];
    for (let o = 0; o < 120; o += 50)
      descAll.push(...(await listPage(L1, `?offset=${o}&sort=desc`)).contacts.map((c) => c.id));
    expect(descAll).toEqual([...ids].reverse());
    expect((await listPage(L1, '?offset=500')).contacts).toEqual([]);
    expect((await listPage(L1, '?limit=500')).contacts).toHaveLength(120);
    expect((await listPage(L1, '?limit=0')).contacts).toEqual([]);
  });

  it('paging parameters: limit above 500 is out_of_range; bad numbers and sort are invalid_parameter', async () => {
    expect(errorOf(await api('GET', `/contacts/lists/${L1}/contacts?limit=501`), 400)).toEqual({
      code: 'out_of_range',
      message: 'limit must be at most 500',
    });
    for (const q of ['limit=-1', 'limit=ten', 'offset=1.5', 'sort=ASC', 'sort=random', 'modifiedSince=yesterday'])
      expect(errorOf(await api('GET', `/contacts/lists/${L1}/contacts?${q}`), 400).code, q).toBe('invalid_parameter');
  });

  it('modifiedSince keeps the contacts modified after that UTC time; count is the list’s total', async () => {
    const a = await create({ email: 'ms-a@example.com', listIds: [L1] });
    const b = await create({ email: 'ms-b@example.com', listIds: [L1] });
    await create({ email: 'ms-c@example.com', listIds: [L1] });
    await ctl('POST', '/clock/advance', { seconds: 3600 });
    const since = new Date(Date.now() + 3600_000 - 1000).toISOString();
    await ctl('POST', '/clock/advance', { seconds: 5 });
    expectEmpty(await api('PUT', `/contacts/${b}`, { attributes: { FIRSTNAME: 'Bee' } }), 204);
    expectEmpty(await api('PUT', `/contacts/${a}`, { emailBlacklisted: true }), 204);
    const page = await listPage(L1, `?modifiedSince=${encodeURIComponent(since)}&sort=asc`);
    expect(page.contacts.map((c) => c.id)).toEqual([a, b]);
    expect(page.count).toBe(3);
    // The same instant with an offset; a raw + would decode to a space and is refused.
    const local = since.replace('Z', '+00:00');
    expect((await listPage(L1, `?modifiedSince=${encodeURIComponent(local)}`)).contacts.map((c) => c.id)).toEqual([
      b,
      a,
    ]);
    expect(errorOf(await api('GET', `/contacts/lists/${L1}/contacts?modifiedSince=${local}`), 400).code).toBe(
      'invalid_parameter',
    );
    const later = new Date(Date.now() + 7200_000).toISOString();
    expect((await listPage(L1, `?modifiedSince=${encodeURIComponent(later)}`)).contacts).toEqual([]);
  });

  it('GET /contacts pages the whole account (limit at most 1000)', async () => {
    const a = await create({ email: 'all-a@example.com', listIds: [L1] });
    const b = await create({ email: 'all-b@example.com' });
    const r = await api('GET', '/contacts?sort=asc&limit=1000');
    expect(r.status).toBe(200);
    expect(read(ContactPage, r.json)).toMatchObject({ count: 2, contacts: [{ id: a }, { id: b }] });
    expect(read(ContactPage, (await api('GET', '/contacts?limit=1')).json).contacts.map((c) => c.id)).toEqual([b]);
    expect(errorOf(await api('GET', '/contacts?limit=1001'), 400).code).toBe('out_of_range');
  });
});

describe('adding to and removing from a list', () => {
  it('add by emails, ids or extIds: 201 {contacts: {success, failure}} with the entries as sent', async () => {
    const a = await create({ email: 'add-a@example.com', ext_id: 'ea' });
    const b = await create({ email: 'add-b@example.com', ext_id: 'eb', listIds: [L1] });
    const byEmail = await api('POST', `/contacts/lists/${L1}/contacts/add`, {
      emails: ['ADD-A@example.com', 'add-b@example.com', 'ghost@example.com'],
    });
    expect(byEmail.status).toBe(201);
    expect(read(PostContactInfo, byEmail.json)).toEqual({
      contacts: { success: ['ADD-A@example.com'], failure: ['add-b@example.com', 'ghost@example.com'] },
    });
    const byId = await api('POST', `/contacts/lists/${L2}/contacts/add`, { ids: [a, 9999] });
    expect(read(PostContactInfo, byId.json)).toEqual({ contacts: { success: [a], failure: [9999] } });
    const byExt = await api('POST', `/contacts/lists/${L2}/contacts/add`, { extIds: ['eb', 'nobody'] });
    expect(read(PostContactInfo, byExt.json)).toEqual({ contacts: { success: ['eb'], failure: ['nobody'] } });
    expect((await contact(a)).listIds).toEqual([L1, L2]);
    expect((await contact(b)).listIds).toEqual([L1, L2]);
  });

  it('an add that adds no one: the spec’s 400', async () => {
    await create({ email: 'in@example.com', listIds: [L1] });
    for (const body of [{ emails: ['in@example.com'] }, { emails: ['ghost@example.com'] }, { ids: [424242] }])
      expect(errorOf(await api('POST', `/contacts/lists/${L1}/contacts/add`, body), 400)).toEqual({
        code: 'invalid_parameter',
        message: 'Contact already in list and/or does not exist',
      });
  });

  it('at most 150 entries; exactly one of emails, ids, extIds; an unknown list 404', async () => {
    const emails = Array.from({ length: 151 }, (_, i) => `bulk${i}@example.com`);
    for (const e of emails) await seed({ email: e });
    const over = await api('POST', `/contacts/lists/${L1}/contacts/add`, { emails });
    expect(errorOf(over, 400)).toEqual({
      code: 'out_of_range',
      message: 'A maximum of 150 contacts can be added at once',
    });
    const ok = await api('POST', `/contacts/lists/${L1}/contacts/add`, { emails: emails.slice(0, 150) });
    expect(read(PostContactInfo, ok.json).contacts.success).toHaveLength(150);
    expect((await listPage(L1, '?limit=1')).count).toBe(150);
    const overRemove = await api('POST', `/contacts/lists/${L1}/contacts/remove`, { emails });
    expect(errorOf(overRemove, 400).code).toBe('out_of_range');
    for (const body of [
      { emails: ['a@example.com'], ids: [1] },
      { ids: [1], extIds: ['x'] },
    ])
      expect(errorOf(await api('POST', `/contacts/lists/${L1}/contacts/add`, body), 400).code).toBe(
        'invalid_parameter',
      );
    for (const body of [{}, undefined])
      expect(errorOf(await api('POST', `/contacts/lists/${L1}/contacts/add`, body), 400).code).toBe(
        'missing_parameter',
      );
    for (const body of [{ emails: [] }, { ids: ['1'] }, { emails: [1] }])
      expect(errorOf(await api('POST', `/contacts/lists/${L1}/contacts/add`, body), 400).code).toBe(
        'invalid_parameter',
      );
    expect(errorOf(await api('POST', '/contacts/lists/999/contacts/add', { ids: [1] }), 404).message).toBe(
      'List ID does not exist',
    );
  });

  it('remove by ids, emails or extIds; a remove that removes no one is a 400 (removeNotMember 400)', async () => {
    const a = await create({ email: 'rm-a@example.com', ext_id: 'ra', listIds: [L1, L2] });
    const b = await create({ email: 'rm-b@example.com', ext_id: 'rb', listIds: [L1] });
    const r = await api('POST', `/contacts/lists/${L1}/contacts/remove`, { ids: [a, 777] });
    expect(r.status).toBe(201);
    expect(read(PostContactInfo, r.json)).toEqual({ contacts: { success: [a], failure: [777] } });
    const byExt = await api('POST', `/contacts/lists/${L1}/contacts/remove`, { extIds: ['rb'] });
    expect(read(PostContactInfo, byExt.json)).toEqual({ contacts: { success: ['rb'], failure: [] } });
    expect((await contact(a)).listIds).toEqual([L2]);
    expect((await contact(b)).listIds).toEqual([]);
    expect(
      errorOf(await api('POST', `/contacts/lists/${L1}/contacts/remove`, { emails: ['rm-a@example.com'] }), 400),
    ).toEqual({
      code: 'invalid_parameter',
      message: 'Contact already removed from list and/or does not exist',
    });
  });

  it('remove {all: true}: every member leaves; {contacts: {total, processId}}', async () => {
    for (let i = 0; i < 3; i++) await create({ email: `all${i}@example.com`, listIds: [L1, L2] });
    const r = await api('POST', `/contacts/lists/${L1}/contacts/remove`, { all: true });
    expect(r.status).toBe(201);
    const first = read(RemoveAll, r.json);
    expect(first.contacts.total).toBe(3);
    expect((await listPage(L1)).count).toBe(0);
    expect((await listPage(L2)).count).toBe(3);
    const again = read(RemoveAll, (await api('POST', `/contacts/lists/${L1}/contacts/remove`, { all: true })).json);
    expect(again.contacts).toEqual({ total: 0, processId: first.contacts.processId + 1 });
    expect(errorOf(await api('POST', `/contacts/lists/${L1}/contacts/remove`, { all: true, ids: [1] }), 400).code).toBe(
      'invalid_parameter',
    );
    expect(errorOf(await api('POST', `/contacts/lists/${L1}/contacts/add`, { all: true }), 400).code).toBe(
      'missing_parameter',
    );
  });
});

// ---------------------------------------------------------------- attributes

describe('attributes', () => {
  it('GET /contacts/attributes: EMAIL and SMS built in, FIRSTNAME and LASTNAME by default', async () => {
    const r = await api('GET', '/contacts/attributes');
    expect(r.status).toBe(200);
    expect(read(Attributes, r.json).attributes).toEqual([
      { name: 'EMAIL', category: 'normal', type: 'text' },
      { name: 'SMS', category: 'normal', type: 'text' },
      { name: 'FIRSTNAME', category: 'normal', type: 'text' },
      { name: 'LASTNAME', category: 'normal', type: 'text' },
    ]);
  });

  it('POST /contacts/attributes/normal/UNSUB_URL_12 {"type": "text"}: 201 without a body; then writable on any list', async () => {
    expectEmpty(await api('POST', `/contacts/attributes/normal/UNSUB_URL_${L2}`, { type: 'text' }), 201);
    expect(read(Attributes, (await api('GET', '/contacts/attributes')).json).attributes).toContainEqual({
      name: `UNSUB_URL_${L2}`,
      category: 'normal',
      type: 'text',
    });
    const id = await create({
      email: 'link@example.com',
      attributes: { [`UNSUB_URL_${L2}`]: 'https://u.example/1' },
      listIds: [L1],
    });
    expect((await contact(id)).attributes).toEqual({ [`UNSUB_URL_${L2}`]: 'https://u.example/1' });
  });

  it('the name is stored in capitals; categories take their own bodies', async () => {
    expectEmpty(await api('POST', '/contacts/attributes/normal/nickname', { type: 'text' }), 201);
    expectEmpty(
      await api('POST', '/contacts/attributes/category/TIER', {
        type: 'category',
        enumeration: [
          { value: 1, label: 'Gold' },
          { value: 2, label: 'Silver' },
        ],
      }),
      201,
    );
    expectEmpty(await api('POST', '/contacts/attributes/calculated/OPENS', { value: 'COUNT[OPENED]' }), 201);
    expectEmpty(
      await api('POST', '/contacts/attributes/global/TOTAL', { value: 'SUM[OPENS]', isRecurring: true }),
      201,
    );
    const names = read(Attributes, (await api('GET', '/contacts/attributes')).json).attributes;
    expect(names.slice(4)).toEqual([
      { name: 'NICKNAME', category: 'normal', type: 'text' },
      {
        name: 'TIER',
        category: 'category',
        type: 'category',
        enumeration: [
          { value: 1, label: 'Gold' },
          { value: 2, label: 'Silver' },
        ],
      },
      { name: 'OPENS', category: 'calculated', calculatedValue: 'COUNT[OPENED]' },
      { name: 'TOTAL', category: 'global', calculatedValue: 'SUM[OPENS]' },
    ]);
    // A calculated attribute takes no contact value.
    const id = await create({ email: 'calc@example.com', attributes: { OPENS: 5, NICKNAME: 'Nick', TIER: 'Gold' } });
    expect((await contact(id)).attributes).toEqual({ NICKNAME: 'Nick', TIER: 'Gold' });
  });

  it('an empty body: the spec’s 400 "No inputs in the body"; bad category, name, type or options: 400', async () => {
    for (const body of [undefined, {}])
      expect(errorOf(await api('POST', '/contacts/attributes/normal/EMPTY', body), 400)).toEqual({
        code: 'missing_parameter',
        message: 'No inputs in the body',
      });
    const cases: [string, unknown, string][] = [
      ['/contacts/attributes/weird/X', { type: 'text' }, 'invalid_parameter'],
      ['/contacts/attributes/normal/1ABC', { type: 'text' }, 'invalid_parameter'],
      ['/contacts/attributes/normal/BAD-NAME', { type: 'text' }, 'invalid_parameter'],
      ['/contacts/attributes/normal/X', { type: 'id' }, 'invalid_parameter'],
      ['/contacts/attributes/transactional/X', { type: 'multiple-choice' }, 'invalid_parameter'],
      ['/contacts/attributes/normal/X', { type: 'category' }, 'invalid_parameter'],
      ['/contacts/attributes/normal/X', { isRecurring: true }, 'missing_parameter'],
      ['/contacts/attributes/category/X', { type: 'category' }, 'missing_parameter'],
      [
        '/contacts/attributes/category/X',
        { type: 'category', enumeration: [{ value: 'a', label: 'A' }] },
        'invalid_parameter',
      ],
      ['/contacts/attributes/normal/X', { type: 'multiple-choice' }, 'missing_parameter'],
      ['/contacts/attributes/calculated/X', { type: 'text' }, 'missing_parameter'],
    ];
    for (const [path, body, code] of cases)
      expect(errorOf(await api('POST', path, body), 400).code, `${path} ${JSON.stringify(body)}`).toBe(code);
    expect(read(Attributes, (await api('GET', '/contacts/attributes')).json).attributes).toHaveLength(4);
  });

  it('a name that exists (FIRSTNAME, EMAIL, one created before): 400 (attributeExists 400), nothing changed', async () => {
    expectEmpty(await api('POST', '/contacts/attributes/normal/PLAN', { type: 'text' }), 201);
    for (const path of [
      '/contacts/attributes/normal/FIRSTNAME',
      '/contacts/attributes/normal/EMAIL',
      '/contacts/attributes/transactional/plan',
    ])
      expect(errorOf(await api('POST', path, { type: 'float' }), 400), path).toMatchObject({
        code: 'duplicate_parameter',
        message: expect.stringMatching(/already exists$/),
      });
    expect(read(Attributes, (await api('GET', '/contacts/attributes')).json).attributes.at(-1)).toEqual({
      name: 'PLAN',
      category: 'normal',
      type: 'text',
    });
  });
});

// ---------------------------------------------------------------- rate limits

describe('rate limits on /v3/contacts/*', () => {
  it('defaults 10/s and 36000/h; every answer carries the headers; the 11th call in a second is a 429 without Retry-After; the next second works', async () => {
    const emu = await startEmulator({ apiKey: API_KEY });
    try {
      const at = emu.url;
      const seen: Record<string, string | null>[] = [];
      for (let i = 0; i < 10; i++) {
        const r = await api('GET', '/contacts/lists', undefined, { at });
        expect(r.status).toBe(200);
        seen.push(limitHeaders(r));
      }
      expect(seen.map((h) => h.remaining)).toEqual(['9', '8', '7', '6', '5', '4', '3', '2', '1', '0']);
      expect(new Set(seen.map((h) => h.limit))).toEqual(new Set(['10']));
      expect(new Set(seen.map((h) => h.reset))).toEqual(new Set(['1']));
      const r = await api('GET', '/contacts/lists', undefined, { at });
      expect(errorOf(r, 429)).toEqual({ code: 'too_many_requests', message: 'The expected rate limit is exceeded.' });
      expect(r.headers.get('retry-after')).toBeNull();
      expect(limitHeaders(r)).toEqual({ limit: '10', remaining: '0', reset: '1' });
      emu.control.advanceClock(1);
      const next = await api('GET', '/contacts/lists', undefined, { at });
      expect(next.status).toBe(200);
      expect(limitHeaders(next)).toEqual({ limit: '10', remaining: '9', reset: '1' });
      expect(emu.control.state().rateLimits).toMatchObject({ perSecond: 10, perHour: 36000 });
    } finally {
      await emu.close();
    }
  });

  it('every /v3/contacts/* route and answer carries the headers (errors, 401, 404, 405 too); other paths do not', async () => {
    await ctl('PUT', '/rate-limits', { perSecond: 1000 });
    const id = await create({ email: 'h@example.com', listIds: [L1] });
    const calls: [string, string, unknown, string | null | undefined][] = [
      ['GET', '/contacts', undefined, undefined],
      ['POST', '/contacts', { email: 'h2@example.com' }, undefined],
      ['POST', '/contacts', { email: 'h2@example.com' }, undefined],
      ['GET', `/contacts/${id}`, undefined, undefined],
      ['PUT', `/contacts/${id}`, { attributes: { FIRSTNAME: 'H' } }, undefined],
      ['GET', '/contacts/999', undefined, undefined],
      ['GET', '/contacts/lists', undefined, undefined],
      ['GET', `/contacts/lists/${L1}`, undefined, undefined],
      ['GET', `/contacts/lists/${L1}/contacts`, undefined, undefined],
      ['POST', `/contacts/lists/${L2}/contacts/add`, { ids: [id] }, undefined],
      ['POST', `/contacts/lists/${L2}/contacts/remove`, { ids: [id] }, undefined],
      ['GET', '/contacts/attributes', undefined, undefined],
      ['POST', '/contacts/attributes/normal/HDR', { type: 'text' }, undefined],
      ['DELETE', `/contacts/${id}`, undefined, undefined],
      ['GET', '/contacts/lists', undefined, null],
      ['GET', '/contacts/lists', undefined, 'bad-key'],
      ['PATCH', '/contacts/lists', undefined, undefined],
      ['GET', '/contacts/lists/1/nothing', undefined, undefined],
    ];
    let remaining = Number.POSITIVE_INFINITY;
    for (const [method, path, body, key] of calls) {
      const r = await api(method, path, body, key === undefined ? {} : { key });
      const h = limitHeaders(r);
      expect(h.limit, `${method} ${path} ${r.status}`).toBe('1000');
      expect(Number(h.reset)).toBe(1);
      if (key === undefined) {
        expect(Number(h.remaining)).toBeLessThan(remaining);
        remaining = Number(h.remaining);
      }
    }
    expect(limitHeaders(await call('GET', '/v3/account', { headers: { 'api-key': API_KEY } })).limit).toBeNull();
    expect(limitHeaders(await call('GET', '/nothing')).limit).toBeNull();
  });

  it('the per-hour limit: exhausted, it answers 429 with the hour’s limit and reset until the hour ends', async () => {
    expect((await ctl('PUT', '/rate-limits', { perSecond: 100, perHour: 5 })).json).toEqual({
      perSecond: 100,
      perHour: 5,
    });
    for (let i = 0; i < 5; i++) expect((await api('GET', '/contacts/lists')).status).toBe(200);
    const r = await api('GET', '/contacts/lists');
    expect(r.status).toBe(429);
    expect(limitHeaders(r)).toMatchObject({ limit: '5', remaining: '0' });
    expect(Number(r.headers.get('x-sib-ratelimit-reset'))).toBeGreaterThan(3590);
    await ctl('POST', '/clock/advance', { seconds: 1800 });
    const half = await api('GET', '/contacts/lists');
    expect(half.status).toBe(429);
    expect(Number(half.headers.get('x-sib-ratelimit-reset'))).toBeLessThanOrEqual(1800);
    await ctl('POST', '/clock/advance', { seconds: 1800 });
    const next = await api('GET', '/contacts/lists');
    expect(next.status).toBe(200);
    expect(limitHeaders(next)).toMatchObject({ limit: '5', remaining: '4' });
    const { counters } = await log();
    expect(counters.rateLimited).toBe(2);
    expect(counters.byStatus).toEqual({ 200: 6, 429: 2 });
  });

  it('refused calls are not counted; the headers name the window with fewer calls left', async () => {
    await ctl('PUT', '/rate-limits', { perSecond: 3, perHour: 5 });
    const seen: string[] = [];
    const once = async () => {
      const r = await api('GET', '/contacts/lists');
      seen.push(`${r.status} ${r.headers.get('x-sib-ratelimit-limit')}:${r.headers.get('x-sib-ratelimit-remaining')}`);
      return r;
    };
    for (let i = 0; i < 4; i++) await once();
    await ctl('POST', '/clock/advance', { seconds: 1 });
    for (let i = 0; i < 2; i++) await once();
    const last = await once();
    // The second's 429 did not count: the hour had 2 calls left after it, then none.
    expect(seen).toEqual(['200 3:2', '200 3:1', '200 3:0', '429 3:0', '200 5:1', '200 5:0', '429 5:0']);
    expect(Number(last.headers.get('x-sib-ratelimit-reset'))).toBeGreaterThan(3590);
  });

  it('limits are set at start or with PUT /_emulator/rate-limits; null switches one off; bad values 400; reset restores', async () => {
    expect((await ctl('PUT', '/rate-limits', { perSecond: 0 })).status).toBe(400);
    expect((await ctl('PUT', '/rate-limits', { perMinute: 5 })).status).toBe(400);
    expect((await ctl('PUT', '/rate-limits', { perHour: 'many' })).status).toBe(400);
    expect((await ctl('GET', '/rate-limits')).json).toEqual({ perSecond: 100_000, perHour: 100_000_000 });
    await ctl('PUT', '/rate-limits', { perSecond: null, perHour: null });
    expect(limitHeaders(await api('GET', '/contacts/lists')).limit).toBeNull();
    await ctl('PUT', '/rate-limits', { perHour: 7 });
    expect(limitHeaders(await api('GET', '/contacts/lists'))).toEqual({ limit: '7', remaining: '6', reset: '3600' });
    await ctl('POST', '/reset');
    expect((await ctl('GET', '/rate-limits')).json).toEqual({ perSecond: 100_000, perHour: 100_000_000 });
    await expect(startEmulator({ rateLimits: { perSecond: -1 } })).rejects.toThrow(/perSecond/);
  });
});

// ---------------------------------------------------------------- faults

describe('faults: targeted rules, one per kind', () => {
  it('429: no Retry-After, the rate-limit headers say remaining 0; fired once', async () => {
    const rule = read(Rule, (await ctl('POST', '/rules', { kind: '429', pathPrefix: '/v3/contacts/lists' })).json);
    expect(rule).toMatchObject({ kind: '429', remaining: 1 });
    const r = await api('GET', '/contacts/lists');
    expect(errorOf(r, 429).code).toBe('too_many_requests');
    expect(r.headers.get('retry-after')).toBeNull();
    expect(limitHeaders(r)).toMatchObject({ limit: '100000', remaining: '0' });
    expect((await api('GET', '/contacts/lists')).status).toBe(200);
  });

  it('500 and 503, with JSON, HTML or empty bodies', async () => {
    await ctl('POST', '/rules', { kind: '500', method: 'GET' });
    await ctl('POST', '/rules', { kind: '503', method: 'GET' });
    expect(errorOf(await api('GET', '/contacts/lists'), 500)).toEqual({
      code: 'internal_error',
      message: 'Internal server error',
    });
    expect(errorOf(await api('GET', '/contacts/lists'), 503)).toEqual({
      code: 'service_unavailable',
      message: 'Service unavailable',
    });
    await ctl('PUT', '/faults', { body: 'html' });
    await ctl('POST', '/rules', { kind: '503' });
    const html = await api('GET', '/contacts/lists');
    expect(html.status).toBe(503);
    expect(html.headers.get('content-type')).toContain('text/html');
    expect(html.text).toContain('503 Service Unavailable');
    await ctl('PUT', '/faults', { body: 'empty' });
    await ctl('POST', '/rules', { kind: '500' });
    const empty = await api('GET', '/contacts/lists');
    expect(empty.status).toBe(500);
    expect(empty.text).toBe('');
  });

  it('timeout then a normal answer: the client gives up, the write still happens', async () => {
    await ctl('POST', '/rules', { kind: 'timeout', delayMs: 300, delayThen: 'normal', method: 'POST' });
    await expect(
      api('POST', '/contacts', { email: 'slow@example.com' }, { signal: AbortSignal.timeout(80) }),
    ).rejects.toThrow();
    expect((await state()).contacts).toEqual([]);
    await new Promise((r) => setTimeout(r, 400));
    expect((await state()).contacts.map((c) => c.email)).toEqual(['slow@example.com']);
    const entry = defined((await log()).entries.at(-1), 'a log entry');
    expect(entry).toMatchObject({ method: 'POST', path: '/v3/contacts', status: 201, fault: 'timeout' });
    expect(entry.durationMs).toBeGreaterThanOrEqual(290);
  });

  it('timeout then 503: nothing written', async () => {
    await ctl('POST', '/rules', { kind: 'timeout', delayMs: 120, delayThen: '503' });
    const started = Date.now();
    const r = await api('POST', '/contacts', { email: 'slow@example.com' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(110);
    expect(errorOf(r, 503).code).toBe('service_unavailable');
    expect((await state()).contacts).toEqual([]);
  });

  it('500_after_write: the call is carried out, then answered 500 (the rate-limit headers stay)', async () => {
    const id = await create({ email: 'w@example.com' });
    await ctl('POST', '/rules', { kind: '500_after_write', method: 'PUT' });
    const r = await api('PUT', `/contacts/${id}`, { emailBlacklisted: true });
    expect(errorOf(r, 500).code).toBe('internal_error');
    expect(limitHeaders(r).limit).toBe('100000');
    expect((await ctlContact(id)).emailBlacklisted).toBe(true);
  });

  it('status: any status with any body, or Brevo’s shape with a fitting code', async () => {
    await ctl('POST', '/rules', {
      kind: 'status',
      status: 402,
      body: { code: 'not_enough_credits', message: 'No credits' },
    });
    expect(errorOf(await api('GET', '/contacts/lists'), 402)).toEqual({
      code: 'not_enough_credits',
      message: 'No credits',
    });
    await ctl('POST', '/rules', { kind: 'status', status: 425 });
    expect(errorOf(await api('POST', '/contacts', { email: 'q@example.com' }), 425)).toEqual({
      code: 'account_in_process',
      message: 'Injected by the emulator',
    });
    expect((await state()).contacts).toEqual([]);
  });
});

describe('faults: rule matching, random faults', () => {
  it('"fail the next 3 PUT calls with 503", counted in the log', async () => {
    const id = await create({ email: 'm@example.com' });
    const rule = read(Rule, (await ctl('POST', '/rules', { kind: '503', method: 'put', times: 3 })).json);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      statuses.push((await api('PUT', `/contacts/${id}`, { attributes: { FIRSTNAME: `n${i}` } })).status);
      expect((await api('GET', `/contacts/${id}`)).status).toBe(200);
    }
    expect(statuses).toEqual([503, 503, 503, 204]);
    expect((await ctl('GET', '/rules')).json).toEqual([]);
    const { counters, entries } = await log();
    expect(counters.byFault).toEqual({ 503: 3 });
    expect(entries.filter((e) => e.ruleId === rule.id)).toHaveLength(3);
  });

  it('matches by e-mail in the body (email, attributes.EMAIL, emails) or of the contact the path names', async () => {
    const id = await create({ email: 'target@example.com' });
    await ctl('POST', '/rules', { kind: '500', email: 'TARGET@example.com', times: 4 });
    expect((await api('POST', '/contacts', { email: 'other@example.com' })).status).toBe(201);
    expect((await api('POST', '/contacts', { email: 'target@example.com', updateEnabled: true })).status).toBe(500);
    expect((await api('PUT', `/contacts/${id}`, { emailBlacklisted: true })).status).toBe(500);
    expect((await api('GET', '/contacts/target%40example.com')).status).toBe(500);
    expect((await api('POST', `/contacts/lists/${L1}/contacts/add`, { emails: ['target@example.com'] })).status).toBe(
      500,
    );
    expect((await api('GET', `/contacts/${id}`)).status).toBe(200);
  });

  it('matches by path regex and prefix; rules can be removed one by one or all', async () => {
    const r1 = read(
      Rule,
      (await ctl('POST', '/rules', { kind: '503', pathRegex: '^/v3/contacts/lists/\\d+$', times: 5 })).json,
    );
    expect((await api('GET', '/contacts/lists')).status).toBe(200);
    expect((await api('GET', `/contacts/lists/${L1}`)).status).toBe(503);
    expect((await ctl('DELETE', `/rules/${r1.id}`)).json).toEqual({ removed: true });
    expect((await ctl('DELETE', `/rules/${r1.id}`)).status).toBe(404);
    expect((await api('GET', `/contacts/lists/${L1}`)).status).toBe(200);
    await ctl('POST', '/rules', { kind: '503', pathPrefix: '/v3/contacts/lists?limit' });
    expect((await api('GET', '/contacts/lists')).status).toBe(200);
    expect((await api('GET', '/contacts/lists?limit=5')).status).toBe(503);
    await ctl('POST', '/rules', { kind: '503' });
    await ctl('DELETE', '/rules');
    expect((await api('GET', '/contacts/lists')).status).toBe(200);
  });

  it('bad rules and fault settings are a 400 and change nothing', async () => {
    for (const rule of [
      { kind: 'teapot' },
      { kind: '503', times: 0 },
      { kind: 'status' },
      { kind: '500', pathRegex: '(' },
    ])
      expect((await ctl('POST', '/rules', rule)).status, JSON.stringify(rule)).toBe(400);
    for (const f of [
      { rate: 2 },
      { kinds: ['429_retry_after'] },
      { kinds: [] },
      { delayThen: 'later' },
      { retryAfterSeconds: 1 },
    ])
      expect((await ctl('PUT', '/faults', f)).status, JSON.stringify(f)).toBe(400);
    expect((await ctl('GET', '/faults')).json).toEqual({
      rate: 0,
      seed: 1,
      kinds: ['429', '500', '503', 'timeout', '500_after_write'].map((kind) => ({ kind, weight: 1 })),
      delayMs: 10000,
      delayThen: 'normal',
      body: 'json',
    });
  });

  it('random faults: the same seed gives the same faults; another seed others; control calls never faulted', async () => {
    const run = async (seed: number) => {
      await ctl('PUT', '/faults', { rate: 0.3, seed, kinds: ['429', '500', '503', '500_after_write'] });
      const out: number[] = [];
      for (let i = 0; i < 50; i++) out.push((await api('GET', `/contacts/lists/${L1}/contacts`)).status);
      return out;
    };
    const a = await run(42);
    const b = await run(42);
    const c = await run(7);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(new Set(a)).toEqual(new Set([200, 429, 500, 503]));
    const faulted = a.filter((s) => s !== 200).length;
    expect(faulted).toBeGreaterThan(5);
    expect(faulted).toBeLessThan(30);
    await ctl('PUT', '/faults', { rate: 1, kinds: ['503'] });
    expect((await ctl('GET', '/state')).status).toBe(200);
    expect((await api('GET', '/contacts/lists')).status).toBe(503);
    await ctl('PUT', '/faults', { rate: 1, seed: 3, kinds: ['timeout'], delayMs: 60, delayThen: '503' });
    const started = Date.now();
    expect((await api('GET', '/contacts/lists')).status).toBe(503);
    expect(Date.now() - started).toBeGreaterThanOrEqual(50);
    await ctl('DELETE', '/faults');
    expect((await api('GET', '/contacts/lists')).status).toBe(200);
  });
});

// ---------------------------------------------------------------- the switches

describe('switches for the spec’s unconfirmed readings (/_emulator/settings)', () => {
  const DEFAULT_SETTINGS = {
    extIdField: 'attribute',
    duplicateCreateCode: 'duplicate_parameter',
    duplicateCreateMessage: 'current',
    duplicateUpdateCode: 'duplicate_parameter',
    upsertListIds: 'add',
    unsubscribedMembership: 'removed',
    apiAddClearsUnsubscribed: false,
    storedEmailCase: 'lowercase',
    unknownAttribute: 'drop',
    attributeExists: 400,
    removeNotMember: 400,
    rateLimitScope: 'account',
    codeCase: 'lower',
    listUnsubscribedField: 'non-empty',
    deletedBlocklist: 'kept',
    unsubscribeLink: 'blocklist',
    modifiedSinceCount: 'list-total',
  };

  it('GET shows the defaults; PUT changes any subset; a bad key or value is a 400 that changes nothing; reset restores', async () => {
    expect((await ctl('GET', '/settings')).json).toEqual(DEFAULT_SETTINGS);
    const r = await ctl('PUT', '/settings', { extIdField: 'both', codeCase: 'upper' });
    expect(r.json).toEqual({ ...DEFAULT_SETTINGS, extIdField: 'both', codeCase: 'upper' });
    for (const bad of [{ extIdField: 'nowhere' }, { codeCase: 'upper', nope: 1 }, { attributeExists: '400' }, []])
      expect((await ctl('PUT', '/settings', bad)).status, JSON.stringify(bad)).toBe(400);
    expect((await ctl('GET', '/settings')).json).toEqual({
      ...DEFAULT_SETTINGS,
      extIdField: 'both',
      codeCase: 'upper',
    });
    await ctl('POST', '/reset');
    expect((await ctl('GET', '/settings')).json).toEqual(DEFAULT_SETTINGS);
  });

  it('startEmulator takes the readings as options; reset goes back to them; a bad one fails the start', async () => {
    const emu = await startEmulator({ apiKey: API_KEY, extIdField: 'top-level', removeNotMember: 201 });
    try {
      expect(emu.control.getSettings()).toEqual({ ...DEFAULT_SETTINGS, extIdField: 'top-level', removeNotMember: 201 });
      emu.control.setSettings({ extIdField: 'both' });
      emu.control.reset();
      expect(emu.control.getSettings().extIdField).toBe('top-level');
    } finally {
      await emu.close();
    }
    // @ts-expect-error: not a reading of the switch
    await expect(startEmulator({ codeCase: 'camel' })).rejects.toThrow(/codeCase/);
  });

  it('extIdField: attributes.EXT_ID (default), top-level ext_id, or both; in every contact answer', async () => {
    const id = await create({ email: 'e@example.com', ext_id: 'user-42', listIds: [L1] });
    const views = async () => [
      await contact(id),
      defined((await listPage(L1)).contacts[0], 'a list contact'),
      defined(read(ContactPage, (await api('GET', '/contacts')).json).contacts[0], 'a contact'),
    ];
    for (const c of await views()) {
      expect(c.attributes.EXT_ID).toBe('user-42');
      expect(c.ext_id).toBeUndefined();
    }
    await settings({ extIdField: 'top-level' });
    for (const c of await views()) {
      expect(c.attributes.EXT_ID).toBeUndefined();
      expect(c.ext_id).toBe('user-42');
    }
    await settings({ extIdField: 'both' });
    for (const c of await views()) expect([c.attributes.EXT_ID, c.ext_id]).toEqual(['user-42', 'user-42']);
  });

  it('duplicateCreateCode and duplicateCreateMessage: invalid_parameter; the older "Contact already exist" without metadata', async () => {
    await create({ email: 'd@example.com' });
    await settings({ duplicateCreateCode: 'invalid_parameter' });
    expect(errorOf(await api('POST', '/contacts', { email: 'd@example.com' }), 400)).toEqual({
      code: 'invalid_parameter',
      message: 'Unable to create contact, email is already associated with another Contact',
      metadata: { duplicate_identifiers: ['email'] },
    });
    await settings({ duplicateCreateMessage: 'legacy' });
    expect(errorOf(await api('POST', '/contacts', { email: 'd@example.com' }), 400)).toEqual({
      code: 'invalid_parameter',
      message: 'Contact already exist',
    });
    await settings({ duplicateCreateCode: 'duplicate_parameter' });
    expect(errorOf(await api('POST', '/contacts', { email: 'd@example.com' }), 400)).toEqual({
      code: 'duplicate_parameter',
      message: 'Contact already exist',
    });
  });

  it('duplicateUpdateCode: invalid_parameter with the same message and metadata', async () => {
    const a = await create({ email: 'u1@example.com' });
    await create({ email: 'u2@example.com' });
    await settings({ duplicateUpdateCode: 'invalid_parameter' });
    expect(errorOf(await api('PUT', `/contacts/${a}`, { attributes: { EMAIL: 'u2@example.com' } }), 400)).toEqual({
      code: 'invalid_parameter',
      message: 'Unable to update contact, email is already associated with another Contact',
      metadata: { duplicate_identifiers: ['email'] },
    });
  });

  it('upsertListIds: an upsert’s listIds adds lists (default) or replaces them; PUT always adds', async () => {
    const id = await create({ email: 'ul@example.com', listIds: [L1] });
    expectEmpty(await api('POST', '/contacts', { email: 'ul@example.com', listIds: [L2], updateEnabled: true }), 204);
    expect((await contact(id)).listIds).toEqual([L1, L2]);
    await settings({ upsertListIds: 'replace' });
    expectEmpty(await api('POST', '/contacts', { email: 'ul@example.com', listIds: [L2], updateEnabled: true }), 204);
    expect((await contact(id)).listIds).toEqual([L2]);
    expectEmpty(
      await api('POST', '/contacts', { email: 'ul@example.com', attributes: { FIRSTNAME: 'K' }, updateEnabled: true }),
      204,
    );
    expect((await contact(id)).listIds).toEqual([L2]);
    expectEmpty(await api('PUT', `/contacts/${id}`, { listIds: [L1] }), 204);
    expect((await contact(id)).listIds).toEqual([L2, L1]);
  });

  it('unsubscribedMembership "removed" (default): a reader who leaves L inside Brevo leaves listIds and L’s contacts', async () => {
    const id = await create({ email: 'lu@example.com', listIds: [L1, L2] });
    expect((await ctl('PATCH', `/contacts/${id}`, { listUnsubscribed: [L1] })).status).toBe(200);
    const c = await contact(id);
    expect(c).toMatchObject({ listIds: [L2], listUnsubscribed: [L1], emailBlacklisted: false });
    expect((await listPage(L1)).count).toBe(0);
    expect((await listPage(L2)).contacts.map((x) => x.listUnsubscribed)).toEqual([[L1]]);
  });

  it('unsubscribedMembership "kept": the contact stays in listIds and in L’s contacts, with L in listUnsubscribed', async () => {
    await settings({ unsubscribedMembership: 'kept' });
    const id = await create({ email: 'lk@example.com', listIds: [L1, L2] });
    await ctl('PATCH', `/contacts/${id}`, { listUnsubscribed: [L1] });
    expect(await contact(id)).toMatchObject({ listIds: [L1, L2], listUnsubscribed: [L1] });
    const page = await listPage(L1);
    expect(page.contacts.map((x) => [x.id, x.listUnsubscribed])).toEqual([[id, [L1]]]);
  });

  it('apiAddClearsUnsubscribed: an API add back to L keeps L in listUnsubscribed (default) or clears it', async () => {
    const id = await create({ email: 'ac@example.com', listIds: [L1] });
    await ctl('PATCH', `/contacts/${id}`, { listUnsubscribed: [L1] });
    expectEmpty(await api('PUT', `/contacts/${id}`, { listIds: [L1] }), 204);
    expect(await contact(id)).toMatchObject({ listIds: [L1], listUnsubscribed: [L1] });
    await settings({ apiAddClearsUnsubscribed: true });
    const other = await create({ email: 'ac2@example.com', listIds: [L1] });
    await ctl('PATCH', `/contacts/${other}`, { listUnsubscribed: [L1] });
    const r = await api('POST', `/contacts/lists/${L1}/contacts/add`, { ids: [other, id] });
    expect(read(PostContactInfo, r.json)).toEqual({ contacts: { success: [other, id], failure: [] } });
    for (const x of [other, id]) {
      const c = await contact(x);
      expect(c.listIds).toEqual([L1]);
      expect(c.listUnsubscribed).toBeUndefined();
    }
  });

  it('storedEmailCase: addresses stored lower-cased (default) or as sent; matched case-insensitively either way', async () => {
    const lower = await create({ email: 'Mixed.Case@Example.com' });
    expect((await contact(lower)).email).toBe('mixed.case@example.com');
    await settings({ storedEmailCase: 'as-sent' });
    const asSent = await create({ email: 'Other.Case@Example.com' });
    expect((await contact('other.case@example.com')).email).toBe('Other.Case@Example.com');
    expect(errorOf(await api('POST', '/contacts', { email: 'OTHER.case@example.com' }), 400).code).toBe(
      'duplicate_parameter',
    );
    expectEmpty(await api('PUT', `/contacts/${asSent}`, { attributes: { EMAIL: 'OTHER.CASE@example.com' } }), 204);
    expect((await contact(asSent)).email).toBe('OTHER.CASE@example.com');
  });

  it('unknownAttribute "refuse": 400 naming them, nothing written', async () => {
    await settings({ unknownAttribute: 'refuse' });
    const r = await api('POST', '/contacts', {
      email: 'ref@example.com',
      attributes: { FIRSTNAME: 'R', NOPE: 1, ZIP: 'x' },
    });
    expect(errorOf(r, 400)).toEqual({ code: 'invalid_parameter', message: 'Attributes NOPE, ZIP do not exist' });
    expect((await state()).contacts).toEqual([]);
    const id = await create({ email: 'ref@example.com', attributes: { FIRSTNAME: 'R' } });
    expect(
      errorOf(await api('PUT', `/contacts/${id}`, { attributes: { LASTNAME: 'L', firstname: 'x' } }), 400),
    ).toEqual({
      code: 'invalid_parameter',
      message: 'Attribute firstname does not exist',
    });
    expect((await contact(id)).attributes).toEqual({ FIRSTNAME: 'R' });
  });

  it('attributeExists 201: a name that exists answers like a create, the attribute unchanged', async () => {
    await settings({ attributeExists: 201 });
    expectEmpty(await api('POST', '/contacts/attributes/normal/FIRSTNAME', { type: 'float' }), 201);
    expect(read(Attributes, (await api('GET', '/contacts/attributes')).json).attributes).toContainEqual({
      name: 'FIRSTNAME',
      category: 'normal',
      type: 'text',
    });
  });

  it('removeNotMember 201: a remove that removes no one answers 201 with every entry in failure', async () => {
    await settings({ removeNotMember: 201 });
    const id = await create({ email: 'nm@example.com' });
    const r = await api('POST', `/contacts/lists/${L1}/contacts/remove`, { ids: [id, 5555] });
    expect(r.status).toBe(201);
    expect(read(PostContactInfo, r.json)).toEqual({ contacts: { success: [], failure: [id, 5555] } });
  });

  it('rateLimitScope: the account’s keys share the limit (default), or each key has its own', async () => {
    await ctl('PUT', '/rate-limits', { perSecond: 2 });
    expect((await api('GET', '/contacts/lists')).status).toBe(200);
    expect((await api('GET', '/contacts/lists', undefined, { key: SECOND_KEY })).status).toBe(200);
    expect((await api('GET', '/contacts/lists', undefined, { key: SECOND_KEY })).status).toBe(429);
    expect((await api('GET', '/contacts/lists')).status).toBe(429);
    // Calls without a valid key count on their own, never on the account's.
    expect((await api('GET', '/contacts/lists', undefined, { key: 'wrong' })).status).toBe(401);
    await settings({ rateLimitScope: 'key' });
    await ctl('PUT', '/rate-limits', { perSecond: 2 });
    const statuses = [];
    for (const key of [API_KEY, API_KEY, SECOND_KEY, SECOND_KEY, API_KEY, SECOND_KEY])
      statuses.push((await api('GET', '/contacts/lists', undefined, { key })).status);
    expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
    expect(Object.keys(read(State, (await ctl('GET', '/state')).json).rateLimits.buckets as object)).toEqual([
      'key 1',
      'key 2',
    ]);
  });

  it('codeCase "upper": codes in capitals (compare them case-insensitively), messages unchanged', async () => {
    await settings({ codeCase: 'upper' });
    expect(errorOf(await api('GET', '/contacts/999'), 404)).toEqual({
      code: 'DOCUMENT_NOT_FOUND',
      message: 'Contact does not exist',
    });
    expect(errorOf(await api('GET', '/contacts/lists', undefined, { key: null }), 401).code).toBe('UNAUTHORIZED');
    await ctl('POST', '/rules', { kind: '503' });
    expect(errorOf(await api('GET', '/contacts/lists'), 503).code).toBe('SERVICE_UNAVAILABLE');
  });

  it('listUnsubscribedField "always": listUnsubscribed: [] when empty, in GET and in a list’s contacts', async () => {
    const id = await create({ email: 'lf@example.com', listIds: [L1] });
    expect((await contact(id)).listUnsubscribed).toBeUndefined();
    await settings({ listUnsubscribedField: 'always' });
    expect((await contact(id)).listUnsubscribed).toEqual([]);
    expect((await listPage(L1)).contacts[0]?.listUnsubscribed).toEqual([]);
  });

  it('deletedBlocklist: a blocklisted address deleted and created again comes back blocklisted (default), or not', async () => {
    const id = await create({ email: 'gone@example.com', emailBlacklisted: true });
    expectEmpty(await api('DELETE', `/contacts/${id}`), 204);
    expect((await state()).suppressedEmails).toEqual(['gone@example.com']);
    const again = await create({ email: 'Gone@example.com' });
    expect((await contact(again)).emailBlacklisted).toBe(true);
    await settings({ deletedBlocklist: 'dropped' });
    expectEmpty(await api('DELETE', `/contacts/${again}`), 204);
    expect((await state()).suppressedEmails).toEqual([]);
    expect((await contact(await create({ email: 'gone@example.com' }))).emailBlacklisted).toBe(false);
  });

  it('unsubscribeLink: the reader’s click blocklists account-wide (default), or leaves the campaign’s list', async () => {
    const id = await create({ email: 'click@example.com', listIds: [L1, L2] });
    const r = await ctl('POST', `/contacts/${id}/unsubscribe-link`, { listId: L1 });
    expect(read(CtlContact, r.json)).toMatchObject({ emailBlacklisted: true, listIds: [L1, L2], listUnsubscribed: [] });
    await settings({ unsubscribeLink: 'list' });
    const other = await create({ email: 'click2@example.com', listIds: [L1, L2] });
    expect((await ctl('POST', `/contacts/${other}/unsubscribe-link`, {})).status).toBe(400);
    await ctl('POST', `/contacts/${other}/unsubscribe-link`, { listId: L1 });
    expect(await contact(other)).toMatchObject({ emailBlacklisted: false, listIds: [L2], listUnsubscribed: [L1] });
  });

  it('modifiedSinceCount "matching": with modifiedSince, count is the number of contacts the filter keeps', async () => {
    await create({ email: 'c1@example.com', listIds: [L1] });
    const b = await create({ email: 'c2@example.com', listIds: [L1] });
    await ctl('POST', '/clock/advance', { seconds: 10 });
    const since = encodeURIComponent(new Date(Date.now() + 5000).toISOString());
    expectEmpty(await api('PUT', `/contacts/${b}`, { attributes: { FIRSTNAME: 'B' } }), 204);
    expect(await listPage(L1, `?modifiedSince=${since}`)).toMatchObject({ count: 2, contacts: [{ id: b }] });
    await settings({ modifiedSinceCount: 'matching' });
    expect(await listPage(L1, `?modifiedSince=${since}`)).toMatchObject({ count: 1, contacts: [{ id: b }] });
    expect((await listPage(L1)).count).toBe(2);
  });
});

// ---------------------------------------------------------------- control

describe('control over HTTP', () => {
  it('GET /_emulator/ lists the routes; unknown control routes 404, another method 405', async () => {
    const index = read(v.looseObject({ routes: v.array(v.string()) }), (await ctl('GET', '/')).json);
    expect(index.routes).toContain(
      'POST /_emulator/contacts/{id}/unsubscribe-link — the reader clicks the unsubscribe link of a campaign to a list {listId} (what it does: setting unsubscribeLink)',
    );
    expect(index.routes.length).toBeGreaterThan(20);
    expect((await ctl('GET', '/nothing')).status).toBe(404);
    expect((await ctl('DELETE', '/state')).status).toBe(405);
    expect((await call('POST', '/_emulator/lists', { body: '{' })).status).toBe(400);
  });

  it('adds, finds, edits and deletes contacts as a Brevo user would', async () => {
    const r = await ctl('POST', '/contacts', {
      email: 'ui@example.com',
      ext_id: 'ui-1',
      attributes: { FIRSTNAME: 'Ui' },
      listIds: [L1],
      createdAt: '2026-01-02T03:04:05.000Z',
    });
    const created = read(CtlContact, r.json);
    expect(created).toMatchObject({
      email: 'ui@example.com',
      ext_id: 'ui-1',
      listIds: [L1],
      createdAt: '2026-01-02T03:04:05.000Z',
    });
    expect(read(CtlContact, (await ctl('GET', '/contacts?email=UI@example.com')).json).id).toBe(created.id);
    expect(read(CtlContact, (await ctl('GET', '/contacts?ext_id=ui-1')).json).id).toBe(created.id);
    const edited = read(
      CtlContact,
      (
        await ctl('PATCH', `/contacts/${created.id}`, {
          attributes: { LASTNAME: 'User' },
          emailBlacklisted: true,
          listIds: [L2],
        })
      ).json,
    );
    expect(edited).toMatchObject({
      attributes: { FIRSTNAME: 'Ui', LASTNAME: 'User' },
      emailBlacklisted: true,
      listIds: [L2],
    });
    expect(await contact(created.id)).toMatchObject({ emailBlacklisted: true, listIds: [L2] });
    // The user changes the address: the blocklisting goes, as through the API.
    await ctl('PATCH', `/contacts/${created.id}`, { email: 'ui-new@example.com' });
    expect(await ctlContact(created.id)).toMatchObject({ email: 'ui-new@example.com', emailBlacklisted: false });
    expect((await ctl('DELETE', `/contacts/${created.id}`)).json).toEqual({ deleted: true });
    expect((await ctl('GET', `/contacts/${created.id}`)).status).toBe(404);
    expect((await ctl('GET', '/contacts?email=ui-new@example.com')).status).toBe(404);
  });

  it('a contact in L and in its listUnsubscribed (stored as given), and the account’s own contact deleted', async () => {
    const id = await seed({ email: ACCOUNT_EMAIL, listIds: [L1], listUnsubscribed: [L1] });
    expect(await contact(id)).toMatchObject({ listIds: [L1], listUnsubscribed: [L1] });
    expect((await api('DELETE', `/contacts/${id}`)).status).toBe(405);
    expect((await ctl('DELETE', `/contacts/${id}`)).status).toBe(200);
  });

  it('control errors: taken e-mail or ext_id 409, unknown list or contact 404, bad input 400; nothing changed', async () => {
    await seed({ email: 'taken@example.com', ext_id: 'taken' });
    const cases: [string, string, unknown, number][] = [
      ['POST', '/contacts', { email: 'TAKEN@example.com' }, 409],
      ['POST', '/contacts', { email: 'x@example.com', ext_id: 'taken' }, 409],
      ['POST', '/contacts', { email: 'x@example.com', listIds: [999] }, 404],
      ['POST', '/contacts', { email: 'not-an-address' }, 400],
      ['POST', '/contacts', { attributes: { FIRSTNAME: 'no identifier' } }, 400],
      ['POST', '/contacts', { email: 'x@example.com', attributes: { NOPE: 1 } }, 400],
      ['POST', '/contacts', { email: 'x@example.com', attributes: { FIRSTNAME: 3 } }, 400],
      ['PATCH', '/contacts/999', { emailBlacklisted: true }, 404],
      ['PATCH', '/contacts/1', { colour: 'red' }, 400],
      ['DELETE', '/contacts/999', undefined, 404],
      ['POST', '/contacts/999/unsubscribe-link', { listId: L1 }, 404],
      ['POST', '/lists', { name: '' }, 400],
      ['POST', '/lists', { id: L1, name: 'Again' }, 409],
      ['POST', '/clock/advance', { seconds: -1 }, 400],
      ['POST', '/rejected-emails', { emails: 'a@example.com' }, 400],
    ];
    for (const [method, path, body, status] of cases)
      expect((await ctl(method, path, body)).status, `${method} ${path} ${JSON.stringify(body)}`).toBe(status);
    expect((await state()).contacts).toHaveLength(1);
  });

  it('lists created by control get the next integer id, or the one asked for', async () => {
    const a = read(ListDetails, (await ctl('POST', '/lists', { name: 'Next' })).json);
    expect(a).toMatchObject({ id: L2 + 1, name: 'Next', uniqueSubscribers: 0 });
    const b = read(ListDetails, (await ctl('POST', '/lists', { id: 40, name: 'Forty' })).json);
    expect(b.id).toBe(40);
    expect(read(ListDetails, (await api('GET', '/contacts/lists/40')).json).name).toBe('Forty');
  });

  it('rejected e-mails are listed and can be forgotten', async () => {
    expect((await ctl('POST', '/rejected-emails', { emails: ['R1@example.com'] })).json).toEqual({
      emails: ['r1@example.com'],
    });
    expect((await ctl('GET', '/rejected-emails')).json).toEqual({ emails: ['r1@example.com'] });
    await ctl('DELETE', '/rejected-emails');
    expect(await create({ email: 'r1@example.com' })).toBeGreaterThan(0);
  });

  it('reset: initial lists, attributes, settings and limits back; contacts, faults, rules, log and clock gone', async () => {
    await create({ email: 'r@example.com' });
    await ctl('POST', '/lists', { name: 'Temp' });
    await api('POST', '/contacts/attributes/normal/TEMP', { type: 'text' });
    await ctl('PUT', '/faults', { rate: 0.5 });
    await ctl('POST', '/rules', { kind: '500' });
    await ctl('POST', '/rejected-emails', { emails: ['z@example.com'] });
    await ctl('POST', '/clock/advance', { seconds: 30 });
    await settings({ codeCase: 'upper' });
    await ctl('POST', '/reset');
    const s = await state();
    expect(s.contacts).toEqual([]);
    expect(s.lists.map((l) => l.id)).toEqual([L1, L2]);
    expect(s.attributes.map((a) => a.name)).toEqual(['EMAIL', 'SMS', 'FIRSTNAME', 'LASTNAME']);
    expect(s).toMatchObject({
      rules: [],
      rejectedEmails: [],
      clockOffsetSeconds: 0,
      account: { email: ACCOUNT_EMAIL },
    });
    expect(s.settings.codeCase).toBe('lower');
    expect((await log()).entries).toEqual([]);
    expect(await create({ email: 'r@example.com' })).toBe(1);
  });

  it('the JS control object offers the same', async () => {
    const { control } = brevo;
    const c = control.createContact({ email: 'js@example.com', listIds: [L1] });
    expect(control.getContact(c.id)).toMatchObject({ email: 'js@example.com', listIds: [L1] });
    control.editContact(c.id, { listUnsubscribed: [L1] });
    expect(control.apiView(c.id)).toMatchObject({ listIds: [], listUnsubscribed: [L1] });
    expect(control.setRateLimits({ perSecond: 50 })).toEqual({ perSecond: 50, perHour: 100_000_000 });
    expect(() => control.setSettings({ codeCase: 'camel' } as never)).toThrow(/codeCase/);
    expect(control.advanceClock(2)).toBe(2);
    expect(control.deleteContact(c.id)).toBe(true);
    expect(control.state().contacts).toEqual([]);
  });
});

// ---------------------------------------------------------------- call log

describe('call log', () => {
  it('records method, path with query, route, status, timing, fault, rate limiting and list entries; counts them', async () => {
    const id = await create({ email: 'log@example.com' });
    await api('GET', `/contacts/lists/${L1}/contacts?limit=5&sort=asc`);
    await api('POST', `/contacts/lists/${L1}/contacts/add`, { ids: [id, 99, 98] });
    await api('POST', `/contacts/lists/${L1}/contacts/remove`, { all: true });
    await ctl('POST', '/rules', { kind: '503', method: 'DELETE' });
    await api('DELETE', `/contacts/${id}`);
    await call('GET', '/nowhere');
    const { entries, counters } = await log();
    expect(entries.map((e) => [e.method, e.path, e.route, e.status, e.fault, e.items])).toEqual([
      ['POST', '/v3/contacts', 'POST /contacts', 201, null, null],
      [
        'GET',
        `/v3/contacts/lists/${L1}/contacts?limit=5&sort=asc`,
        'GET /contacts/lists/{listId}/contacts',
        200,
        null,
        null,
      ],
      ['POST', `/v3/contacts/lists/${L1}/contacts/add`, 'POST /contacts/lists/{listId}/contacts/add', 201, null, 3],
      [
        'POST',
        `/v3/contacts/lists/${L1}/contacts/remove`,
        'POST /contacts/lists/{listId}/contacts/remove',
        201,
        null,
        null,
      ],
      ['DELETE', `/v3/contacts/${id}`, 'DELETE /contacts/{identifier}', 503, '503', null],
      ['GET', '/nowhere', 'unknown', 404, null, null],
    ]);
    expect(entries.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(counters).toMatchObject({
      total: 6,
      byStatus: { 200: 1, 201: 3, 404: 1, 503: 1 },
      byFault: { 503: 1 },
      rateLimited: 0,
      listItems: 3,
    });
    expect(counters.byRoute['POST /contacts']).toBe(1);
    expect((await ctl('GET', '/counters')).json).toEqual(counters);
    await ctl('DELETE', '/log');
    expect((await log()).counters.total).toBe(0);
  });

  it('never holds the api key, addresses from bodies, names or other body values', async () => {
    await create({ email: 'secret.person@example.com', ext_id: 'ext-secret', attributes: { FIRSTNAME: 'Zelda' } });
    await api('GET', '/contacts/lists', undefined, { key: 'wrong-key-value' });
    const text = JSON.stringify(await log());
    for (const s of [API_KEY, 'wrong-key-value', 'secret.person', 'ext-secret', 'Zelda']) expect(text).not.toContain(s);
  });
});

describe('unknown routes and methods', () => {
  it('an unknown path under /v3 is a 404 after the key check; a known path with another method a 405', async () => {
    expect(errorOf(await api('GET', '/contacts/lists/1/other'), 404)).toEqual({
      code: 'document_not_found',
      message: 'Invalid route',
    });
    expect(errorOf(await api('GET', '/senders'), 404).message).toBe('Invalid route');
    expect(errorOf(await api('GET', '/senders', undefined, { key: null }), 401).code).toBe('unauthorized');
    expect(errorOf(await api('DELETE', '/contacts/lists'), 405)).toEqual({
      code: 'method_not_allowed',
      message: 'DELETE Method is not allowed on this path',
    });
    expect(errorOf(await api('PATCH', '/contacts/1'), 405).code).toBe('method_not_allowed');
    const body = read(Fields, (await call('GET', '/')).json);
    expect(body).toEqual({ code: 'document_not_found', message: 'Invalid route' });
  });
});
