import { describe, expect, it } from 'vitest';
import { canonicalJson, eventDigest } from '../../src/lib/canonical-json';

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
  it('serialises a value nested deeper than the call stack (a 1 MiB batch can nest 500 000 arrays)', () => {
    const deep = `${'['.repeat(500_000)}{"b":1,"a":2}${']'.repeat(500_000)}`;
    expect(canonicalJson(JSON.parse(deep))).toBe(deep.replace('{"b":1,"a":2}', '{"a":2,"b":1}'));
  });
});
