import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { reconciliationFindings, reconciliationRuns, subscriptions } from '../../src/db/schema';
import { handleScheduled } from '../../src/handlers';
import { dummyEmailFor } from '../../src/providers/newsletter2go/erasure';
import { DAILY_RECONCILE_CRON, pruneRuns } from '../../src/reconcile/schedule';
import { emulator } from '../support/emulator';
import { config, database, forUser, noticesOf, noticesSettled, portal, snapshot } from '../support/unsubscribe';
import { admin, at, confirmed, mapNewsletter, postEvent, settled, subscriber, uid, waitFor } from '../support/worker';

/**
 * Portal-led reconciliation (issue 8): every drift class in both modes, against the emulator.
 * Each test maps its own newsletter to its own list and scopes its runs to it, so the shared
 * database and emulator of the other files are neither read nor touched.
 */

interface RunJson {
  id: string;
  mode: string;
  status: string;
  trigger: string;
  counts: Record<string, number>;
  totals: Record<string, number>;
  providerCalls: number;
  error: string | null;
  findings: {
    total: number;
    items: {
      id: number;
      driftClass: string;
      userId: string | null;
      subscriptionId: string | null;
      recipientId: string | null;
      email: string | null;
      detail: Record<string, unknown>;
    }[];
    nextCursor: string | null;
  };
}

const PROFILE = { firstName: 'Erika', lastName: 'Muster', gender: 'f' };
const ROLES = ['inSync', 'missing', 'profile', 'unsub', 'black', 'bounce', 'stale', 'gone'] as const;
type Role = (typeof ROLES)[number];

/** One newsletter on its own list, a user per role, and each role's drift made inside Newsletter2Go. */
async function drifted() {
  const { id: list } = await emulator.createList({ name: uid('recon'), attributes: ['unsubscribe_url'] });
  const newsletterId = uid('recon-nl');
  await mapNewsletter(newsletterId, list);
  const users = Object.fromEntries(ROLES.map((r) => [r, uid(`rc-${r}`)])) as Record<Role, string>;
  for (const u of Object.values(users))
    expect((await postEvent(confirmed(u, newsletterId, `${u}@example.com`, PROFILE))).status).toBe(202);
  for (const u of Object.values(users)) await settled(u);
  await postEvent({
    type: 'subscription.cancelled',
    occurredAt: at(1000),
    data: { userId: users.stale, newsletterId },
  });
  await postEvent({ type: 'user.deleted', occurredAt: at(1000), data: { userId: users.gone } });
  await settled(users.stale);
  await settled(users.gone);

  const rid = async (u: string) =>
    (
      await database()
        .select({ r: subscriptions.recipientId })
        .from(subscriptions)
        .where(and(eq(subscriptions.userId, u), eq(subscriptions.newsletterId, newsletterId)))
    )[0]?.r ?? '';
  const ids = Object.fromEntries(await Promise.all(ROLES.map(async (r) => [r, await rid(users[r])]))) as Record<
    Role,
    string
  >;
  await emulator.remove(ids.missing);
  await emulator.edit(ids.profile, { first_name: 'Changed' });
  await emulator.edit(ids.unsub, { is_unsubscribed: true, last_name: 'Elsewhere' });
  await emulator.edit(ids.black, { is_blacklisted: true });
  await emulator.edit(ids.bounce, { is_bounced: true });
  await emulator.edit(ids.stale, { is_unsubscribed: false });
  await emulator.edit(ids.gone, { is_unsubscribed: false });
  const orphan = await emulator.insert({ list_id: list, email: `${uid('orphan')}@example.com`, first_name: 'Otto' });
  return { list, newsletterId, users, ids, orphan };
}

async function start(mode: 'report' | 'heal', newsletterId: string): Promise<RunJson> {
  const res = await admin('/v1/admin/reconciliations', {
    method: 'POST',
    body: JSON.stringify({ mode, newsletterIds: [newsletterId] }),
  });
  expect(res.status).toBe(202);
  return res.json();
}

