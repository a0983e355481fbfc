import { describe, expect, it } from 'vitest';
import { dummyEmailFor, type PlanInput, planTransfer } from '../../src/push/plan';

const base: PlanInput = {
  subscriptionId: 'sub_abc',
  state: 'subscribed',
  resubscribe: false,
  mappedListId: 'list0001',
  newsletterId: 'weekly',
  recipientListId: null,
  recipientId: null,
  profile: { email: 'a@example.com', firstName: 'A', lastName: 'B', gender: 'f' },
  lookupEmails: [],
  unsubscribeUrl: 'https://bridge.example/u/tok',
  unsubscribeAttribute: 'unsubscribe_url',
  clashWithUserId: null,
};
const known = { recipientListId: 'list0001', recipientId: 'r1' };

describe('planTransfer', () => {
  it('fails an unmapped newsletter, naming the newsletter that needs a mapping', () => {
    const plan = planTransfer({ ...base, mappedListId: null });
    expect(plan).toMatchObject({ kind: 'fail', reason: 'unmapped' });
    expect(plan.kind === 'fail' && plan.message).toContain('newsletter "weekly"');
  });

  it('creates a subscribed recipient with the profile and the unsubscribe link, not re-subscribing', () => {
    expect(planTransfer(base)).toEqual({
      kind: 'create',
      listId: 'list0001',
      resubscribe: false,
      adoptFrom: [],
      data: {
        email: 'a@example.com',
        firstName: 'A',
        lastName: 'B',
        gender: 'f',
        attributes: { unsubscribe_url: 'https://bridge.example/u/tok' },
      },
    });
  });

  it('updates a known recipient through its id; passes resubscribe only when set', () => {
    expect(planTransfer({ ...base, ...known })).toMatchObject({
      kind: 'update',
      recipientId: 'r1',
      resubscribe: false,
    });
    expect(planTransfer({ ...base, ...known, resubscribe: true })).toMatchObject({ kind: 'update', resubscribe: true });
  });

  it('looks for an uncertain earlier creation under another address before creating', () => {
    expect(planTransfer({ ...base, lookupEmails: ['old@example.com'] })).toMatchObject({
      kind: 'create',
      adoptFrom: ['old@example.com'],
    });
    expect(planTransfer({ ...base, lookupEmails: ['A@Example.com'] })).toMatchObject({ kind: 'create', adoptFrom: [] });
  });

  it('keeps looking under every uncertain address, not only the latest', () => {
    const plan = planTransfer({ ...base, lookupEmails: ['first@example.com', 'a@example.com'] });
    expect(plan).toMatchObject({ kind: 'create', adoptFrom: ['first@example.com'] });
  });

  it('creates in the new list when the mapping moved; the old recipient is left alone', () => {
    expect(planTransfer({ ...base, recipientListId: 'oldlist1', recipientId: 'r1' })).toMatchObject({
      kind: 'create',
      listId: 'list0001',
    });
  });

  it('fails the later of two users with one address, naming the clash', () => {
    const plan = planTransfer({ ...base, clashWithUserId: 'user-7' });
    expect(plan).toMatchObject({ kind: 'fail', reason: 'clash' });
    expect(plan.kind === 'fail' && plan.message).toContain('user-7');
  });

  it('fails a subscription with no address', () => {
    expect(planTransfer({ ...base, profile: { ...base.profile, email: null } })).toMatchObject({
      kind: 'fail',
      reason: 'no-email',
    });
  });

  it('unsubscribes by id, or finds the recipient by address, or has nothing to do', () => {
    expect(planTransfer({ ...base, ...known, state: 'unsubscribed' })).toEqual({
      kind: 'unsubscribe',
      listId: 'list0001',
      recipientId: 'r1',
      lookupEmails: [],
    });
    expect(planTransfer({ ...base, state: 'unsubscribed' })).toEqual({
      kind: 'unsubscribe',
      listId: 'list0001',
      recipientId: null,
      lookupEmails: ['a@example.com'],
    });
    expect(planTransfer({ ...base, state: 'unsubscribed', lookupEmails: ['old@example.com'] })).toMatchObject({
      lookupEmails: ['old@example.com', 'a@example.com'],
    });
    expect(planTransfer({ ...base, state: 'unsubscribed', profile: { ...base.profile, email: null } })).toMatchObject({
      kind: 'nothing',
    });
  });

  it('erases with a unique undeliverable dummy address, by id or by the kept lookup address', () => {
    expect(
      planTransfer({
        ...base,
        ...known,
        state: 'deleted',
        profile: { email: null, firstName: '', lastName: '', gender: '' },
      }),
    ).toEqual({
      kind: 'erase',
      listId: 'list0001',
      recipientId: 'r1',
      lookupEmails: [],
      dummyEmail: 'deleted-sub_abc@deleted.invalid',
    });
    expect(planTransfer({ ...base, state: 'deleted', lookupEmails: ['a@example.com'] })).toMatchObject({
      kind: 'erase',
      recipientId: null,
      lookupEmails: ['a@example.com'],
    });
    expect(planTransfer({ ...base, state: 'deleted' })).toMatchObject({ kind: 'nothing' });
  });

  it('makes dummy addresses that differ per subscription and are syntactically valid', () => {
    expect(dummyEmailFor('sub_a')).not.toBe(dummyEmailFor('sub_b'));
    expect(dummyEmailFor('sub_a')).toMatch(/^[a-z0-9_.-]+@deleted\.invalid$/);
  });
});
