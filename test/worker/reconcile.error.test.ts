import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import type { Config } from '../../src/config';
import { getRun } from '../../src/db/reconciliation';
import { reconciliationFindings, reconciliationSeen, subscriptions } from '../../src/db/schema';
import { MAX_FAILURES, runChunk } from '../../src/reconcile/run-chunk';
import { parseCursor } from '../../src/reconcile/run-state';
import { resumeStalledRuns, staleAfterMs } from '../../src/reconcile/schedule';
import { startRun } from '../../src/reconcile/start-run';
import { createProvider } from '../../src/wiring';
import { emulator } from '../support/emulator';
import { config, database } from '../support/unsubscribe';
import { admin, confirmed, mapNewsletter, postEvent, settled, subscriber, uid, waitFor } from '../support/worker';

/**
 * Reconciliation when things go wrong: a second start, a lost chunk message, two invocations at
 * once, provider failures, and the consent rule where a heal could otherwise re-subscribe.
 * Runs are created without their first message (enqueue: false) and driven chunk by chunk.
 */

/** A newsletter on its own list with `users` subscribed (synced) and `orphans` unknown recipients. */
async function listWith(users: number, orphans: number) {
  const { id: list } = await emulator.createList({ name: uid('recon-err'), attributes: ['unsubscribe_url'] });
  const newsletterId = uid('recon-err-nl');
  await mapNewsletter(newsletterId, list);
  const ids = Array.from({ length: users }, () => uid('rce'));
  for (const u of ids)
    await postEvent(confirmed(u, newsletterId, `${u}@example.com`, { firstName: 'A', lastName: 'B' }));
  for (const u of ids) await settled(u);
  for (let i = 0; i < orphans; i++) await emulator.insert({ list_id: list, email: `${uid('orph')}@example.com` });
  return { list, newsletterId, users: ids };
}

async function quietRun(cfg: Config, newsletterId: string, mode: 'report' | 'heal' = 'report'): Promise<string> {
  const result = await startRun(cfg, database(), {
    mode,
    trigger: 'test',
    newsletterIds: [newsletterId],
    enqueue: false,
  });
  if (!('started' in result)) throw new Error(`run not started: ${JSON.stringify(result)}`);
  return result.started.id;
}

async function drive(cfg: Config, runId: string) {
  for (let i = 0; i < 50; i++) {
    const outcome = await runChunk(cfg, database(), createProvider(cfg, database()), runId, { enqueueNext: false });
    if (outcome !== 'continues' && outcome !== 'retrying') return outcome;
  }
  throw new Error('run did not end within 50 chunks');
}

const findingsOf = (runId: string) =>
  database().select().from(reconciliationFindings).where(eq(reconciliationFindings.runId, runId));
const recipientGets = async (list: string) =>
  (await emulator.log()).entries.filter(
    (e) =>
      e.method === 'GET' &&
      e.path.startsWith(`/lists/${list}/recipients?`) &&
      e.path.includes('_expand=true') &&
      !e.path.includes('_filter'),
  );
const offsetOf = (path: string) => new URL(path, 'http://x').searchParams.get('_offset');

describe('one run at a time', () => {
  it('a second start while one runs is a 409 naming the running run; after it ends a start works again', async () => {
    const { newsletterId } = await listWith(1, 0);
    const runId = await quietRun(config(), newsletterId);
    const res = await admin('/v1/admin/reconciliations', { method: 'POST', body: JSON.stringify({ mode: 'heal' }) });
    expect(res.status).toBe(409);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    const problem = (await res.json()) as { detail: string; runningRunId: string; status: number };
    expect(problem).toMatchObject({ status: 409, runningRunId: runId });
    expect(problem.detail).toContain(runId);

    expect(await drive(config(), runId)).toBe('completed');
    const next = await admin('/v1/admin/reconciliations', {
      method: 'POST',
      body: JSON.stringify({ mode: 'report', newsletterIds: [newsletterId] }),
    });
    expect(next.status).toBe(202);
    const { id } = (await next.json()) as { id: string };
    await waitFor(async () => (await getRun(database(), id))?.status === 'completed', 'the second run');
  });

  it('two starts at the same moment: one wins, the other gets the 409', async () => {
    const { newsletterId } = await listWith(1, 0);
    const body = JSON.stringify({ mode: 'report', newsletterIds: [newsletterId] });
    const answers = await Promise.all([0, 1].map(() => admin('/v1/admin/reconciliations', { method: 'POST', body })));
    expect(answers.map((r) => r.status).sort()).toEqual([202, 409]);
    const winner = (await answers.find((r) => r.status === 202)?.json()) as { id: string };
    await waitFor(async () => (await getRun(database(), winner.id))?.status === 'completed', 'the winning run');
  });
});