async function finished(id: string, query = 'limit=500'): Promise<RunJson> {
  return waitFor(async () => {
    const run = (await (await admin(`/v1/admin/reconciliations/${id}?${query}`)).json()) as RunJson;
    return run.status !== 'running' && run;
  }, `reconciliation ${id} to finish`);
}

/** The emulator's call log with its sequence numbers (method, path and status only). */
const calls = async () =>
  (
    (await (await fetch(`${emulator.url()}/_emulator/log`)).json()) as {
      entries: { seq: number; method: string; path: string }[];
    }
  ).entries;
const lastSeq = async () => (await calls()).at(-1)?.seq ?? 0;
const writesSince = async (seq: number, list: string) =>
  (await calls()).filter(
    (e) =>
      e.seq > seq && e.method !== 'GET' && (e.path.startsWith(`/lists/${list}/`) || e.path.startsWith('/recipients')),
  );

const expectedFindings = (users: Record<Role, string>) =>
  [
    ['missing', users.missing],
    ['profile', users.profile],
    ['consent_conflict', users.unsub],
    ['profile', users.unsub],
    ['consent_conflict', users.black],
    ['consent_conflict', users.bounce],
    ['stale_subscribed', users.stale],
    ['stale_subscribed', users.gone],
    ['orphan', null],
  ].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

const found = (run: RunJson) =>
  run.findings.items
    .map((f) => [f.driftClass, f.userId])
    .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

describe('reconciliation: report mode', () => {
  it('finds every drift class, changes nothing at the provider and re-pushes nothing, but tells the portal of conflicts', async () => {
    const { list, newsletterId, users, orphan } = await drifted();
    const beforeRecipients = await emulator.recipients(list);
    const quiet = ['inSync', 'missing', 'profile', 'stale', 'gone'] as const;
    const beforeRows = await Promise.all(quiet.map((r) => snapshot(users[r])));
    const seq = await lastSeq();

    const run = await finished((await start('report', newsletterId)).id);
    expect(run).toMatchObject({ mode: 'report', status: 'completed', trigger: 'admin', error: null });
    expect(run.counts).toEqual({ missing: 1, profile: 2, consent_conflict: 3, stale_subscribed: 2, orphan: 1 });
    expect(run.totals).toMatchObject({
      recipients: 8,
      lists: 1,
      chunks: 1,
      repushed: 0,
      heldForConsent: 0,
      conflictsMarked: 3,
      noticesCreated: 3,
    });
    expect(run.providerCalls).toBeGreaterThanOrEqual(1);
    expect(found(run)).toEqual(expectedFindings(users));
    expect(run.findings.items.find((f) => f.driftClass === 'orphan')).toMatchObject({
      recipientId: orphan.id,
      email: orphan.email,
      subscriptionId: null,
    });
    expect(
      run.findings.items.find((f) => f.driftClass === 'consent_conflict' && f.userId === users.black)?.detail,
    ).toMatchObject({ reason: 'blacklisted', listId: list });
    expect(
      run.findings.items.find((f) => f.driftClass === 'profile' && f.userId === users.profile)?.detail,
    ).toMatchObject({ fields: ['firstName'] });

    // Nothing written at the provider, no transfer, no change to the drifted rows.
    expect(await emulator.recipients(list)).toEqual(beforeRecipients);
    expect(await writesSince(seq, list)).toEqual([]);
    expect(await Promise.all(quiet.map((r) => snapshot(users[r])))).toEqual(beforeRows);
    // Consent conflicts are the portal's to decide, whatever the mode (contract §4).
    for (const [role, reason] of [
      ['unsub', 'unsubscribed'],
      ['black', 'blacklisted'],
      ['bounce', 'bounced'],
    ] as const) {
      const view = await subscriber(users[role]);
      expect(view?.subscriptions[0]?.conflict).toMatchObject({ reason, runId: run.id });
      expect(view?.subscriptions[0]?.transfer.status).toBe('synced');
      const [notice] = await noticesSettled(users[role], 1);
      expect(notice).toMatchObject({ type: 'subscription.conflict', status: 'delivered' });
      const [received] = await portal.received(forUser(users[role]));
      expect(received?.body).toMatchObject({
        type: 'subscription.conflict',
        data: { userId: users[role], newsletterId, reason },
      });
    }
    // A second report tells the portal nothing new.
    const again = await finished((await start('report', newsletterId)).id);
    expect(again.totals).toMatchObject({ conflictsMarked: 3, noticesCreated: 0 });
    expect(await noticesOf(users.unsub)).toHaveLength(1);
  });
});

