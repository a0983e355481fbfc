import type { Config } from '../config';
import type { Db } from '../db/client';
import { failRun, getRun } from '../db/reconciliation';
import { log } from '../lib/log';
import { scrubText } from '../lib/personal-data';
import { createNotice, noticeMessages } from '../notify/notices';
import type { NewsletterProvider } from '../ports/provider';
import { ProviderError, RateLimitedError } from '../ports/provider-errors';
import { enqueue, enqueueAfterCommit, syncMessages } from '../schemas/queue';
import { type Commit, commitStep } from './commit-page';
import { decideHeal, type HealActions } from './decide';
import { addTally, type Step, takeStep } from './read-page';
import { type Cursor, dropSeenMarks, parseCursor } from './run-state';

/**
 * One invocation of a run: steps from the stored cursor until the time budget or the page
 * budget is used, each committed with the next position, then the next chunk is enqueued.
 * A lost message or a killed isolate loses at most the step in hand; the scheduled run
 * re-enqueues a run that stopped moving (schedule.ts).
 */

/** Pages (provider pages or missing-pass pages) per invocation, besides RECONCILE_TIME_BUDGET_MS. */
export const PAGES_PER_CHUNK = 20;
/** Failed attempts in a row at one position before the run is marked failed. */
export const MAX_FAILURES = 5;

export interface ChunkOptions {
  maxPages?: number;
  /** False plays a lost message (tests): the chunk stops without enqueuing the next one. */
  enqueueNext?: boolean;
}

export type ChunkOutcome = 'not-running' | 'continues' | 'completed' | 'failed' | 'retrying' | 'superseded';

export async function runChunk(
  config: Config,
  db: Db,
  provider: NewsletterProvider,
  runId: string,
  options: ChunkOptions = {},
): Promise<ChunkOutcome> {
  const run = await getRun(db, runId);
  if (run?.status !== 'running') return 'not-running';
  let cursor = parseCursor(run);
  if (!cursor) {
    await failRun(db, runId, 'The run cursor could not be read', Date.now());
    return 'failed';
  }
  const ctx = { db, provider, runId, startedAt: run.startedAt, pageSize: config.RECONCILE_PAGE_SIZE };
  const maxPages = options.maxPages ?? PAGES_PER_CHUNK;
  const began = Date.now();
  let counts = addTally(run.counts, { chunks: 1 });
  let providerCalls = run.providerCalls;
  const commit = (from: Cursor, c: Omit<Commit, 'runId' | 'fromStep' | 'counts' | 'providerCalls'>) =>
    commitStep(db, { runId, fromStep: from.step, counts, providerCalls, ...c });

  for (let pages = 0; ; pages++) {
    if (cursor.index >= cursor.lists.length) {
      return (await commit(cursor, { next: cursor, finished: true, error: null })) === null
        ? 'superseded'
        : finish(db, runId, counts);
    }
    if (pages >= maxPages || Date.now() - began >= config.RECONCILE_TIME_BUDGET_MS) {
      if (options.enqueueNext !== false) await enqueueAfterCommit(config.SYNC_QUEUE, [{ kind: 'reconcile', runId }]);
      log.info('reconciliation chunk done', {
        runId,
        pages,
        ms: Date.now() - began,
        providerCalls,
        list: cursor.index,
        offset: cursor.offset,
      });
      return 'continues';
    }
    const callsBefore = provider.callCount;
    let step: Step;
    try {
      step = await takeStep(ctx, cursor);
    } catch (failure) {
      providerCalls += provider.callCount - callsBefore;
      const listId = cursor.lists[cursor.index]?.listId ?? '';
      if (
        !(
          failure instanceof ProviderError &&
          (failure.kind === 'gone' || failure.kind === 'permanent') &&
          cursor.phase === 'remote'
        )
      ) {
        return retryLater(config, db, runId, cursor, commit, failure);
      }
      // This list cannot be read (removed at the provider, or refused): note it, go on with the next.
      counts = addTally(counts, { listsFailed: 1 });
      const skipped: Cursor = {
        ...cursor,
        index: cursor.index + 1,
        phase: 'remote',
        offset: 0,
        newsletter: 0,
        after: null,
        failures: 0,
        skipped: [...cursor.skipped, { listId, message: failure.failure.message }],
      };
      if ((await commit(cursor, { next: skipped, finished: false })) === null) return 'superseded';
      cursor = { ...skipped, step: cursor.step + 1 };
      continue;
    }
    providerCalls += provider.callCount - callsBefore;
    // Consent conflicts are the portal's to decide in either mode (contract §4: reconciliation
    // that finds one tells the portal); only heal corrects drift.
    const decided = decideHeal(step.findings, step.rows, step.judged);
    const actions = run.mode === 'heal' ? decided : { ...decided, repush: [], held: [] };
    const noticed = await notifyConflicts(config, db, runId, actions);
    counts = addTally(counts, { ...step.tally, ...healTally(actions, noticed) });
    const next: Cursor = { ...step.next, failures: 0 };
    const finished = next.index >= next.lists.length;
    const repushed = await commit(cursor, { next, finished, error: null, step, heal: actions });
    if (repushed === null) return 'superseded';
    counts = addTally(counts, { repushed: repushed.length });
    // After the commit, as everywhere: the rows are pending, so a lost message is re-sent by the sweep.
    if (repushed.length) await enqueueAfterCommit(config.SYNC_QUEUE, syncMessages(repushed));
    cursor = { ...next, step: cursor.step + 1 };
    if (finished) return finish(db, runId, counts);
  }
}

