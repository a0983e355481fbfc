/**
 * The emulator's `_filter` language against Newsletter2Go's published operator table (API docs,
 * "Filter language"; /work/shared/spec/newsletter2go-api.md, "Filters"), example by example:
 * first the parser and evaluator alone, then over HTTP through a running emulator, with the
 * unquotedValue switch and the `maxUrlBytes` one (414 for a request-target over 4096 bytes).
 */
import * as v from 'valibot';
import { beforeEach, describe, expect, it } from 'vitest';
import { startEmulator } from '../../stack/n2g-emulator/emulator.mjs';
import { FiqlError, MAX_DEPTH, matches, parseFilter } from '../../stack/n2g-emulator/fiql.mjs';
import { AUTH_KEY, emulatorForFile, filter, PASSWORD, USERNAME } from '../support/emulator-http';

// ---------------------------------------------------------------- the parser and evaluator alone

type Rec = Record<string, unknown>;
const KINDS: Record<string, 'scalar' | 'array'> = {
  age: 'scalar',
  gender: 'scalar',
  rating: 'scalar',
  email: 'scalar',
  birthday: 'scalar',
  first_name: 'scalar',
  last_name: 'scalar',
  phone: 'scalar',
  is_unsubscribed: 'scalar',
  group_ids: 'array',
  list_ids: 'array',
};
const kindOf = (name: string) => KINDS[name] ?? null;
type Reading = 'field' | 'field-or-literal';

/** Which of `records` the filter selects (their indexes), as the evaluator reads them. */
function pick(filter: string, records: Rec[], unquotedValue: Reading = 'field'): number[] {
  const tree = parseFilter(filter, kindOf, { unquotedValue });
  return records.flatMap((r, i) =>
    matches(tree, (name) => r[name] ?? (KINDS[name] === 'array' ? [] : null)) ? [i] : [],
  );
}

function refused(filter: string, unquotedValue: Reading = 'field'): string {
  try {
    parseFilter(filter, kindOf, { unquotedValue });
  } catch (e) {
    expect(e, filter).toBeInstanceOf(FiqlError);
    return (e as Error).message;
  }
  throw new Error(`accepted: ${filter}`);
}

