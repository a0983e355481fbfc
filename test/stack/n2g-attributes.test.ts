/**
 * Custom attributes in the Newsletter2Go emulator, tested from the spec's words ("Custom
 * attributes are defined per list", from the Postman collection's "Attributes" folder) and
 * the two readings it leaves unconfirmed: what the API does with a recipient field that is
 * no attribute of the list ("refused, or dropped without a word"), and the shape of
 * `info.additional.invalid_recipients` entries ("strings, objects with `email`, or an object
 * keyed by index").
 */
import * as v from 'valibot';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator } from '../../stack/n2g-emulator/emulator.mjs';
import { defined } from '../support/defined';
import {
  AUTH_KEY,
  emulatorForFile,
  expectErrorBody as expectError,
  expectValidation,
  PASSWORD,
  type Res,
  read,
  USERNAME,
} from '../support/emulator-http';
import { POSTMAN_ATTRIBUTE_BODY as POSTMAN_BODY } from '../support/n2g-postman';

const L1 = 'attl0001';
const L2 = 'attl0002';
const L3 = 'attl0003';
const ID = /^[a-z0-9]{8}$/;

const emu = emulatorForFile({
  lists: [
    { id: L1, name: 'Weekly' },
    { id: L2, name: 'Offers' },
    { id: L3, name: 'Spare' },
  ],
  // unsubscribe_url on each configured list; weekly_only on L1 alone; customer_no global.
  attributes: ['unsubscribe_url', { name: 'weekly_only', list_ids: [L1] }],
  globalAttributes: ['customer_no'],
});
const { ctl, api } = emu;
let base: string;
beforeAll(() => {
  base = emu.url;
});

// ---------------------------------------------------------------- reading answers

const Envelope = v.looseObject({
  status: v.number(),
  info: v.looseObject({ count: v.number(), additional: v.optional(v.record(v.string(), v.unknown())) }),
  value: v.array(v.looseObject({ id: v.string() })),
});
const Attribute = v.looseObject({
  id: v.string(),
  name: v.string(),
  is_global: v.boolean(),
  list_ids: v.array(v.string()),
});
const State = v.looseObject({
  lists: v.array(v.looseObject({ id: v.string() })),
  attributes: v.array(Attribute),
  recipients: v.array(
    v.looseObject({ id: v.string(), email: v.string(), attributes: v.record(v.string(), v.unknown()) }),
  ),
});

const envelope = (r: Res) => read(Envelope, r.json);
const row = (r: Res, i = 0) => defined(envelope(r).value[i], `value[${i}]`);
const state = async () => read(State, (await ctl('GET', '/state')).json);
const attributeNamed = async (name: string) =>
  defined(
    (await state()).attributes.find((a) => a.name === name),
    `attribute ${name}`,
  );
const recipientOf = async (email: string) =>
  defined(
    (await state()).recipients.find((r) => r.email === email),
    `recipient ${email}`,
  );

/** The names of a list's attributes, read through `GET /lists/{list_id}/attributes` and `GET /attributes/{id}`. */
async function namesOn(listId: string): Promise<string[]> {
  const r = await api('GET', `/lists/${listId}/attributes`);
  expect(r.status).toBe(200);
  const names: string[] = [];
  for (const item of envelope(r).value) {
    expect(Object.keys(item).sort()).toEqual(['_href', 'id']);
    const one = await api('GET', `/attributes/${item.id}?_fields=name`);
    names.push(String(row(one).name));
  }
  return names;
}

async function createAttribute(body: Record<string, unknown>): Promise<string> {
  const r = await api('POST', '/attributes', body);
  expect(r.status, JSON.stringify(r.json)).toBe(201);
  return row(r).id;
}

async function createRecipient(listId: string, email: string, extra: Record<string, unknown> = {}) {
  const r = await api('POST', '/recipients', { list_id: listId, email, ...extra });
  expect(r.status, JSON.stringify(r.json)).toBe(200);
  return row(r).id;
}

// ---------------------------------------------------------------- per list

