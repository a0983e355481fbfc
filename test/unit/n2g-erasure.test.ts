import { describe, expect, it } from 'vitest';
import { dummyEmailFor, erasureLeftovers, isDummyEmailFor } from '../../src/providers/newsletter2go/erasure';

/** What an erasure leaves in Newsletter2Go, and how reconciliation recognises it. */

const erased = (email: string) => ({
  contactId: 'r1',
  email,
  firstName: 'DELETED',
  lastName: 'DELETED',
  gender: '',
  status: 'unsubscribed' as const,
});

describe('Newsletter2Go erasure dummies', () => {
  it('makes dummy addresses that differ per subscription and are syntactically valid', () => {
    expect(dummyEmailFor('sub_a')).not.toBe(dummyEmailFor('sub_b'));
    expect(dummyEmailFor('sub_a')).toMatch(/^[a-z0-9_.-]+@deleted\.invalid$/);
    expect(dummyEmailFor('sub_a', 'erased.example.org')).toBe('deleted-sub_a@erased.example.org');
    expect(isDummyEmailFor('sub_a', 'Deleted-SUB_A@other.example')).toBe(true);
    expect(isDummyEmailFor('sub_a', 'deleted-sub_ab@deleted.invalid')).toBe(false);
  });

  it('finds nothing left on a recipient carrying the dummies, under any domain configured then', () => {
    expect(erasureLeftovers('sub_a', erased('deleted-sub_a@deleted.invalid'))).toEqual([]);
    expect(erasureLeftovers('sub_a', erased('deleted-sub_a@erased.example.org'))).toEqual([]);
  });

  it('names each field still carrying personal data, never its value', () => {
    expect(erasureLeftovers('sub_a', { ...erased('anna@example.com'), firstName: 'Anna', gender: 'f' })).toEqual([
      'email',
      'firstName',
      'gender',
    ]);
    // Another subscription's dummy is not this one's.
    expect(erasureLeftovers('sub_a', erased('deleted-sub_b@deleted.invalid'))).toEqual(['email']);
  });
});
