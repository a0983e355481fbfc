import { describe, expect, it } from 'vitest';
import { type PlanInput, planTransfer } from '../../src/push/plan';

const base: PlanInput = {
  subscriptionId: 'sub_abc',
  userId: 'user-1',
  state: 'subscribed',
  resubscribe: false,
  mappedListId: 'list0001',
  newsletterId: 'weekly',
  recipientListId: null,
  recipientId: null,
  profile: { email: 'a@example.com', firstName: 'A', lastName: 'B', gender: 'f' },
  lookupEmails: [],
  version: 3,
  written: null,
  owned: [],
  conflict: null,
  unsubscribeUrl: 'https://bridge.example/u/tok',
  clashWithUserId: null,
  provider: { label: 'Newsletter2Go', addressScope: 'list' },
};
const conflict = { reason: 'unsubscribed' as const, foundAt: '2026-12-01T03:17:00.000Z', runId: 'run_1' };
const elsewhere = { listId: 'oldlist1', contactId: 'r0' };
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
      readBack: false,
      written: false,
      data: {
        externalId: 'user-1',
        email: 'a@example.com',
        firstName: 'A',
        lastName: 'B',
        gender: 'f',
        unsubscribeUrl: 'https://bridge.example/u/tok',
      },
    });
  });

  it('a creation the provider took in this list: its id is read back first, and nothing written for that version', () => {
    const written = { listId: 'list0001', version: 3 };
    expect(planTransfer({ ...base, written })).toMatchObject({ kind: 'create', readBack: true, written: true });
    // A newer version (a profile change, an admin retry): read back, then updated by id.
    expect(planTransfer({ ...base, written: { ...written, version: 2 } })).toMatchObject({
      readBack: true,
      written: false,
    });
    // Another list: nothing of ours is known there.
    expect(planTransfer({ ...base, written: { ...written, listId: 'other001' } })).toMatchObject({
      readBack: false,
      written: false,
    });
    // A recipient already known wins: it is updated through its id.
    expect(planTransfer({ ...base, ...known, written })).toMatchObject({
      kind: 'update',
      ref: { listId: 'list0001', contactId: 'r1' },
    });
  });

  it('updates a known recipient through its id; passes resubscribe only when set', () => {
    expect(planTransfer({ ...base, ...known })).toMatchObject({
      kind: 'update',
      ref: { listId: 'list0001', contactId: 'r1' },
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

  it("fails the later of two users with one address, naming the clash at the provider's scope", () => {
    const plan = planTransfer({ ...base, clashWithUserId: 'user-7' });
    expect(plan).toMatchObject({ kind: 'fail', reason: 'clash' });
    expect(plan.kind === 'fail' && plan.message).toContain('user-7');
    expect(plan.kind === 'fail' && plan.message).toContain('in the list of newsletter "weekly"');
    const account = planTransfer({
      ...base,
      clashWithUserId: 'user-7',
      provider: { label: 'Brevo', addressScope: 'account' },
    });
    expect(account.kind === 'fail' && account.message).toBe(
      'The e-mail address is already held by portal user "user-7"; Brevo identifies contacts by e-mail across the account and would merge the two',
    );
  });

  it('fails a subscription with no address', () => {
    expect(planTransfer({ ...base, profile: { ...base.profile, email: null } })).toMatchObject({
      kind: 'fail',
      reason: 'no-email',
    });
  });

  it('unsubscribes by id, or finds its own uncertain creation by the addresses it sent, or has nothing to do', () => {
    expect(planTransfer({ ...base, ...known, state: 'unsubscribed' })).toEqual({
      kind: 'unsubscribe',
      targets: [{ listId: 'list0001', contactId: 'r1' }],
      lookup: null,
    });
    expect(planTransfer({ ...base, state: 'unsubscribed', lookupEmails: ['old@example.com'] })).toEqual({
      kind: 'unsubscribe',
      targets: [],
      lookup: { listId: 'list0001', emails: ['old@example.com'] },
    });
    // The current address alone is never a handle: another user may hold it (a clash).
    expect(planTransfer({ ...base, state: 'unsubscribed' })).toMatchObject({ kind: 'nothing' });
  });

  it('reaches every recipient the subscription owns, in every list, after a mapping change too', () => {
    expect(
      planTransfer({
        ...base,
        ...known,
        state: 'unsubscribed',
        owned: [elsewhere, { listId: 'list0001', contactId: 'r1' }],
      }),
    ).toEqual({ kind: 'unsubscribe', targets: [{ listId: 'list0001', contactId: 'r1' }, elsewhere], lookup: null });
    // Unmapped meanwhile: the owned recipients are still reached.
    expect(planTransfer({ ...base, mappedListId: null, state: 'deleted', owned: [elsewhere] })).toMatchObject({
      kind: 'erase',
      targets: [elsewhere],
      lookup: null,
    });
    // Owned elsewhere, an uncertain creation in the current list: both.
    expect(
      planTransfer({ ...base, state: 'unsubscribed', owned: [elsewhere], lookupEmails: ['a@example.com'] }),
    ).toEqual({ kind: 'unsubscribe', targets: [elsewhere], lookup: { listId: 'list0001', emails: ['a@example.com'] } });
  });

  it("erases through the provider with the subscription's own link, wherever it owns a contact", () => {
    expect(
      planTransfer({
        ...base,
        ...known,
        state: 'deleted',
        profile: { email: null, firstName: '', lastName: '', gender: '' },
      }),
    ).toEqual({
      kind: 'erase',
      targets: [{ listId: 'list0001', contactId: 'r1' }],
      lookup: null,
      subscriptionId: 'sub_abc',
      unsubscribeUrl: 'https://bridge.example/u/tok',
    });
    expect(planTransfer({ ...base, state: 'deleted', lookupEmails: ['a@example.com'] })).toMatchObject({
      kind: 'erase',
      targets: [],
      lookup: { emails: ['a@example.com'] },
    });
    expect(planTransfer({ ...base, state: 'deleted' })).toMatchObject({ kind: 'nothing' });
  });

  it('holds a subscription with an open consent conflict: no creation in any list, no re-creation if gone', () => {
    const held = planTransfer({ ...base, conflict });
    expect(held).toMatchObject({ kind: 'fail', reason: 'held-for-consent' });
    expect(held.kind === 'fail' && held.message).toContain('run_1');
    // A mapping change: the old list's recipient does not make the new list's creation safe.
    expect(planTransfer({ ...base, conflict, owned: [elsewhere] })).toMatchObject({ reason: 'held-for-consent' });
    // A known recipient is updated (never re-subscribed), but not re-created when gone.
    expect(planTransfer({ ...base, ...known, conflict })).toMatchObject({
      kind: 'update',
      resubscribe: false,
      heldIfGone: expect.stringContaining('run_1'),
    });
    expect(planTransfer({ ...base, ...known })).toMatchObject({ kind: 'update', heldIfGone: null });
  });
});