describe('custom attributes are defined per list', () => {
  it('GET /lists/{list_id}/attributes lists a list’s attributes as {_href, id}; a global one is on every list', async () => {
    expect(await namesOn(L1)).toEqual(['unsubscribe_url', 'weekly_only', 'customer_no']);
    expect(await namesOn(L2)).toEqual(['unsubscribe_url', 'customer_no']);
    const r = await api('GET', `/lists/${L2}/attributes`);
    expect(envelope(r).info.count).toBe(2);
    expect(row(r)._href).toBe(`${base}/attributes/${row(r).id}`);
    expectError(await api('GET', '/lists/zzzz9999/attributes'), 404);
  });

  it('GET /attributes/{id} has name, type, is_global and list_ids; _fields names what comes back; 404 when unknown', async () => {
    const weekly = await attributeNamed('weekly_only');
    const one = await api('GET', `/attributes/${weekly.id}?_expand=true`);
    expect(one.status).toBe(200);
    expect(row(one)).toMatchObject({
      _href: `${base}/attributes/${weekly.id}`,
      id: weekly.id,
      name: 'weekly_only',
      type: 'text',
      is_global: false,
      list_ids: [L1],
    });
    const global = await attributeNamed('customer_no');
    const named = await api('GET', `/attributes/${global.id}?_fields=name,is_global,list_ids`);
    expect(row(named)).toEqual({
      _href: `${base}/attributes/${global.id}`,
      id: global.id,
      name: 'customer_no',
      is_global: true,
      list_ids: [L1, L2, L3],
    });
    expect((await api('GET', `/attributes/${global.id}`)).json).toEqual({
      status: 200,
      info: { count: 1 },
      value: [{ _href: `${base}/attributes/${global.id}`, id: global.id }],
    });
    expectError(await api('GET', `/attributes/${global.id}?_fields=shoe_size`), 400);
    expectError(await api('GET', '/attributes/zzzz9999'), 404);
  });

  it('GET /attributes lists the account’s attributes with list_ids and is_global as fields', async () => {
    const r = await api('GET', '/attributes?_expand=true&_fields=name,is_global,list_ids');
    expect(envelope(r).value.map(({ name, is_global, list_ids }) => ({ name, is_global, list_ids }))).toEqual([
      { name: 'unsubscribe_url', is_global: false, list_ids: [L1, L2, L3] },
      { name: 'weekly_only', is_global: false, list_ids: [L1] },
      { name: 'customer_no', is_global: true, list_ids: [L1, L2, L3] },
    ]);
  });

  it('a global attribute is on a list created later too; the configured ones are not', async () => {
    const later = read(v.looseObject({ id: v.string() }), (await ctl('POST', '/lists', { name: 'Later' })).json).id;
    expect(await namesOn(later)).toEqual(['customer_no']);
    const id = await createRecipient(later, 'later@example.com', { customer_no: 'K-7' });
    const got = await api('GET', `/lists/${later}/recipients/${id}?_fields=customer_no`);
    expect(row(got).customer_no).toBe('K-7');
    expectValidation(
      await api('POST', '/recipients', { list_id: later, email: 'later@example.com', unsubscribe_url: 'https://u' }),
      'unsubscribe_url',
      'Attribute "unsubscribe_url" does not exist',
    );
    // The control can put existing attributes on a new list (a test's shortcut).
    const withAttr = await ctl('POST', '/lists', { name: 'With', attributes: ['unsubscribe_url', 'customer_no'] });
    const withId = read(v.looseObject({ id: v.string() }), withAttr.json).id;
    expect(await namesOn(withId)).toEqual(['unsubscribe_url', 'customer_no']);
    await createRecipient(withId, 'w@example.com', { unsubscribe_url: 'https://u/w' });
  });

  it('a recipient’s attribute of another list is unknown in _fields and _filter: 400, like an unknown field', async () => {
    const id = await createRecipient(L2, 'two@example.com');
    expectError(await api('GET', `/lists/${L2}/recipients/${id}?_fields=email,weekly_only`), 400);
    expectError(await api('GET', `/lists/${L2}/recipients?_expand=true&_fields=email,weekly_only`), 400);
    expectError(await api('GET', `/lists/${L2}/recipients?_filter=${encodeURIComponent('weekly_only=="x"')}`), 400);
    const ok = await api('GET', `/lists/${L2}/recipients/${id}?_fields=email,unsubscribe_url,customer_no`);
    expect(row(ok)).toMatchObject({ email: 'two@example.com', unsubscribe_url: null, customer_no: null });
  });
});