describe('reconciliation: heal mode', () => {
  it('re-pushes missing, profile and stale through the queue; marks and reports conflicts; never re-subscribes', async () => {
    const { list, newsletterId, users, ids, orphan } = await drifted();
    const seq = await lastSeq();

    const run = await finished((await start('heal', newsletterId)).id);
    expect(run).toMatchObject({ mode: 'heal', status: 'completed' });
    expect(run.counts).toEqual({ missing: 1, profile: 2, consent_conflict: 3, stale_subscribed: 2, orphan: 1 });
    expect(run.totals).toMatchObject({ repushed: 5, conflictsMarked: 3, noticesCreated: 3, heldForConsent: 0 });
    expect(found(run)).toEqual(expectedFindings(users));
    for (const u of Object.values(users)) await settled(u);

    const email = (u: string) => `${u}@example.com`;
    expect(await emulator.find(list, email(users.missing))).toMatchObject({
      is_unsubscribed: false,
      first_name: 'Erika',
      last_name: 'Muster',
    });
    expect(await emulator.get(ids.profile)).toMatchObject({ first_name: 'Erika', is_unsubscribed: false });
    // The conflicted recipient got its profile back, and stayed unsubscribed.
    expect(await emulator.get(ids.unsub)).toMatchObject({ last_name: 'Muster', is_unsubscribed: true });
    const patched = (await writesSince(seq, list)).filter((e) => e.path.includes(ids.unsub));
    expect(patched.map((e) => e.method)).toEqual(['PATCH']);
    expect(await emulator.get(ids.black)).toMatchObject({ is_blacklisted: true, is_unsubscribed: false });
    expect(await emulator.get(ids.bounce)).toMatchObject({ is_bounced: true });
    expect(await emulator.get(ids.stale)).toMatchObject({ is_unsubscribed: true });
    const gone = (await subscriber(users.gone))?.subscriptions[0]?.subscriptionId ?? '';
    expect(await emulator.get(ids.gone)).toMatchObject({
      is_unsubscribed: true,
      email: dummyEmailFor(gone),
      first_name: 'DELETED',
      last_name: 'DELETED',
    });
    expect(await emulator.get(orphan.id)).toEqual(orphan);

    for (const [role, reason] of [
      ['unsub', 'unsubscribed'],
      ['black', 'blacklisted'],
      ['bounce', 'bounced'],
    ] as const) {
      const view = await subscriber(users[role]);
      expect(view?.subscriptions[0]?.conflict).toEqual({
        reason,
        foundAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        runId: run.id,
      });
      const [notice] = await noticesSettled(users[role], 1);
      expect(notice).toMatchObject({ type: 'subscription.conflict', status: 'delivered' });
      const [received] = await portal.received(forUser(users[role]));
      expect(received?.body).toMatchObject({
        type: 'subscription.conflict',
        data: { userId: users[role], newsletterId, reason },
      });
    }
    for (const role of ['inSync', 'missing', 'profile', 'stale', 'gone'] as const)
      expect((await subscriber(users[role]))?.subscriptions[0]?.conflict).toBeNull();
    const timeline = (await subscriber(users.profile))?.timeline ?? [];
    expect(timeline.find((t) => t.kind === 'reconciliation.heal')).toMatchObject({
      outcome: 'repushed',
      detail: { runId: run.id, driftClass: 'profile' },
    });

    // The next heal finds only what is still in conflict, and the portal has heard of it: no second
    // notice. Meanwhile the portal cancelled one (intake drops its mark) and the provider no longer
    // shows another as bounced (reconciliation clears that mark).
    await postEvent({
      type: 'subscription.cancelled',
      occurredAt: at(2000),
      data: { userId: users.black, newsletterId },
    });
    await settled(users.black);
    expect((await subscriber(users.black))?.subscriptions[0]?.conflict).toBeNull();
    await emulator.edit(ids.bounce, { is_bounced: false });
    const again = await finished((await start('heal', newsletterId)).id);
    expect(again.counts).toEqual({ missing: 0, profile: 0, consent_conflict: 1, stale_subscribed: 0, orphan: 1 });
    expect(again.totals).toMatchObject({ repushed: 0, conflictsMarked: 1, conflictsCleared: 1, noticesCreated: 0 });
    expect((await subscriber(users.unsub))?.subscriptions[0]?.conflict).toMatchObject({
      reason: 'unsubscribed',
      runId: again.id,
    });
    expect((await subscriber(users.bounce))?.subscriptions[0]?.conflict).toBeNull();
    expect(await noticesOf(users.unsub)).toHaveLength(1);
    expect(await emulator.get(ids.unsub)).toMatchObject({ is_unsubscribed: true });
  });
});

