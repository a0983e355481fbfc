import { describe, expect, it } from 'vitest';
import { profileDiff } from '../../src/lib/profile-diff';
import { dummyEmailFor, erasureLeftovers } from '../../src/providers/newsletter2go/erasure';
import { compareRemotePage as compareWith, missingFindings } from '../../src/reconcile/compare';
import { LIST, localRow, remote } from './reconcile-fixtures';

const row = localRow;

/** Compared as for Newsletter2Go, whose erasure leaves dummies (the port's erasureLeftovers). */
const compareRemotePage = (...args: Parameters<typeof compareWith> extends [...infer A, unknown] ? A : never) =>
  compareWith(...args, erasureLeftovers);

const classes = (list: { driftClass: string }[]) => list.map((f) => f.driftClass);

describe('compareRemotePage: matching', () => {
  it('finds nothing for a recipient that matches its subscription by id (e-mail case aside)', () => {
    const out = compareRemotePage(LIST, [remote()], [row()]);
    expect(out).toEqual({ findings: [], seen: ['sub_a'], pending: [], judged: ['sub_a'] });
  });

  it('matches by e-mail, case-insensitively, a subscription that holds no recipient id', () => {
    const out = compareRemotePage(
      LIST,
      [remote({ contactId: 'r9', email: 'ANNA@example.COM', firstName: 'X' })],
      [row({ recipientId: null, recipientListId: null })],
    );
    expect(out.seen).toEqual(['sub_a']);
    expect(out.findings).toEqual([
      expect.objectContaining({
        driftClass: 'profile',
        subscriptionId: 'sub_a',
        recipientId: 'r9',
        detail: expect.objectContaining({ matchedBy: 'email', fields: ['firstName'] }),
      }),
    ]);
  });

  it('matches by e-mail a subscription whose recipient id belongs to another list (the mapping changed)', () => {
    const out = compareRemotePage(
      LIST,
      [remote({ contactId: 'r9' })],
      [row({ recipientListId: 'oldlist1', recipientId: 'r1' })],
    );
    expect(out.seen).toEqual(['sub_a']);
    expect(out.findings).toEqual([]);
  });

  it('keeps a subscription with its own recipient id: a recipient under its address is an orphan, the row unseen', () => {
    const out = compareRemotePage(LIST, [remote({ contactId: 'r9' })], [row({ recipientId: 'r1' })]);
    expect(out.seen).toEqual([]);
    expect(out.findings).toEqual([
      {
        driftClass: 'orphan',
        newsletterId: null,
        userId: null,
        subscriptionId: null,
        recipientId: 'r9',
        email: 'anna@example.com',
        detail: { listId: LIST, remoteStatus: 'subscribed' },
      },
    ]);
  });

  it('reports every unknown recipient as an orphan with its id, address and status, in page order', () => {
    const out = compareRemotePage(
      LIST,
      [remote({ contactId: 'x1', email: 'x1@e.de', status: 'blacklisted' }), remote({ contactId: 'x2', email: '' })],
      [],
    );
    expect(out.findings.map((f) => [f.driftClass, f.recipientId, f.email, f.detail.remoteStatus])).toEqual([
      ['orphan', 'x1', 'x1@e.de', 'blacklisted'],
      ['orphan', 'x2', null, 'subscribed'],
    ]);
  });

  it('compares an empty page to nothing', () => {
    expect(compareRemotePage(LIST, [], [row()])).toEqual({ findings: [], seen: [], pending: [], judged: [] });
  });

  it('matches one recipient to the subscriptions of every newsletter the list serves', () => {
    const a = row({ subscriptionId: 'sub_a', newsletterId: 'weekly' });
    const b = row({ subscriptionId: 'sub_b', newsletterId: 'offers', state: 'unsubscribed' });
    const out = compareRemotePage(LIST, [remote()], [a, b]);
    expect(out.seen.sort()).toEqual(['sub_a', 'sub_b']);
    expect(out.findings).toEqual([
      expect.objectContaining({ driftClass: 'stale_subscribed', subscriptionId: 'sub_b' }),
    ]);
  });

  it('by e-mail, takes one row per newsletter: a subscribed one first, then the lowest id', () => {
    const unbound = { recipientId: null, recipientListId: null };
    const rows = [
      row({ ...unbound, subscriptionId: 'sub_3', userId: 'u3', state: 'unsubscribed' }),
      row({ ...unbound, subscriptionId: 'sub_2', userId: 'u2' }),
      row({ ...unbound, subscriptionId: 'sub_1', userId: 'u1' }),
      row({
        ...unbound,
        subscriptionId: 'sub_9',
        userId: 'u9',
        newsletterId: 'offers',
        state: 'deleted',
        email: 'anna@example.com',
      }),
    ];
    const out = compareRemotePage(LIST, [remote({ contactId: 'r7' })], rows);
    expect(out.seen.sort()).toEqual(['sub_1', 'sub_9']);
  });
});