// ---------------------------------------------------------------- POST /attributes

describe('POST /attributes', () => {
  it('the Postman body creates one: 201 value [{_href, id}]; it appears under GET /lists/{id}/attributes and GET /attributes/{id}', async () => {
    const r = await api('POST', '/attributes', { ...POSTMAN_BODY, list_ids: [L2] });
    expect(r.status).toBe(201);
    expect(r.json).toEqual({
      status: 201,
      info: { count: 1 },
      value: [{ _href: `${base}/attributes/${row(r).id}`, id: row(r).id }],
    });
    const id = row(r).id;
    expect(id).toMatch(ID);
    expect(await namesOn(L2)).toEqual(['unsubscribe_url', 'customer_no', 'New_Attribute']);
    expect(await namesOn(L1)).not.toContain('New_Attribute');
    const one = await api('GET', `/attributes/${id}?_expand=true`);
    const { list_ids: _sent, ...rest } = POSTMAN_BODY;
    expect(row(one)).toMatchObject({ ...rest, id, list_ids: [L2], created_at: expect.any(String) });
    // Written and read back on that list; refused on the other.
    const rid = await createRecipient(L2, 'n@example.com', { New_Attribute: 'yes' });
    expect(row(await api('GET', `/lists/${L2}/recipients/${rid}?_fields=New_Attribute`)).New_Attribute).toBe('yes');
    expectValidation(
      await api('POST', '/recipients', { list_id: L1, email: 'n@example.com', New_Attribute: 'no' }),
      'New_Attribute',
    );
  });

  it('a name the account already has clashes: 400, code 1062, `Duplicate value "x" for column "name"`', async () => {
    await createAttribute({ ...POSTMAN_BODY, list_ids: [L1] });
    for (const [name, lists] of [
      ['New_Attribute', [L1]],
      ['New_Attribute', [L2]], // names are unique across the account, not per list
      ['weekly_only', [L2]],
      ['customer_no', [L3]],
      ['email', [L1]], // a built-in field's name
    ] as const) {
      const r = await api('POST', '/attributes', { ...POSTMAN_BODY, name, list_ids: lists });
      expect(r.status, name).toBe(400);
      expect(r.json).toEqual({ status: 400, code: 1062, errorMessage: `Duplicate value "${name}" for column "name"` });
    }
  });

  it('names match [0-9a-zA-Z_]+: anything else is a 422 naming "name"', async () => {
    for (const name of ['New Attribute', 'new-attribute', 'ümlaut', '', 'a.b', 42, null]) {
      expectValidation(await api('POST', '/attributes', { ...POSTMAN_BODY, name, list_ids: [L1] }), 'name');
    }
    await createAttribute({ ...POSTMAN_BODY, name: '1st_Attribute_2', list_ids: [L1] });
    expect((await state()).attributes.map((a) => a.name)).toEqual([
      'unsubscribe_url',
      'weekly_only',
      'customer_no',
      '1st_Attribute_2',
    ]);
  });

  it('list_ids: required unless global; every list must exist (404, nothing created); other fields checked', async () => {
    const { list_ids: _l, ...noLists } = POSTMAN_BODY;
    expectValidation(await api('POST', '/attributes', noLists), 'list_ids');
    expectValidation(await api('POST', '/attributes', { ...POSTMAN_BODY, list_ids: L1 }), 'list_ids');
    expectError(await api('POST', '/attributes', { ...POSTMAN_BODY, list_ids: [L1, 'zzzz9999'] }), 404);
    expectValidation(await api('POST', '/attributes', { ...POSTMAN_BODY, list_ids: [L1], is_enum: 'no' }), 'is_enum');
    expectValidation(await api('POST', '/attributes', { ...POSTMAN_BODY, list_ids: [L1], type: 1 }), 'type');
    expectValidation(await api('POST', '/attributes', { ...POSTMAN_BODY, list_ids: [L1], colour: 'red' }), 'colour');
    expect((await state()).attributes).toHaveLength(3);
    const id = await createAttribute({ ...noLists, is_global: true });
    expect(await attributeNamed('New_Attribute')).toMatchObject({ id, is_global: true, list_ids: [L1, L2, L3] });
  });
});