describe('bad requests', () => {
  it.each([
    ['{}', 422],
    ['{"mode":"fix"}', 422],
    ['{"mode":"report","newsletterIds":[]}', 422],
    ['{"mode":"report","newsletterIds":["never-mapped-anywhere"]}', 422],
    ['not json', 400],
  ])('POST %s → %i problem', async (body, status) => {
    const res = await admin('/v1/admin/reconciliations', { method: 'POST', body });
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
  });

  it('an unknown run is a 404, a foreign cursor or filter a 422', async () => {
    expect((await admin('/v1/admin/reconciliations/rcn_00000000000000000')).status).toBe(404);
    expect((await admin('/v1/admin/reconciliations/whatever')).status).toBe(404);
    expect((await admin('/v1/admin/reconciliations?cursor=%%%')).status).toBe(422);
    expect((await admin('/v1/admin/reconciliations?limit=0')).status).toBe(422);
    const { newsletterId } = await listWith(0, 1);
    const runId = await quietRun(config(), newsletterId);
    await drive(config(), runId);
    expect((await admin(`/v1/admin/reconciliations/${runId}?driftClass=weird`)).status).toBe(422);
    expect((await admin(`/v1/admin/reconciliations/${runId}?cursor=eyJhZnRlciI6Im5vdC1hLW51bWJlciJ9`)).status).toBe(
      422,
    );
  });
});

describe('resumable chunks', () => {
  it('a lost chunk message is resumed from the stored cursor by the scheduled run; finished pages are not read again', async () => {
    const { list, newsletterId, users } = await listWith(3, 22);
    const missing = users[0] ?? '';
    const [row] = await database().select().from(subscriptions).where(eq(subscriptions.userId, missing));
    await emulator.remove(row?.recipientId ?? '');
    const small = { ...config(), RECONCILE_PAGE_SIZE: 10 };
    const runId = await quietRun(small, newsletterId);

    // One chunk of one page, and its next message is lost.
    expect(
      await runChunk(small, database(), createProvider(small, database()), runId, { maxPages: 1, enqueueNext: false }),
    ).toBe('continues');
    const mid = await getRun(database(), runId);
    expect(mid && parseCursor(mid)).toMatchObject({ phase: 'remote', offset: 10, step: 1 });
    expect((await findingsOf(runId)).length).toBe(mid?.counts.orphan);

    // Nothing moves until the scheduled run sees the run stalled and re-enqueues it.
    expect(await resumeStalledRuns(small, database(), Date.now())).toEqual([]);
    expect(await resumeStalledRuns(small, database(), Date.now() + staleAfterMs(small) + 1000)).toEqual([runId]);
    const done = await waitFor(async () => {
      const r = await getRun(database(), runId);
      return r?.status === 'completed' && r;
    }, 'the resumed run');

    const offsets = (await recipientGets(list)).map((e) => offsetOf(e.path));
    expect(offsets.filter((o) => o === '0')).toHaveLength(1);
    expect(offsets).toContain('10');
    const findings = await findingsOf(runId);
    expect(done.counts).toMatchObject({ orphan: 22, missing: 1, recipients: 24, chunks: 2 });
    expect(findings).toHaveLength(23);
    const keys = findings.map((f) => f.recipientId ?? f.subscriptionId);
    expect(new Set(keys).size).toBe(23);
    expect(findings.find((f) => f.driftClass === 'missing')?.userId).toBe(missing);
    expect(await database().select().from(reconciliationSeen).where(eq(reconciliationSeen.runId, runId))).toEqual([]);
  });

  it('two invocations of one run at once: each step lands once, the loser commits nothing', async () => {
    const { newsletterId } = await listWith(2, 30);
    const small = { ...config(), RECONCILE_PAGE_SIZE: 10 };
    const runId = await quietRun(small, newsletterId);
    const outcomes = await Promise.all(
      [0, 1].map(() =>
        runChunk(small, database(), createProvider(small, database()), runId, { enqueueNext: false, maxPages: 100 }),
      ),
    );
    const rest = await drive(small, runId).catch(() => 'not-running');
    expect(outcomes.sort()).toEqual(['completed', 'superseded']);
    expect(rest).toBe('not-running');
    const run = await getRun(database(), runId);
    expect(run).toMatchObject({ status: 'completed' });
    const findings = await findingsOf(runId);
    expect(findings).toHaveLength(30);
    expect(new Set(findings.map((f) => f.recipientId)).size).toBe(30);
    expect(run?.counts).toMatchObject({ orphan: 30, recipients: 32 });
  });
});