describe('compareRemotePage: drift classes', () => {
  it.each([
    ['email', { email: 'anna.meier@example.com' }],
    ['firstName', { firstName: 'Ana' }],
    ['lastName', { lastName: 'Maier' }],
    ['gender', { gender: 'm' }],
  ] as const)('profile: %s differs', (field, change) => {
    const out = compareRemotePage(LIST, [remote(change)], [row()]);
    expect(out.findings).toEqual([
      {
        driftClass: 'profile',
        newsletterId: 'weekly',
        userId: 'user-a',
        subscriptionId: 'sub_a',
        recipientId: 'r1',
        email: 'Anna@Example.com',
        detail: {
          listId: LIST,
          matchedBy: 'id',
          remoteStatus: 'subscribed',
          state: 'subscribed',
          transferStatus: 'synced',
          fields: [field],
        },
      },
    ]);
  });

  it('profile: lists every differing field by name, never by value', () => {
    const out = compareRemotePage(
      LIST,
      [remote({ email: 'b@example.com', firstName: '', lastName: 'X', gender: '' })],
      [row()],
    );
    expect(out.findings[0]?.detail.fields).toEqual(['email', 'firstName', 'lastName', 'gender']);
    expect(JSON.stringify(out.findings[0]?.detail)).not.toContain('b@example.com');
  });

  it('profile: an empty or unknown remote gender equals an empty one here', () => {
    expect(
      profileDiff(
        { email: 'a@b.de', firstName: '', lastName: '', gender: '' },
        remote({ email: 'a@b.de', firstName: '', lastName: '', gender: 'x' }),
      ),
    ).toEqual([]);
    expect(
      profileDiff(
        { email: 'a@b.de', firstName: '', lastName: '', gender: 'm' },
        remote({ email: 'a@b.de', firstName: '', lastName: '', gender: '' }),
      ),
    ).toEqual(['gender']);
  });

  it.each(['unsubscribed', 'blacklisted', 'bounced'] as const)(
    'consent_conflict: subscribed here, %s there, with the reason',
    (status) => {
      const out = compareRemotePage(LIST, [remote({ status })], [row()]);
      expect(out.findings).toEqual([
        expect.objectContaining({
          driftClass: 'consent_conflict',
          subscriptionId: 'sub_a',
          detail: expect.objectContaining({ reason: status, remoteStatus: status }),
        }),
      ]);
    },
  );

  it('consent_conflict and profile drift are both reported for one recipient', () => {
    const out = compareRemotePage(LIST, [remote({ status: 'unsubscribed', lastName: 'Neu' })], [row()]);
    expect(classes(out.findings)).toEqual(['consent_conflict', 'profile']);
  });

  it('stale_subscribed: unsubscribed here, subscribed there', () => {
    const out = compareRemotePage(LIST, [remote()], [row({ state: 'unsubscribed' })]);
    expect(classes(out.findings)).toEqual(['stale_subscribed']);
  });

  it('stale_subscribed: deleted here, subscribed there', () => {
    const out = compareRemotePage(LIST, [remote()], [row({ state: 'deleted', email: null })]);
    expect(out.findings).toEqual([
      expect.objectContaining({
        driftClass: 'stale_subscribed',
        email: null,
        detail: expect.objectContaining({ state: 'deleted' }),
      }),
    ]);
  });

  it('an unsubscribed subscription is not judged on its profile: no push would send one', () => {
    const out = compareRemotePage(
      LIST,
      [remote({ status: 'unsubscribed', firstName: 'Other' })],
      [row({ state: 'unsubscribed' })],
    );
    expect(out.findings).toEqual([]);
    expect(out.judged).toEqual(['sub_a']);
  });

  it('a deleted user whose recipient is unsubscribed and anonymised is in line', () => {
    const erased = remote({
      email: dummyEmailFor('sub_a'),
      firstName: 'DELETED',
      lastName: 'DELETED',
      gender: '',
      status: 'unsubscribed',
    });
    expect(compareRemotePage(LIST, [erased], [row({ state: 'deleted', email: null })]).findings).toEqual([]);
  });

  it('profile: a deleted user whose recipient still carries personal data', () => {
    const out = compareRemotePage(LIST, [remote({ status: 'unsubscribed' })], [row({ state: 'deleted', email: null })]);
    expect(out.findings).toEqual([
      expect.objectContaining({
        driftClass: 'profile',
        detail: expect.objectContaining({ state: 'deleted', fields: ['email', 'firstName', 'lastName', 'gender'] }),
      }),
    ]);
  });

  it('a subscription in flight is seen but not judged: the queue brings it in line', () => {
    const out = compareRemotePage(
      LIST,
      [remote({ status: 'blacklisted', firstName: 'Z' })],
      [row({ transferStatus: 'pending' })],
    );
    expect(out).toEqual({ findings: [], seen: ['sub_a'], pending: ['sub_a'], judged: [] });
  });

  it('a failed transfer is judged like any other', () => {
    const out = compareRemotePage(LIST, [remote({ firstName: 'Z' })], [row({ transferStatus: 'failed' })]);
    expect(out.findings).toEqual([
      expect.objectContaining({ driftClass: 'profile', detail: expect.objectContaining({ transferStatus: 'failed' }) }),
    ]);
  });
});

describe('missingFindings', () => {
  it('reports subscribed rows no recipient matched, with the recipient id they held in this list', () => {
    const out = missingFindings(LIST, [
      row(),
      row({ subscriptionId: 'sub_b', recipientListId: 'oldlist1', recipientId: 'r5', transferStatus: 'failed' }),
    ]);
    expect(out).toEqual([
      {
        driftClass: 'missing',
        newsletterId: 'weekly',
        userId: 'user-a',
        subscriptionId: 'sub_a',
        recipientId: 'r1',
        email: 'Anna@Example.com',
        detail: { listId: LIST, state: 'subscribed', transferStatus: 'synced' },
      },
      expect.objectContaining({
        driftClass: 'missing',
        subscriptionId: 'sub_b',
        recipientId: null,
        detail: expect.objectContaining({ transferStatus: 'failed' }),
      }),
    ]);
  });

  it('leaves out unsubscribed, deleted and in-flight rows', () => {
    expect(
      missingFindings(LIST, [
        row({ state: 'unsubscribed' }),
        row({ state: 'deleted' }),
        row({ transferStatus: 'pending' }),
      ]),
    ).toEqual([]);
  });
});