// ---------------------------------------------------------------- PATCH /attributes/{id}

describe('PATCH /attributes/{id}', () => {
  it('list_ids changes the lists it belongs to: adding a second list makes it writable there', async () => {
    const id = await createAttribute({ ...POSTMAN_BODY, list_ids: [L1] });
    const r = await api('PATCH', `/attributes/${id}`, { list_ids: [L1, L2] });
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ status: 200, info: { count: 1 }, value: [] });
    expect(await namesOn(L2)).toContain('New_Attribute');
    const rid = await createRecipient(L2, 'p@example.com', { New_Attribute: 'on L2' });
    expect(row(await api('GET', `/lists/${L2}/recipients/${rid}?_fields=New_Attribute`)).New_Attribute).toBe('on L2');
    // list_ids replaces the set: now on L2 alone.
    expect((await api('PATCH', `/attributes/${id}`, { list_ids: [L2] })).status).toBe(200);
    expect(await namesOn(L1)).not.toContain('New_Attribute');
    expect((await attributeNamed('New_Attribute')).list_ids).toEqual([L2]);
  });

  it('the other fields of the Postman body may change; name, type and is_global may not (422); unknown id or list 404', async () => {
    const id = await createAttribute({ ...POSTMAN_BODY, list_ids: [L1] });
    expect(
      (await api('PATCH', `/attributes/${id}`, { display: 'none', default_value: 'x', name: 'New_Attribute' })).status,
    ).toBe(200);
    expect(await attributeNamed('New_Attribute')).toMatchObject({ display: 'none', default_value: 'x', type: 'text' });
    expectValidation(await api('PATCH', `/attributes/${id}`, { name: 'Renamed' }), 'name');
    expectValidation(await api('PATCH', `/attributes/${id}`, { type: 'number' }), 'type');
    expectValidation(await api('PATCH', `/attributes/${id}`, { is_global: true }), 'is_global');
    expectValidation(await api('PATCH', `/attributes/${id}`, { list_ids: 'x' }), 'list_ids');
    expectError(await api('PATCH', `/attributes/${id}`, { list_ids: [L2, 'zzzz9999'] }), 404);
    expect((await attributeNamed('New_Attribute')).list_ids).toEqual([L1]);
    expectError(await api('PATCH', '/attributes/zzzz9999', { list_ids: [L1] }), 404);
    const global = await attributeNamed('customer_no');
    expectValidation(await api('PATCH', `/attributes/${global.id}`, { list_ids: [L1] }), 'list_ids');
  });
});

// ---------------------------------------------------------------- DELETE /lists/{list_id}/attributes/{id}