async function finish(db: Db, runId: string, counts: Record<string, number>): Promise<'completed'> {
  await dropSeenMarks(db, [runId]);
  log.info('reconciliation completed', { runId, ...counts });
  return 'completed';
}

/**
 * A failure that may pass (a provider 5xx or rate limit, a refused login, the database): the
 * position is kept and tried again after a backoff; after MAX_FAILURES in a row the run fails.
 */
async function retryLater(
  config: Config,
  db: Db,
  runId: string,
  cursor: Cursor,
  commit: (
    from: Cursor,
    c: Omit<Commit, 'runId' | 'fromStep' | 'counts' | 'providerCalls'>,
  ) => Promise<string[] | null>,
  failure: unknown,
): Promise<ChunkOutcome> {
  const failures = cursor.failures + 1;
  const failed = failures >= MAX_FAILURES;
  const listId = cursor.lists[cursor.index]?.listId ?? '';
  const error = `${failed ? 'Gave up' : `Attempt ${failures} of ${MAX_FAILURES} failed`} at list ${listId}: ${describe(failure)}`;
  const saved = await commit(cursor, { next: { ...cursor, failures }, finished: failed, status: 'failed', error });
  // The provider's words may quote an address: the log line carries none (the run keeps them).
  log.warn('reconciliation step failed', { runId, failures, final: failed, error: scrubText(describe(failure)) });
  if (saved === null) return 'superseded';
  if (failed) {
    await dropSeenMarks(db, [runId]);
    return 'failed';
  }
  const waitMs = Math.max(
    15_000 * 2 ** (failures - 1),
    failure instanceof RateLimitedError ? (failure.retryAfterMs ?? 0) : 0,
  );
  // If this enqueue is lost too, the scheduled run resumes the run once it has stopped moving.
  await enqueue(config.SYNC_QUEUE, [{ kind: 'reconcile', runId }], Math.min(300, Math.ceil(waitMs / 1000))).catch(
    () => undefined,
  );
  return 'retrying';
}

/**
 * Tells the portal about each new consent conflict before the step commits, under an id stable
 * per run and subscription: a step done again after a crash finds its notice there already.
 */
async function notifyConflicts(config: Config, db: Db, runId: string, heal: HealActions): Promise<number> {
  const ids: string[] = [];
  for (const c of heal.conflicts.filter((x) => x.notify)) {
    const id = await createNotice(db, {
      id: `ntc_${runId}_${c.subscriptionId}`,
      type: 'subscription.conflict',
      userId: c.userId,
      subscriptionId: c.subscriptionId,
      data: { userId: c.userId, newsletterId: c.newsletterId, reason: c.reason },
    });
    if (id) ids.push(id);
  }
  if (ids.length) await enqueueAfterCommit(config.SYNC_QUEUE, noticeMessages(ids));
  return ids.length;
}

function healTally(heal: HealActions, noticed: number): Record<string, number> {
  return {
    conflictsMarked: heal.conflicts.length,
    conflictsCleared: heal.clear.length,
    heldForConsent: heal.held.length,
    noticesCreated: noticed,
  };
}

/** The provider's own words; for anything else the driver's cause only (a failed query's text carries its parameters). */
function describe(e: unknown): string {
  if (e instanceof ProviderError)
    return `${e.failure.message}${e.failure.httpStatus ? ` (HTTP ${e.failure.httpStatus})` : ''}`;
  if (e instanceof Error && e.cause instanceof Error) return `${e.cause.name}: ${e.cause.message}`.slice(0, 500);
  return e instanceof Error ? e.name : 'unknown error';
}
