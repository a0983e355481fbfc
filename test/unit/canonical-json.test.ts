import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, eventDigest, nestedDeeperThan } from '../../src/lib/canonical-json';

/** The recursive form the digests stored so far were made with: the new one must agree with it. */
function recursiveCanonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(recursiveCanonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${recursiveCanonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

const deep = (levels: number) => JSON.parse(`${'['.repeat(levels)}${']'.repeat(levels)}`);

describe('canonicalJson and eventDigest', () => {
  it('sorts keys at every depth and keeps array order', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, 1], c: null } })).toBe('{"a":{"c":null,"d":[2,1]},"b":1}');
  });
  it('gives one digest for a single body and the same event as a batch item with its id', async () => {
    const single = { type: 't', occurredAt: 'x', data: { userId: 'u', email: 'a@b.de' } };
    const item = { data: { email: 'a@b.de', userId: 'u' }, id: 'evt-1', occurredAt: 'x', type: 't' };
    expect(await eventDigest(item)).toBe(await eventDigest(single));
    expect(await eventDigest({ ...single, occurredAt: 'y' })).not.toBe(await eventDigest(single));
  });
  it('writes exactly what the recursive form wrote, so stored digests still match', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(canonicalJson(value)).toBe(recursiveCanonicalJson(value));
      }),
      { numRuns: 500 },
    );
  });
  it('digests any nesting a 64 KiB body can hold without overflowing the stack', async () => {
    const levels = 64 * 1024;
    expect(() => recursiveCanonicalJson(deep(20_000))).toThrow(RangeError);
    const text = canonicalJson(deep(levels));
    expect(text.length).toBe(2 * levels);
    await expect(eventDigest(deep(levels))).resolves.toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('nestedDeeperThan', () => {
  it('counts arrays and objects, not scalars', () => {
    expect(nestedDeeperThan('x', 0)).toBe(false);
    expect(nestedDeeperThan({}, 0)).toBe(true);
    expect(nestedDeeperThan({ a: [1] }, 2)).toBe(false);
    expect(nestedDeeperThan({ a: [1] }, 1)).toBe(true);
    expect(nestedDeeperThan({ a: 1, b: { c: { d: [] } } }, 3)).toBe(true);
  });
  it('measures 32 levels as allowed and 33 as too deep, at any depth without recursion', () => {
    expect(nestedDeeperThan(deep(32), 32)).toBe(false);
    expect(nestedDeeperThan(deep(33), 32)).toBe(true);
    expect(nestedDeeperThan(deep(64 * 1024), 32)).toBe(true);
  });
});