describe('DELETE /lists/{list_id}/attributes/{id}', () => {
  it('removes it from that list only; the values stay stored and come back when it is on the list again', async () => {
    const attr = await attributeNamed('unsubscribe_url');
    const rid = await createRecipient(L1, 'd@example.com', { unsubscribe_url: 'https://u/d' });
    const r = await api('DELETE', `/lists/${L1}/attributes/${attr.id}`);
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ status: 200, info: { count: 1 }, value: [] });
    expect(await namesOn(L1)).toEqual(['weekly_only', 'customer_no']);
    expect(await namesOn(L2)).toContain('unsubscribe_url');
    expect((await attributeNamed('unsubscribe_url')).list_ids).toEqual([L2, L3]);
    expectError(await api('GET', `/lists/${L1}/recipients/${rid}?_fields=unsubscribe_url`), 400);
    expectValidation(await api('PATCH', `/lists/${L1}/recipients/${rid}`, { unsubscribe_url: 'x' }), 'unsubscribe_url');
    expect((await recipientOf('d@example.com')).attributes).toEqual({ unsubscribe_url: 'https://u/d' });
    expectError(await api('DELETE', `/lists/${L1}/attributes/${attr.id}`), 404);
    // Put back on L1: the stored value reads again.
    expect((await api('PATCH', `/attributes/${attr.id}`, { list_ids: [L1, L2, L3] })).status).toBe(200);
    const back = await api('GET', `/lists/${L1}/recipients/${rid}?_fields=unsubscribe_url`);
    expect(row(back).unsubscribe_url).toBe('https://u/d');
  });

  it('an attribute off its last list still exists, its name taken; a global one cannot leave a list (422); unknown list or id 404', async () => {
    const weekly = await attributeNamed('weekly_only');
    expect((await api('DELETE', `/lists/${L1}/attributes/${weekly.id}`)).status).toBe(200);
    const one = await api('GET', `/attributes/${weekly.id}?_fields=name,list_ids`);
    expect(row(one)).toMatchObject({ name: 'weekly_only', list_ids: [] });
    expect((await api('POST', '/attributes', { ...POSTMAN_BODY, name: 'weekly_only', list_ids: [L2] })).status).toBe(
      400,
    );
    const global = await attributeNamed('customer_no');
    expectValidation(await api('DELETE', `/lists/${L1}/attributes/${global.id}`), 'is_global');
    expect(await namesOn(L1)).toContain('customer_no');
    expectError(await api('DELETE', `/lists/zzzz9999/attributes/${global.id}`), 404);
    expectError(await api('DELETE', `/lists/${L1}/attributes/zzzz9999`), 404);
  });
});

// ---------------------------------------------------------------- unknownAttribute

describe('a recipient field that is no attribute of the list (unconfirmed: refused, or dropped without a word)', () => {
  it('refuse (default): 422 naming the field, and nothing is written (POST single and array, PATCH, POST to the recipient)', async () => {
    const single = await api('POST', '/recipients', {
      list_id: L2,
      email: 'r@example.com',
      first_name: 'R',
      weekly_only: 'x',
    });
    expectValidation(single, 'weekly_only', 'Attribute "weekly_only" does not exist');
    const bulk = await api('POST', '/recipients', [
      { list_id: L1, email: 'a@example.com', weekly_only: 'fine on L1' },
      { list_id: L2, email: 'b@example.com', weekly_only: 'not on L2' },
    ]);
    expectValidation(bulk, 'weekly_only', 'recipient 1: Attribute "weekly_only" does not exist');
    expect((await state()).recipients).toEqual([]);
    const id = await createRecipient(L2, 'r@example.com', { first_name: 'R' });
    for (const method of ['PATCH', 'POST']) {
      const r = await api(method, `/lists/${L2}/recipients/${id}`, { first_name: 'Changed', nickname: 'x' });
      expectValidation(r, 'nickname', 'Attribute "nickname" does not exist');
    }
    const rec = await recipientOf('r@example.com');
    expect([rec.first_name, rec.attributes]).toEqual(['R', {}]);
  });

  it('drop: the field is ignored without a word and the rest written (POST single and array, PATCH, POST to the recipient)', async () => {
    expect((await ctl('PUT', '/settings', { unknownAttribute: 'drop' })).status).toBe(200);
    const single = await api('POST', '/recipients', {
      list_id: L2,
      email: 'd@example.com',
      first_name: 'D',
      unsubscribe_url: 'https://u/d',
      weekly_only: 'dropped',
    });
    expect(single.status).toBe(200);
    expect(envelope(single).info).toEqual({ count: 1, additional: { invalid_recipients: [] } });
    let rec = await recipientOf('d@example.com');
    expect([rec.first_name, rec.attributes]).toEqual(['D', { unsubscribe_url: 'https://u/d' }]);

    const bulk = await api('POST', '/recipients', [
      { list_id: L1, email: 'a@example.com', weekly_only: 'kept on L1' },
      { list_id: L2, email: 'b@example.com', weekly_only: 'dropped on L2' },
    ]);
    expect(bulk.status).toBe(201);
    expect(envelope(bulk).info.count).toBe(2);
    expect((await recipientOf('a@example.com')).attributes).toEqual({ weekly_only: 'kept on L1' });
    expect((await recipientOf('b@example.com')).attributes).toEqual({});

    const id = row(single).id;
    const patched = await api('PATCH', `/lists/${L2}/recipients/${id}`, { last_name: 'P', nickname: 'dropped' });
    expect(patched.json).toEqual({ status: 200, info: { count: 1 }, value: [] });
    const posted = await api('POST', `/lists/${L2}/recipients/${id}`, { phone: '+49 1', shoe_size: 42 });
    expect(posted.status).toBe(200);
    rec = await recipientOf('d@example.com');
    expect(rec).toMatchObject({ first_name: 'D', last_name: 'P', phone: '+49 1' });
    expect(rec.attributes).toEqual({ unsubscribe_url: 'https://u/d' });
  });

  it('drop: built-in read-only fields are still refused', async () => {
    await ctl('PUT', '/settings', { unknownAttribute: 'drop' });
    for (const field of ['is_bounced', 'created_at', 'id', 'updated_at']) {
      const r = await api('POST', '/recipients', { list_id: L1, email: 'ro@example.com', [field]: 'x' });
      expectValidation(r, field, `Field "${field}" is read-only`);
    }
    expect((await state()).recipients).toEqual([]);
  });
});