describe('reconciliation reports', () => {
  it("lists runs newest first and pages a run's findings with a total, filtered by drift class", async () => {
    const { newsletterId } = await drifted();
    const first = await finished((await start('report', newsletterId)).id);
    const second = await finished((await start('report', newsletterId)).id);

    const page1 = (await (await admin('/v1/admin/reconciliations?limit=1')).json()) as {
      items: RunJson[];
      nextCursor: string | null;
    };
    expect(page1.items.map((r) => r.id)).toEqual([second.id]);
    const page2 = (await (await admin(`/v1/admin/reconciliations?limit=1&cursor=${page1.nextCursor}`)).json()) as {
      items: RunJson[];
    };
    expect(page2.items.map((r) => r.id)).toEqual([first.id]);

    const seen: number[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < 10; i++) {
      const run = (await (
        await admin(`/v1/admin/reconciliations/${second.id}?limit=4${cursor ? `&cursor=${cursor}` : ''}`)
      ).json()) as RunJson;
      expect(run.findings.total).toBe(9);
      seen.push(...run.findings.items.map((f) => f.id));
      cursor = run.findings.nextCursor;
      if (!cursor) break;
    }
    expect(new Set(seen).size).toBe(9);
    const conflicts = (await (
      await admin(`/v1/admin/reconciliations/${second.id}?driftClass=consent_conflict`)
    ).json()) as RunJson;
    expect(conflicts.findings.total).toBe(3);
    expect(conflicts.findings.items.every((f) => f.driftClass === 'consent_conflict')).toBe(true);
  });

  it('reports older than the log retention are deleted with their findings', async () => {
    const { newsletterId } = await drifted();
    const run = await finished((await start('report', newsletterId)).id);
    const db = database();
    await db
      .update(reconciliationRuns)
      .set({ startedAt: Date.now() - (config().LOG_RETENTION_DAYS + 1) * 86_400_000 })
      .where(eq(reconciliationRuns.id, run.id));
    expect(await pruneRuns(config(), db)).toBeGreaterThanOrEqual(1);
    expect((await admin(`/v1/admin/reconciliations/${run.id}`)).status).toBe(404);
    expect(await db.select().from(reconciliationFindings).where(eq(reconciliationFindings.runId, run.id))).toEqual([]);
  });

  it('the daily cron starts a report run over every mapped list', async () => {
    await handleScheduled(config(), { cron: DAILY_RECONCILE_CRON, scheduledTime: Date.now() });
    const { items } = (await (await admin('/v1/admin/reconciliations?limit=1')).json()) as { items: RunJson[] };
    expect(items[0]).toMatchObject({ mode: 'report', trigger: 'schedule' });
    const run = await finished(items[0]?.id ?? '', 'limit=1');
    expect(run).toMatchObject({ status: 'completed', error: null });
    expect(run.totals.lists).toBeGreaterThanOrEqual(2);
  }, 60_000);
});
