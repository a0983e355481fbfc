import { describe, expect, it } from 'vitest';
import { Transport } from '../../src/providers/http/transport';
import { anyOf, chunkByUrlLength, MAX_URL_BYTES, quoted } from '../../src/providers/newsletter2go/filters';
import { readRejections } from '../../src/providers/newsletter2go/invalid-recipients';

/** The `_filter` strings the adapter writes, exactly, in Newsletter2Go's documented filter language. */

const transport = new Transport({
  label: 'Newsletter2Go',
  baseUrl: 'https://api.newsletter2go.com',
  timeoutMs: 1000,
  maxRequestsPerSecond: 1,
});
const urlFor = (filter: string) =>
  transport.url('/lists/abcd1234/recipients', { _expand: 'true', _fields: 'id,email', _filter: filter, _limit: 500 })
    .href;

describe('filter strings', () => {
  it('one value: `==` with the value in double quotes', () => {
    expect(anyOf('email', ['anna@example.com'])).toBe('email=="anna@example.com"');
  });

  it('several values: OR with `,`, each comparison whole (no RSQL `=in=(…)` list)', () => {
    expect(anyOf('email', ['a@x.de', 'B@y.de'])).toBe('email=="a@x.de",email=="B@y.de"');
    expect(anyOf('id', ['rarr38sz', '5cj9y8ub'])).toBe('id=="rarr38sz",id=="5cj9y8ub"');
  });

  it('a double quote or backslash inside a value is escaped', () => {
    expect(quoted('a"b\\c@x.de')).toBe('"a\\"b\\\\c@x.de"');
  });

  it('the whole filter is URL-encoded in the request', () => {
    const url = urlFor(anyOf('email', ['a+b@x.de', 'c@x.de']));
    expect(url).toBe(
      'https://api.newsletter2go.com/lists/abcd1234/recipients?_expand=true&_fields=id%2Cemail&_filter=email%3D%3D%22a%2Bb%40x.de%22%2Cemail%3D%3D%22c%40x.de%22&_limit=500',
    );
    expect(new URL(url).searchParams.get('_filter')).toBe('email=="a+b@x.de",email=="c@x.de"');
  });
});

describe('chunking on the encoded URL length', () => {
  /** A 254-character address, the longest RFC 5321 allows. */
  const long = (i: number) => `${String(i).padStart(3, '0')}${'a'.repeat(60)}@${'b'.repeat(182)}.example`;

  it('254-character addresses: every request URL at most 4,096 bytes, every address once, in order', () => {
    const emails = Array.from({ length: 100 }, (_, i) => long(i));
    expect(emails[0]).toHaveLength(254);
    const runs = chunkByUrlLength('email', emails, urlFor);
    expect(runs.flat()).toEqual(emails);
    for (const run of runs)
      expect(new TextEncoder().encode(urlFor(anyOf('email', run))).length).toBeLessThanOrEqual(4096);
    // Each run is as long as fits: one more address would cross the limit.
    for (const [i, run] of runs.slice(0, -1).entries()) {
      const next = runs[i + 1]?.[0] ?? '';
      expect(urlFor(anyOf('email', [...run, next])).length).toBeGreaterThan(MAX_URL_BYTES);
    }
    expect(runs.length).toBeGreaterThan(5);
  });

  it('100 ids fit in one request (the read-back after an array upsert is one call)', () => {
    const ids = Array.from({ length: 100 }, (_, i) => `r${String(i).padStart(7, '0')}`);
    const runs = chunkByUrlLength('id', ids, urlFor);
    expect(runs).toHaveLength(1);
    expect(urlFor(anyOf('id', ids)).length).toBeLessThanOrEqual(4096);
  });

  it('a run never holds more than maxPerRun values', () => {
    const ids = Array.from({ length: 7 }, (_, i) => `id${i}`);
    expect(chunkByUrlLength('id', ids, urlFor, { maxPerRun: 3 })).toEqual([
      ['id0', 'id1', 'id2'],
      ['id3', 'id4', 'id5'],
      ['id6'],
    ]);
  });

  it('a value too long for any URL goes alone, so only its own look-up can fail', () => {
    const huge = 'x'.repeat(5000);
    expect(chunkByUrlLength('email', ['a@x.de', huge, 'b@x.de'], urlFor)).toEqual([['a@x.de'], [huge], ['b@x.de']]);
  });
});

describe('invalid_recipients, every plausible shape', () => {
  const emails = ['a@x.de', 'B@x.de', 'c@x.de'];
  const reason = (message: string) => ({ message, code: 'invalid_recipient', httpStatus: 201 });
  const DEFAULT = 'Newsletter2Go rejected the address as invalid (invalid_recipients)';

  it('absent or empty: nothing rejected', () => {
    expect(readRejections(undefined, emails, 201)).toEqual({ byIndex: new Map(), unreadable: false });
    expect(readRejections([], emails, 201)).toEqual({ byIndex: new Map(), unreadable: false });
  });

  it('addresses as strings, matched case-insensitively', () => {
    const r = readRejections(['b@X.de'], emails, 201);
    expect([...r.byIndex]).toEqual([[1, reason(DEFAULT)]]);
    expect(r.unreadable).toBe(false);
  });

  it('objects naming the address, with the reason under any of its spellings', () => {
    const r = readRejections(
      [
        { email: 'a@x.de', errorMessage: 'Invalid domain' },
        { email: 'c@x.de', error_message: 'Blocked' },
      ],
      emails,
      201,
    );
    expect([...r.byIndex]).toEqual([
      [0, reason('Invalid domain')],
      [2, reason('Blocked')],
    ]);
  });

  it('an object keyed by index, its values strings, objects or anything', () => {
    const r = readRejections({ '0': 'a@x.de', '2': { message: 'Nope' }, '1': 7 }, emails, 201);
    expect([...r.byIndex].sort()).toEqual([
      [0, reason(DEFAULT)],
      [1, reason(DEFAULT)],
      [2, reason('Nope')],
    ]);
  });

  it('what names no item is `unreadable`, never a guess', () => {
    expect(readRejections([42, { reason: 'x' }, 'someone@else.de'], emails, 201)).toEqual({
      byIndex: new Map(),
      unreadable: true,
    });
    expect(readRejections('all of them', emails, 201).unreadable).toBe(true);
    expect(readRejections({ '9': 'a@x.de' }, emails, 201).byIndex.get(0)).toEqual(reason(DEFAULT));
  });
});