describe('the docs’ filter table, row by row', () => {
  it('== equals: age=="27"', () => {
    const records = [{ age: 27 }, { age: '27' }, { age: 28 }, { age: null }, { age: '027' }];
    expect(pick('age=="27"', records)).toEqual([0, 1, 4]); // numbers compare numerically
  });

  it('=ne= does not equal: gender=ne="m" (a missing value counts as "")', () => {
    const records = [{ gender: 'f' }, { gender: 'm' }, { gender: null }, { gender: 'M' }];
    expect(pick('gender=ne="m"', records)).toEqual([0, 2]);
  });

  it('=gt= =ge= =lt= =le= greater / less (or equal): rating=ge="2", numerically', () => {
    const records = [{ rating: 1 }, { rating: 2 }, { rating: '3' }, { rating: 10 }];
    expect(pick('rating=ge="2"', records)).toEqual([1, 2, 3]);
    expect(pick('rating=gt="2"', records)).toEqual([2, 3]);
    expect(pick('rating=lt="2"', records)).toEqual([0]);
    expect(pick('rating=le="2"', records)).toEqual([0, 1]);
  });

  it('=like= =nlike= like / not like, % as wildcard: email=like="%yahoo.com" (and _ for one character)', () => {
    const records = [
      { email: 'a@yahoo.com' },
      { email: 'B@YAHOO.COM' },
      { email: 'c@yahoo.com.au' },
      { email: 'd@x.de' },
    ];
    expect(pick('email=like="%yahoo.com"', records)).toEqual([0, 1]);
    expect(pick('email=nlike="%yahoo.com"', records)).toEqual([2, 3]);
    expect(pick('email=like="_@yahoo.com"', records)).toEqual([0, 1]);
    expect(pick('email=like="%yahoo%"', records)).toEqual([0, 1, 2]);
  });

  it('the docs’ own example, email=like=%yahoo.com, unquoted: 400 by default, a value under field-or-literal', () => {
    const records = [{ email: 'a@yahoo.com' }, { email: 'd@x.de' }];
    expect(refused('email=like=%yahoo.com')).toMatch(/double quotes/);
    expect(pick('email=like=%yahoo.com', records, 'field-or-literal')).toEqual([0]);
    expect(pick('email=nlike=%yahoo.com', records, 'field-or-literal')).toEqual([1]);
  });

  it('=contains= =ncontains= an array contains / does not contain an element: group_ids=contains="rarr38sz"', () => {
    const records = [
      { group_ids: ['rarr38sz'] },
      { group_ids: ['5cj9y8ub', 'rarr38sz'] },
      { group_ids: [] },
      { group_ids: ['rarr38szz'] }, // an element, not a substring
      {},
    ];
    expect(pick('group_ids=contains="rarr38sz"', records)).toEqual([0, 1]);
    expect(pick('group_ids=ncontains="rarr38sz"', records)).toEqual([2, 3, 4]);
  });

  it('=in= =nin= an element is / is not in an array: "rarr38sz"=in=group_ids', () => {
    const records = [{ group_ids: ['rarr38sz'] }, { group_ids: ['5cj9y8ub'] }, { group_ids: [] }];
    expect(pick('"rarr38sz"=in=group_ids', records)).toEqual([0]);
    expect(pick('"rarr38sz"=nin=group_ids', records)).toEqual([1, 2]);
  });

  it('; and: birthday=ge="1979-12-31";gender=="f"', () => {
    const records = [
      { birthday: '1985-02-01', gender: 'f' },
      { birthday: '1970-05-06', gender: 'f' },
      { birthday: '1985-02-01', gender: 'm' },
      { birthday: '1979-12-31', gender: 'f' },
    ];
    expect(pick('birthday=ge="1979-12-31";gender=="f"', records)).toEqual([0, 3]);
  });

  it(', or, verbatim with the grouping parentheses: (group_ids=contains="rarr38sz",group_ids=CONTAINS="5cj9y8ub")', () => {
    const records = [{ group_ids: ['rarr38sz'] }, { group_ids: ['5cj9y8ub'] }, { group_ids: ['zzzzzzzz'] }, {}];
    expect(pick('(group_ids=contains="rarr38sz",group_ids=CONTAINS="5cj9y8ub")', records)).toEqual([0, 1]);
  });

  it('operator names in any case (the docs write =CONTAINS=, =LIKE=)', () => {
    const records = [
      { gender: 'f', rating: 3, email: 'a@yahoo.com', group_ids: ['rarr38sz'] },
      { gender: 'm', rating: 1, email: 'b@x.de', group_ids: [] },
    ];
    for (const [f, want] of [
      ['gender=NE="m"', [0]],
      ['rating=GE="2"', [0]],
      ['rating=Lt="2"', [1]],
      ['email=LIKE="%yahoo.com"', [0]],
      ['email=NLIKE="%yahoo.com"', [1]],
      ['group_ids=CONTAINS="rarr38sz"', [0]],
      ['group_ids=NContains="rarr38sz"', [1]],
      ['"rarr38sz"=IN=group_ids', [0]],
      ['"rarr38sz"=NIN=group_ids', [1]],
    ] as const)
      expect(pick(f, records), f).toEqual(want);
  });

  it('an unquoted value names another field: first_name==last_name (case-insensitive like ==)', () => {
    const records = [
      { first_name: 'Anna', last_name: 'anna' },
      { first_name: 'Anna', last_name: 'Alpha' },
      { first_name: null, last_name: null }, // both missing: "" == ""
    ];
    expect(pick('first_name==last_name', records)).toEqual([0, 2]);
    expect(pick('first_name=ne=last_name', records)).toEqual([1]);
    expect(pick('first_name=gt=last_name', records)).toEqual([1]);
    // A field is a field under either reading; a name that is none is a 400 by default.
    expect(pick('first_name==last_name', records, 'field-or-literal')).toEqual([0, 2]);
    expect(refused('first_name==nickname')).toMatch(/unknown field "nickname"/);
    expect(pick('first_name==Anna', records, 'field-or-literal')).toEqual([0, 1]);
  });
});