describe('provider failures', () => {
  it('a 503 keeps the position and retries; the run then completes', async () => {
    const { list, newsletterId } = await listWith(0, 3);
    const runId = await quietRun(config(), newsletterId);
    await emulator.rule({
      kind: 'status',
      status: 503,
      method: 'GET',
      pathPrefix: `/lists/${list}/recipients`,
      times: 1,
    });
    expect(
      await runChunk(config(), database(), createProvider(config(), database()), runId, { enqueueNext: false }),
    ).toBe('retrying');
    const stalled = await getRun(database(), runId);
    expect(stalled).toMatchObject({ status: 'running' });
    expect(stalled?.error).toContain(`Attempt 1 of ${MAX_FAILURES} failed at list ${list}`);
    expect(await drive(config(), runId)).toBe('completed');
    expect(await getRun(database(), runId)).toMatchObject({
      status: 'completed',
      error: null,
      counts: expect.objectContaining({ orphan: 3 }),
    });
  });

  it('a list the provider no longer has is skipped with its message; the run goes on', async () => {
    const { list, newsletterId } = await listWith(0, 1);
    const runId = await quietRun(config(), newsletterId);
    await emulator.rule({
      kind: 'status',
      status: 404,
      method: 'GET',
      pathPrefix: `/lists/${list}/recipients`,
      times: 1,
    });
    expect(await drive(config(), runId)).toBe('completed');
    const res = await admin(`/v1/admin/reconciliations/${runId}`);
    const view = (await res.json()) as {
      status: string;
      totals: Record<string, number>;
      skippedLists: { listId: string; message: string }[];
      counts: Record<string, number>;
    };
    expect(view).toMatchObject({
      status: 'completed',
      totals: expect.objectContaining({ listsFailed: 1 }),
      counts: expect.objectContaining({ missing: 0, orphan: 0 }),
    });
    expect(view.skippedLists).toEqual([{ listId: list, message: expect.any(String) }]);
  });

  it(`after ${MAX_FAILURES} failures in a row the run fails, naming why, and frees the way for the next`, async () => {
    const { list, newsletterId } = await listWith(0, 1);
    const runId = await quietRun(config(), newsletterId);
    await emulator.rule({
      kind: 'status',
      status: 500,
      method: 'GET',
      pathPrefix: `/lists/${list}/recipients`,
      times: MAX_FAILURES,
    });
    expect(await drive(config(), runId)).toBe('failed');
    const run = await getRun(database(), runId);
    expect(run).toMatchObject({ status: 'failed', finishedAt: expect.any(Number) });
    expect(run?.error).toContain(`Gave up at list ${list}`);
    const next = await quietRun(config(), newsletterId);
    expect(await drive(config(), next)).toBe('completed');
  });
});

describe('consent, where a heal could re-subscribe', () => {
  it('a conflicted recipient deleted inside Newsletter2Go is not re-created by a heal: held, the mark stays', async () => {
    const { list, newsletterId, users } = await listWith(1, 0);
    const user = users[0] ?? '';
    const [row] = await database()
      .select()
      .from(subscriptions)
      .where(and(eq(subscriptions.userId, user), eq(subscriptions.newsletterId, newsletterId)));
    await emulator.edit(row?.recipientId ?? '', { is_unsubscribed: true });
    const first = await quietRun(config(), newsletterId, 'heal');
    await drive(config(), first);
    expect((await subscriber(user))?.subscriptions[0]?.conflict).toMatchObject({
      reason: 'unsubscribed',
      runId: first,
    });

    await emulator.remove(row?.recipientId ?? '');
    const second = await quietRun(config(), newsletterId, 'heal');
    await drive(config(), second);
    expect(await getRun(database(), second)).toMatchObject({
      counts: expect.objectContaining({ missing: 1, heldForConsent: 1, repushed: 0 }),
    });
    expect((await subscriber(user))?.subscriptions[0]).toMatchObject({
      conflict: { reason: 'unsubscribed', runId: first },
      transfer: { status: 'synced' },
    });
    expect(await emulator.find(list, `${user}@example.com`)).toBeNull();
  });
});
