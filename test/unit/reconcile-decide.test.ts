import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RemoteContact } from '../../src/ports/provider';
import { erasureLeftovers } from '../../src/providers/newsletter2go/erasure';
import { compareRemotePage, type LocalRow, missingFindings } from '../../src/reconcile/compare';
import { decideHeal } from '../../src/reconcile/decide';
import { LIST, localRow, remote } from './reconcile-fixtures';

const row = (over: Partial<LocalRow> = {}) => localRow({ email: 'anna@example.com', ...over });
const conflictOf = (reason: 'unsubscribed' | 'blacklisted' | 'bounced') => ({
  reason,
  foundAt: '2026-01-01T00:00:00.000Z',
  runId: 'rcn_old',
});

/** Compare one page, then decide, as a heal run does. */
function healPage(rows: LocalRow[], recipients: RemoteContact[]) {
  const page = compareRemotePage(LIST, recipients, rows, erasureLeftovers);
  return decideHeal(page.findings, new Map(rows.map((r) => [r.subscriptionId, r])), page.judged);
}
function healMissing(rows: LocalRow[]) {
  return decideHeal(
    missingFindings(LIST, rows),
    new Map(rows.map((r) => [r.subscriptionId, r])),
    rows.map((r) => r.subscriptionId),
  );
}

describe('decideHeal', () => {
  it('re-pushes profile drift, stale subscriptions and missing recipients through the queue', () => {
    const rows = [row(), row({ subscriptionId: 'sub_b', userId: 'u-b', recipientId: 'r2', state: 'unsubscribed' })];
    expect(healPage(rows, [remote({ firstName: 'X' }), remote({ contactId: 'r2', email: 'b@e.de' })])).toEqual({
      repush: ['sub_a', 'sub_b'],
      conflicts: [],
      clear: [],
      held: [],
    });
    expect(healMissing([row()])).toEqual({ repush: ['sub_a'], conflicts: [], clear: [], held: [] });
  });

  it('marks a consent conflict and tells the portal, re-pushing nothing', () => {
    expect(healPage([row()], [remote({ status: 'blacklisted' })])).toEqual({
      repush: [],
      conflicts: [
        { subscriptionId: 'sub_a', userId: 'user-a', newsletterId: 'weekly', reason: 'blacklisted', notify: true },
      ],
      clear: [],
      held: [],
    });
  });

  it('tells the portal once: the same conflict found again is marked, not notified; a new reason is', () => {
    expect(
      healPage([row({ conflict: conflictOf('unsubscribed') })], [remote({ status: 'unsubscribed' })]).conflicts[0]
        ?.notify,
    ).toBe(false);
    expect(
      healPage([row({ conflict: conflictOf('unsubscribed') })], [remote({ status: 'blacklisted' })]).conflicts[0]
        ?.notify,
    ).toBe(true);
  });

  it("pushes a conflicted recipient's profile (the push never sends is_unsubscribed: false)", () => {
    const actions = healPage([row()], [remote({ status: 'unsubscribed', lastName: 'Neu' })]);
    expect(actions.repush).toEqual(['sub_a']);
    expect(actions.conflicts).toHaveLength(1);
  });

  it('holds a conflicted row still flagged for re-subscription: its push would re-subscribe', () => {
    const actions = healPage(
      [row({ resubscribe: true, transferStatus: 'failed' })],
      [remote({ status: 'unsubscribed', lastName: 'Neu' })],
    );
    expect(actions).toMatchObject({ repush: [], held: ['sub_a'] });
    expect(actions.conflicts).toHaveLength(1);
  });

  it('holds a missing recipient whose conflict is open: re-creating it would subscribe the address again', () => {
    expect(healMissing([row({ conflict: conflictOf('unsubscribed') })])).toEqual({
      repush: [],
      conflicts: [],
      clear: [],
      held: ['sub_a'],
    });
  });

  it('clears a conflict the provider no longer shows, or the portal resolved', () => {
    expect(healPage([row({ conflict: conflictOf('unsubscribed') })], [remote()]).clear).toEqual(['sub_a']);
    expect(
      healPage([row({ state: 'unsubscribed', conflict: conflictOf('bounced') })], [remote({ status: 'bounced' })])
        .clear,
    ).toEqual(['sub_a']);
  });

  it('does nothing about orphans or subscriptions in flight', () => {
    expect(
      healPage(
        [row({ transferStatus: 'pending', conflict: conflictOf('bounced') })],
        [remote({ status: 'bounced' }), remote({ contactId: 'x', email: 'x@e.de' })],
      ),
    ).toEqual({ repush: [], conflicts: [], clear: [], held: [] });
  });

  it('property: no decision ever re-pushes a row whose push could re-subscribe someone the provider shows unsubscribed', () => {
    const status = fc.constantFrom('subscribed', 'unsubscribed', 'blacklisted', 'bounced') as fc.Arbitrary<
      RemoteContact['status']
    >;
    const arbRow = fc.record({
      state: fc.constantFrom('subscribed', 'unsubscribed', 'deleted') as fc.Arbitrary<LocalRow['state']>,
      transferStatus: fc.constantFrom('pending', 'synced', 'failed') as fc.Arbitrary<LocalRow['transferStatus']>,
      resubscribe: fc.boolean(),
      conflict: fc.option(fc.constantFrom('unsubscribed', 'blacklisted', 'bounced') as fc.Arbitrary<'unsubscribed'>),
      present: fc.boolean(),
      remoteStatus: status,
      firstName: fc.constantFrom('Anna', 'Other'),
    });
    fc.assert(
      fc.property(fc.array(arbRow, { minLength: 1, maxLength: 6 }), (specs) => {
        const rows = specs.map((s, i) =>
          row({
            subscriptionId: `sub_${i}`,
            userId: `u${i}`,
            recipientId: `r${i}`,
            email: `u${i}@e.de`,
            state: s.state,
            transferStatus: s.transferStatus,
            resubscribe: s.resubscribe,
            conflict: s.conflict ? conflictOf(s.conflict) : null,
          }),
        );
        const recipients = specs.flatMap((s, i) =>
          s.present
            ? [remote({ contactId: `r${i}`, email: `u${i}@e.de`, status: s.remoteStatus, firstName: s.firstName })]
            : [],
        );
        const page = healPage(rows, recipients);
        const missing = healMissing(rows.filter((_, i) => !specs[i]?.present));
        for (const [i, s] of specs.entries()) {
          const id = `sub_${i}`;
          const unsubscribedThere = s.present && s.remoteStatus !== 'subscribed';
          // Only a subscribed row's push may carry is_unsubscribed: false (plan.ts); erase and unsubscribe never do.
          if (unsubscribedThere && s.resubscribe && s.state === 'subscribed') expect(page.repush).not.toContain(id);
          if (!s.present && s.conflict) expect(missing.repush).not.toContain(id);
          if (s.transferStatus === 'pending')
            expect([...page.repush, ...page.clear, ...missing.repush]).not.toContain(id);
        }
      }),
      { numRuns: 500 },
    );
  });
});