describe('grouping, precedence and the comparison habits', () => {
  const records = [
    { age: 27, gender: 'f' },
    { age: 28, gender: 'm' },
    { age: 28, gender: 'f' },
  ];

  it('; binds tighter than , (FIQL); parentheses change that and nest', () => {
    expect(pick('age=="27",age=="28";gender=="f"', records)).toEqual([0, 2]);
    expect(pick('(age=="27",age=="28");gender=="m"', records)).toEqual([1]);
    expect(pick('((age=="27",(age=="28"));(gender=="f"))', records)).toEqual([0, 2]);
    expect(pick('gender=="m",(age=="27";gender=="f")', records)).toEqual([0, 1]);
  });

  it(`parentheses nest up to ${MAX_DEPTH} deep; deeper is a 400, not a stack overflow`, () => {
    const nested = (n: number) => `${'('.repeat(n)}age=="27"${')'.repeat(n)}`;
    expect(pick(nested(MAX_DEPTH), records)).toEqual([0]);
    expect(refused(nested(MAX_DEPTH + 1))).toMatch(/deeper than 32/);
    expect(refused('('.repeat(100_000))).toMatch(/deeper than 32/);
  });

  it('a hundred, and ten thousand, OR’ed terms: every one matched, parsed in one pass', () => {
    const people = Array.from({ length: 200 }, (_, i) => ({ email: `user${i}@example.com` }));
    const hundred = people.slice(50, 150).map((p) => `email=="${p.email.toUpperCase()}"`);
    expect(pick(hundred.join(','), people)).toEqual(Array.from({ length: 100 }, (_, i) => i + 50));
    const started = performance.now();
    const many = Array.from({ length: 10_000 }, (_, i) => `email=="u${i}@x.de"`).join(',');
    const tree = parseFilter(many, kindOf);
    expect(matches(tree, () => 'u9999@x.de')).toBe(true);
    expect(matches(tree, () => 'u10000@x.de')).toBe(false);
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('booleans match "true"/"1" and "false"/"0"; a missing value is ""', () => {
    const flags = [{ is_unsubscribed: true }, { is_unsubscribed: false }, { phone: '1' }];
    expect(pick('is_unsubscribed=="true"', flags)).toEqual([0]);
    expect(pick('is_unsubscribed=="1"', flags)).toEqual([0]);
    expect(pick('is_unsubscribed=="0"', flags)).toEqual([1]);
    expect(pick('is_unsubscribed=="false"', flags)).toEqual([1]);
    expect(pick('phone==""', flags)).toEqual([0, 1]);
    // Unquoted booleans are field names by default; under field-or-literal, values.
    expect(refused('is_unsubscribed==true')).toMatch(/unknown field "true"/);
    expect(pick('is_unsubscribed==true', flags, 'field-or-literal')).toEqual([0]);
    expect(pick('is_unsubscribed==0', flags, 'field-or-literal')).toEqual([1]);
  });

  it('inside quotes \\" is a double quote and \\\\ a backslash; , ; ( ) are plain characters', () => {
    const texts = [{ first_name: 'Q "Quote" Q' }, { first_name: 'back\\slash' }, { first_name: 'a,b;(c)' }];
    expect(pick('first_name=="q \\"quote\\" q"', texts)).toEqual([0]);
    expect(pick('first_name=="back\\\\slash"', texts)).toEqual([1]);
    expect(pick('first_name=="back\\slash"', texts)).toEqual([1]); // any other \ is itself
    expect(pick('first_name=="a,b;(c)"', texts)).toEqual([2]);
  });

  it('takes the field kinds as a function or as an object with kindOf', () => {
    expect(matches(parseFilter('"x"=in=group_ids', { kindOf }), () => ['x'])).toBe(true);
  });
});

describe('what the table does not have is a 400 (FiqlError)', () => {
  it('RSQL’s value lists: email=in=("a","b") and its relatives', () => {
    expect(refused('email=in=("a@x.de","b@x.de")')).toMatch(/email=="a",email=="b"/);
    for (const f of [
      'email=in="a@x.de"',
      'email=nin=("a@x.de")',
      'email=IN=("a@x.de")',
      '"a@x.de"=in=("a@x.de","b@x.de")',
      'email==("a@x.de","b@x.de")',
      'group_ids=contains=("a","b")',
    ])
      refused(f);
  });

  it('array operators on scalar fields, scalar operators on array fields', () => {
    for (const f of [
      'age=contains="2"',
      'email=ncontains="a"',
      '"2"=in=age',
      '"2"=nin=email',
      'group_ids=="rarr38sz"',
      'group_ids=ne="rarr38sz"',
      'group_ids=like="%rarr%"',
      'list_ids=gt="a"',
      'first_name==group_ids',
    ])
      refused(f);
  });

  it('the sides of the array operators as the table has them: a quoted element, an array field name', () => {
    for (const r of ['field', 'field-or-literal'] as const) {
      refused('group_ids=contains=rarr38sz', r);
      refused('group_ids=contains=first_name', r);
      refused('"rarr38sz"=in="group_ids"', r);
      refused('"rarr38sz"=contains=group_ids', r);
      refused('"27"==age', r);
      refused('"rarr38sz"=in=nothing', r);
    }
  });

  it('operators outside the table, unknown fields, other syntax', () => {
    for (const f of [
      'email!="a"',
      'email=~"a"',
      'email="a"',
      'email=eq="a"',
      'email=out="a"',
      'email<"a"',
      'shoe_size=="42"',
      'email=="unterminated',
      'email==',
      'email=="a",',
      'email=="a";',
      ',email=="a"',
      '()',
      '(email=="a"',
      'email=="a")',
      'email=="a"x',
      'email == "a"',
      ' email=="a"',
      "email=='a'",
      'email==\\"a\\"',
      'DATE_FORMAT(created_at,"Y")=="2020"',
      '',
    ])
      refused(f);
    for (const f of ["email=='a'", 'email==a@x.de', 'email==\\"a\\"']) refused(f); // still a 400 when the value is no field: quotes decide
    refused("email=='a'", 'field-or-literal');
    refused('email == "a"', 'field-or-literal');
  });

  it('errors name the position and the reason', () => {
    expect(refused('email=="a",shoe_size=="42"')).toBe('Invalid filter at position 11: unknown field "shoe_size"');
  });
});

// ---------------------------------------------------------------- over HTTP

const L1 = 'list0001';
const L2 = 'list0002';

const emu = emulatorForFile({
  lists: [
    { id: L1, name: 'Weekly' },
    { id: L2, name: 'Offers' },
  ],
  attributes: ['unsubscribe_url'],
});

const Envelope = v.looseObject({
  status: v.number(),
  info: v.looseObject({ count: v.number(), links: v.optional(v.looseObject({ _next: v.optional(v.string()) })) }),
  value: v.array(v.looseObject({ id: v.string() })),
});
const ErrorBody = v.strictObject({ status: v.number(), code: v.number(), errorMessage: v.string() });

/** A request to the emulator: a JSON body when one is given. */
const raw = (target: string, headers: Record<string, string> = {}, method = 'GET', body?: unknown) =>
  emu.call(
    method,
    target,
    body === undefined
      ? { headers }
      : { headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) },
  );

/** An API call with the file's bearer token. */
const api = (target: string, method = 'GET', body?: unknown) => emu.api(method, target, body);

async function create(listId: string, email: string, extra: Record<string, unknown> = {}): Promise<string> {
  const r = await api('/recipients', 'POST', { list_id: listId, email, ...extra });
  expect(r.status).toBe(200);
  return v.parse(Envelope, r.json).value[0]?.id ?? '';
}

/** The first names a filter selects in list L1, checking count and value agree. */
async function names(f: string, listId = L1): Promise<unknown[]> {
  const r = await api(`/lists/${listId}/recipients?_expand=true&_limit=5000&${filter(f)}`);
  expect(r.status, `${f}: ${JSON.stringify(r.json)}`).toBe(200);
  const { info, value } = v.parse(Envelope, r.json);
  expect(info.count).toBe(value.length);
  return value.map((item) => item.first_name);
}

async function expect400(target: string) {
  const r = await api(target);
  expect(r.status, target).toBe(400);
  expect(v.parse(ErrorBody, r.json)).toMatchObject({
    status: 400,
    errorMessage: expect.stringMatching(/filter|field/i),
  });
}

describe('GET /lists/{list_id}/recipients?_filter=…', () => {
  const ids = { anna: '', bob: '', carl: '', dora: '' };
  beforeEach(async () => {
    ids.anna = await create(L1, 'anna@example.com', {
      first_name: 'Anna',
      last_name: 'Alpha',
      gender: 'f',
      unsubscribe_url: 'https://w/u/a',
    });
    ids.bob = await create(L1, 'bob@yahoo.com', {
      first_name: 'Bob',
      last_name: 'Beta',
      gender: 'm',
      is_unsubscribed: true,
      unsubscribe_url: 'http://w/u/b',
    });
    ids.carl = await create(L1, 'carl@yahoo.de', { first_name: 'Carl', last_name: 'carl', gender: 'm' });
    ids.dora = await create(L1, 'dora@example.org', { first_name: 'Dora', last_name: 'Delta', gender: 'f' });
    emu.control.editRecipient(ids.dora, { is_blacklisted: true, group_ids: ['5cj9y8ub'] });
    emu.control.editRecipient(ids.anna, { group_ids: ['rarr38sz', 'zzzzzzzz'] });
    await create(L2, 'anna@example.com', { first_name: 'Anna' }); // other list: never matched
  });

  it('the table’s scalar rows: ==, =ne=, =gt= =ge= =lt= =le=, =like= =nlike=, in any case', async () => {
    expect(await names('email=="ANNA@example.com"')).toEqual(['Anna']);
    expect(await names('gender=ne="m"')).toEqual(['Anna', 'Dora']);
    expect(await names('last_name=gt="Beta"')).toEqual(['Carl', 'Dora']);
    expect(await names('last_name=GE="Beta"')).toEqual(['Bob', 'Carl', 'Dora']);
    expect(await names('last_name=lt="Beta"')).toEqual(['Anna']);
    expect(await names('last_name=Le="Beta"')).toEqual(['Anna', 'Bob']);
    expect(await names('email=like="%yahoo.com"')).toEqual(['Bob']);
    expect(await names('email=LIKE="%yahoo%"')).toEqual(['Bob', 'Carl']);
    expect(await names('email=nlike="%yahoo%"')).toEqual(['Anna', 'Dora']);
    expect(await names('first_name=like="_ob"')).toEqual(['Bob']);
  });

  it('group_ids (set through the control API) and list_ids are arrays: =contains=, =in= and the grouping example', async () => {
    expect(await names('group_ids=contains="rarr38sz"')).toEqual(['Anna']);
    expect(await names('"rarr38sz"=in=group_ids')).toEqual(['Anna']);
    expect(await names('"rarr38sz"=NIN=group_ids')).toEqual(['Bob', 'Carl', 'Dora']);
    expect(await names('(group_ids=contains="rarr38sz",group_ids=CONTAINS="5cj9y8ub")')).toEqual(['Anna', 'Dora']);
    expect(await names('group_ids=ncontains="rarr38sz";gender=="f"')).toEqual(['Dora']);
    expect(await names(`"${L1}"=in=list_ids`)).toEqual(['Anna', 'Bob', 'Carl', 'Dora']);
    expect(await names(`list_ids=contains="${L2}"`)).toEqual([]);
    expect(await names(`list_ids=contains="${L2}"`, L2)).toEqual(['Anna']);
    // A new recipient is in no group; the control API checks what it is given.
    expect(emu.control.getRecipient(ids.bob)?.group_ids).toEqual([]);
    expect(() => emu.control.editRecipient(ids.bob, { group_ids: 'rarr38sz' })).toThrow(/group_ids/);
    const viaHttp = await raw(`/_emulator/recipients/${ids.bob}`, {}, 'PATCH', { group_ids: ['abcd1234'] });
    expect(viaHttp.status).toBe(200);
    expect(await names('group_ids=contains="abcd1234"')).toEqual(['Bob']);
    // Not a field a client writes: the API refuses it like any read-only field.
    expect((await api(`/lists/${L1}/recipients/${ids.bob}`, 'PATCH', { group_ids: [] })).status).toBe(422);
  });

  it('; and , with parentheses; first_name==last_name compares two fields', async () => {
    expect(await names('gender=="m";email=like="%.de"')).toEqual(['Carl']);
    expect(await names('first_name=="Anna",first_name=="Bob";gender=="f"')).toEqual(['Anna']);
    expect(await names('(first_name=="Anna",first_name=="Bob");gender=="m"')).toEqual(['Bob']);
    expect(await names('first_name==last_name')).toEqual(['Carl']);
  });

  it('flags, custom attributes, escaped quotes, missing values', async () => {
    expect(await names('is_unsubscribed=="true"')).toEqual(['Bob']);
    expect(await names('is_unsubscribed=="0"')).toEqual(['Anna', 'Carl', 'Dora']);
    expect(await names('is_blacklisted=="1"')).toEqual(['Dora']);
    expect(await names('unsubscribe_url=like="https://%"')).toEqual(['Anna']);
    expect(await names('unsubscribe_url==""')).toEqual(['Carl', 'Dora']);
    await create(L1, 'q@example.com', { first_name: 'Q "Quote" Q' });
    expect(await names('first_name=="q \\"quote\\" q"')).toEqual(['Q "Quote" Q']);
  });

  it('unquotedValue: email=like=%yahoo.com is a 400 by default, a value under "field-or-literal"', async () => {
    await expect400(`/lists/${L1}/recipients?${filter('email=like=%yahoo.com')}`);
    emu.control.setSettings({ unquotedValue: 'field-or-literal' });
    expect(await names('email=like=%yahoo.com')).toEqual(['Bob']);
    expect(await names('is_unsubscribed==true')).toEqual(['Bob']);
    expect(await names('first_name==last_name')).toEqual(['Carl']); // a field stays a field
    expect((await raw('/_emulator/settings', {}, 'PUT', { unquotedValue: 'literal' })).status).toBe(400);
    emu.control.reset();
    expect(emu.control.getSettings().unquotedValue).toBe('field');
  });

  it('counts every match across pages', async () => {
    const r = await api(`/lists/${L1}/recipients?_limit=1&${filter('email=like="%yahoo%"')}`);
    const { info, value } = v.parse(Envelope, r.json);
    expect(info.count).toBe(2);
    expect(value).toEqual([{ _href: expect.any(String), id: ids.bob }]);
    expect(info.links?._next).toEqual(expect.any(String));
  });

  it('what the table does not have answers 400 with the spec’s error body', async () => {
    for (const f of [
      'email=in=("anna@example.com","bob@yahoo.com")',
      'email=in="anna@example.com"',
      'first_name=contains="nn"',
      '"Anna"=in=first_name',
      'group_ids=="rarr38sz"',
      'group_ids=contains=rarr38sz',
      'email!="a@b.de"',
      'email=~"x"',
      'email==anna@example.com',
      "email=='anna@example.com'",
      'first_name==nickname',
      'shoe_size=="42"',
      'email=="unterminated',
      'email == "anna@example.com"',
      'DATE_FORMAT(created_at,"Y")=="2020"',
      `${'('.repeat(33)}email=="a"${')'.repeat(33)}`,
      `list_id=="${L1}"`,
      'updated_at=gt="2000"',
    ])
      await expect400(`/lists/${L1}/recipients?${filter(f)}`);
  });

  it('list_id and updated_at are not recipient fields of the API: 400 in _fields too', async () => {
    for (const q of ['_fields=id,list_id', '_fields=updated_at'])
      await expect400(`/lists/${L1}/recipients?_expand=true&${q}`);
    await expect400(`/lists/${L1}/recipients/${ids.anna}?_fields=list_id`);
  });
});

describe('"any of these addresses" with , over HTTP', () => {
  it('a URL-encoded filter of 100 OR’ed addresses returns exactly those recipients', async () => {
    const emails = Array.from({ length: 150 }, (_, i) => `user${String(i).padStart(3, '0')}@example.com`);
    const bulk = await api(
      '/recipients',
      'POST',
      emails.map((email) => ({ list_id: L1, email })),
    );
    expect(bulk.status).toBe(201);
    await api(
      '/recipients',
      'POST',
      emails.map((email) => ({ list_id: L2, email })),
    );
    const wanted = emails.filter((_, i) => i % 3 !== 0).slice(0, 100);
    const f = wanted.map((e, i) => `email=="${i % 2 ? e.toUpperCase() : e}"`).join(',');
    const r = await api(`/lists/${L1}/recipients?_expand=true&_fields=email&_limit=5000&${filter(f)}`);
    expect(r.status).toBe(200);
    const { info, value } = v.parse(Envelope, r.json);
    expect(info.count).toBe(100);
    expect(value.map((item) => item.email).sort()).toEqual([...wanted].sort());
  });
});

describe('GET /lists and GET /attributes: no array fields', () => {
  it('scalar filters work, array operators are a 400', async () => {
    const r = await api(`/lists?_expand=true&${filter('name=LIKE="week%",name=="Offers"')}`);
    expect(v.parse(Envelope, r.json).value.map((l) => l.name)).toEqual(['Weekly', 'Offers']);
    await expect400(`/lists?${filter('name=contains="W"')}`);
    await expect400(`/attributes?${filter('"x"=in=name')}`);
    const a = await api(`/attributes?_expand=true&${filter('name=="unsubscribe_url"')}`);
    expect(v.parse(Envelope, a.json).info.count).toBe(1);
  });
});

describe('maxUrlBytes: a request-target over the limit is a 414', () => {
  /** 254-character addresses, the longest an address may be: a 64-character local part, 63-character labels. */
  const longAddress = (i: number) =>
    `${String(i).padStart(3, '0')}${'x'.repeat(61)}@${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(58)}.de`;
  /** `/lists/L1/recipients?…_filter=<n addresses OR'ed>`, padded to exactly `bytes` when given. */
  function target(n: number, bytes?: number) {
    const f = Array.from({ length: n }, (_, i) => `email=="${longAddress(i)}"`).join(',');
    const t = `/lists/${L1}/recipients?_expand=true&${filter(f)}`;
    if (bytes === undefined) return t;
    const pad = bytes - t.length - '&pad='.length;
    expect(pad).toBeGreaterThanOrEqual(0);
    return `${t}&pad=${'p'.repeat(pad)}`;
  }

  it('default null: no limit of the emulator’s own (Newsletter2Go publishes none)', async () => {
    expect(emu.control.getSettings().maxUrlBytes).toBeNull();
    expect(longAddress(1)).toHaveLength(254);
    expect((await api(target(20))).status).toBe(200); // 20 addresses: about 5.5 kB
    // 100 of them, 27 kB: past Node's default 16 KiB header limit, which the emulator lifts.
    expect((await api(target(100))).status).toBe(200);
  });

  it('4096: 4096 bytes answer 200, 4097 bytes 414 {status, code, errorMessage}, before routing and auth', async () => {
    emu.control.setSettings({ maxUrlBytes: 4096 });
    await create(L1, longAddress(0));
    const ok = await api(target(14, 4096));
    expect(ok.status).toBe(200);
    expect(v.parse(Envelope, ok.json).info.count).toBe(1);
    const tooLong = await api(target(14, 4097));
    expect(tooLong.status).toBe(414);
    expect(v.parse(ErrorBody, tooLong.json)).toEqual({ status: 414, code: 414, errorMessage: expect.any(String) });
    // How many 254-character addresses fit in one look-up: 14, not 15.
    expect(target(14).length).toBeLessThanOrEqual(4096);
    expect((await api(target(15))).status).toBe(414);
    expect((await raw(`/nowhere?${'q'.repeat(5000)}`)).status).toBe(414);
    // Control routes are not the provider's and have no limit.
    expect((await raw(`/_emulator/settings?${'q'.repeat(5000)}`)).status).toBe(200);
  });

  it('startEmulator takes it as an option; reset restores it', async () => {
    const other = await startEmulator({ authKey: AUTH_KEY, username: USERNAME, password: PASSWORD, maxUrlBytes: 4096 });
    try {
      expect(other.control.getSettings().maxUrlBytes).toBe(4096);
      expect((await fetch(`${other.url}/lists?${'q'.repeat(4096)}`)).status).toBe(414);
      other.control.setSettings({ maxUrlBytes: null });
      other.control.reset();
      expect(other.control.getSettings().maxUrlBytes).toBe(4096);
    } finally {
      await other.close();
    }
    await expect(startEmulator({ maxUrlBytes: 2048 as never })).rejects.toThrow(/maxUrlBytes/);
  });
});