// ---------------------------------------------------------------- invalid_recipients

describe('info.additional.invalid_recipients (unconfirmed: strings, objects with email, or an object keyed by index)', () => {
  const BULK = [
    { list_id: L1, email: 'ok0@example.com' },
    { list_id: L1, email: 'not-an-email' },
    { list_id: L1, email: 'ok2@example.com' },
    { list_id: L1, email: 'refused@example.com' },
  ];
  const invalidOf = (r: Res) => envelope(r).info.additional?.invalid_recipients;

  beforeEach(async () => {
    await ctl('POST', '/rejected-emails', { emails: ['refused@example.com'] });
  });

  it('strings (default): the addresses as sent', async () => {
    const r = await api('POST', '/recipients', BULK);
    expect(r.status).toBe(201);
    expect(envelope(r).info.count).toBe(2);
    expect(invalidOf(r)).toEqual(['not-an-email', 'refused@example.com']);
  });

  it('objects: {email, message} per address', async () => {
    await ctl('PUT', '/settings', { invalidRecipientsShape: 'objects' });
    const r = await api('POST', '/recipients', BULK);
    expect(invalidOf(r)).toEqual([
      { email: 'not-an-email', message: 'Invalid email address' },
      { email: 'refused@example.com', message: 'Invalid email address' },
    ]);
    expect(invalidOf(await api('POST', '/recipients', { list_id: L1, email: 'fine@example.com' }))).toEqual([]);
  });

  it('indexed: an object from the item’s index in the request to the address; [] when none (as published)', async () => {
    await ctl('PUT', '/settings', { invalidRecipientsShape: 'indexed' });
    const r = await api('POST', '/recipients', BULK);
    expect(r.status).toBe(201);
    expect(invalidOf(r)).toEqual({ 1: 'not-an-email', 3: 'refused@example.com' });
    expect(envelope(r).value).toHaveLength(2);
    expect(invalidOf(await api('POST', '/recipients', { list_id: L1, email: 'DELETED' }))).toEqual({ 0: 'DELETED' });
    expect(invalidOf(await api('POST', '/recipients', { list_id: L1, email: 'fine@example.com' }))).toEqual([]);
  });
});

// ---------------------------------------------------------------- start options and control

describe('start options, control and reset', () => {
  it('attributes: names are attributes of the configured lists; globalAttributes of every list; reset restores them', async () => {
    const e2 = await startEmulator({
      authKey: AUTH_KEY,
      username: USERNAME,
      password: PASSWORD,
      lists: [{ id: L1, name: 'A' }, { name: 'Generated id' }],
      attributes: ['unsubscribe_url'],
      globalAttributes: ['everywhere'],
    });
    try {
      const s = () => ctl('GET', '/state', undefined, e2.url).then((r) => read(State, r.json));
      const [first, second] = (await s()).lists.map((l) => l.id);
      expect((await s()).attributes.map(({ name, is_global, list_ids }) => ({ name, is_global, list_ids }))).toEqual([
        { name: 'unsubscribe_url', is_global: false, list_ids: [first, second] },
        { name: 'everywhere', is_global: true, list_ids: [first, second] },
      ]);
      const added = await ctl('POST', '/lists', { name: 'Later' }, e2.url);
      const laterId = read(v.looseObject({ id: v.string() }), added.json).id;
      const onLater = await api('GET', `/lists/${laterId}/attributes?_expand=true&_fields=name`, undefined, {
        at: e2.url,
      });
      expect(envelope(onLater).value.map((a) => a.name)).toEqual(['everywhere']);
      const unsub = defined((await s()).attributes[0], 'unsubscribe_url');
      await api('DELETE', `/lists/${first}/attributes/${unsub.id}`, undefined, { at: e2.url });
      await api('POST', '/attributes', { ...POSTMAN_BODY, list_ids: [first] }, { at: e2.url });
      await ctl('POST', '/reset', undefined, e2.url);
      const after = await s();
      expect(after.lists).toHaveLength(2);
      const [a, b] = after.lists.map((l) => l.id);
      expect(after.attributes.map(({ name, list_ids }) => ({ name, list_ids }))).toEqual([
        { name: 'unsubscribe_url', list_ids: [a, b] },
        { name: 'everywhere', list_ids: [a, b] },
      ]);
    } finally {
      await e2.close();
    }
  });

  it('a bad attribute configuration fails the start', async () => {
    const start = (o: Parameters<typeof startEmulator>[0]) =>
      startEmulator({ lists: [{ id: L1, name: 'A' }], ...o }).then((e) => e.close());
    await expect(start({ attributes: ['no spaces'] })).rejects.toThrow(/attribute name/);
    await expect(start({ attributes: ['email'] })).rejects.toThrow(/attribute name/);
    await expect(start({ attributes: ['x'], globalAttributes: ['x'] })).rejects.toThrow(/twice/);
    await expect(start({ attributes: [{ name: 'x', list_ids: ['zzzz9999'] }] })).rejects.toThrow(/no list/);
  });

  it('POST /_emulator/attributes {name, type?, list_ids?, is_global?}; errors 400, 404, 409', async () => {
    const made = await ctl('POST', '/attributes', { name: 'ctl_attr', list_ids: [L2, L3] });
    expect(made.status).toBe(200);
    expect(read(Attribute, made.json)).toMatchObject({ name: 'ctl_attr', is_global: false, list_ids: [L2, L3] });
    expect(await namesOn(L3)).toContain('ctl_attr');
    const none = await ctl('POST', '/attributes', { name: 'on_no_list' });
    expect(read(Attribute, none.json).list_ids).toEqual([]);
    const glob = await ctl('POST', '/attributes', { name: 'ctl_global', is_global: true, type: 'number' });
    expect(read(Attribute, glob.json)).toMatchObject({ is_global: true, type: 'number', list_ids: [L1, L2, L3] });
    expect((await ctl('POST', '/attributes', { name: 'bad name', list_ids: [L1] })).status).toBe(400);
    expect((await ctl('POST', '/attributes', { name: 'x', list_ids: ['zzzz9999'] })).status).toBe(404);
    expect((await ctl('POST', '/attributes', { name: 'ctl_attr', list_ids: [L1] })).status).toBe(409);
    expect((await ctl('POST', '/attributes', { name: 'email' })).status).toBe(409);
    // POST /_emulator/lists with an attribute that does not exist creates nothing.
    expect((await ctl('POST', '/lists', { name: 'Bad', attributes: ['nope'] })).status).toBe(400);
    expect((await state()).lists).toHaveLength(3);
  });

  it('the control’s own writes follow the list’s attributes too', async () => {
    expect((await ctl('POST', '/recipients', { list_id: L2, email: 'c@example.com', weekly_only: 'x' })).status).toBe(
      400,
    );
    const ins = await ctl('POST', '/recipients', { list_id: L1, email: 'c@example.com', weekly_only: 'x' });
    expect(ins.status).toBe(200);
    expect(emu.control.state().attributes.find((a) => a.name === 'customer_no')).toMatchObject({
      is_global: true,
      list_ids: [L1, L2, L3],
    });
  });
});
