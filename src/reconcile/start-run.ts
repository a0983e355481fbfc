import type { Config } from '../config';
import type { Db } from '../db/client';
import { insertRunIfNoneRunning, type NewRun, selectRunningRun } from '../db/reconciliation';
import { mappedNewsletters } from '../db/reconciliation-desired';
import type { ReconciliationRun } from '../db/schema';
import { log } from '../lib/log';
import { enqueueAfterCommit } from '../schemas/queue';
import { type Cursor, newRunId, type RunMode } from './run-state';

export type StartResult =
  | { started: ReconciliationRun }
  | { running: ReconciliationRun }
  | { unknownNewsletters: string[] };

/**
 * Starts a run over every mapped list (or the lists of `newsletterIds`) and enqueues its first
 * chunk. If that message is lost, the scheduled run picks the run up once it looks stalled.
 * One read (the mappings and any running run), then one batch: the insert, which the unique
 * index on running runs lets through for one start only, and the running run as that batch
 * saw it, so a start that lost a race names the winner without another round trip.
 */
export async function startRun(
  config: Config,
  db: Db,
  input: { mode: RunMode; trigger: string; newsletterIds?: string[]; enqueue?: boolean },
  now = Date.now(),
): Promise<StartResult> {
  const [mapped, [alreadyRunning]] = await db.batch([mappedNewsletters(db), selectRunningRun(db)]);
  const { lists, unknown } = targetsOf(mapped, input.newsletterIds);
  if (unknown.length) return { unknownNewsletters: unknown };
  if (alreadyRunning) return { running: alreadyRunning };
  const [[created], [running]] = await db.batch([
    insertRunIfNoneRunning(db, newRun(input, lists, now)),
    selectRunningRun(db),
  ]);
  if (!created) {
    if (!running) throw new Error('Could not start a reconciliation run, and none is running');
    return { running };
  }
  log.info('reconciliation started', {
    runId: created.id,
    mode: input.mode,
    trigger: input.trigger,
    lists: lists.length,
  });
  if (input.enqueue !== false) await enqueueAfterCommit(config.SYNC_QUEUE, [{ kind: 'reconcile', runId: created.id }]);
  return { started: created };
}

/** Lists are the unit: a list mapped by several newsletters is compared with all of their rows. */
function targetsOf(
  mapped: { newsletterId: string; listId: string }[],
  newsletterIds?: string[],
): { lists: Cursor['lists']; unknown: string[] } {
  const wanted = newsletterIds ? new Set(newsletterIds) : null;
  const unknown = (newsletterIds ?? []).filter((id) => !mapped.some((m) => m.newsletterId === id));
  const listIds = new Set(mapped.filter((m) => !wanted || wanted.has(m.newsletterId)).map((m) => m.listId));
  const lists = [...listIds]
    .sort()
    .map((listId) => ({ listId, newsletterIds: mapped.filter((m) => m.listId === listId).map((m) => m.newsletterId) }));
  return { lists, unknown };
}

function newRun(input: { mode: RunMode; trigger: string }, lists: Cursor['lists'], now: number): NewRun {
  const cursor: Cursor = {
    lists,
    index: 0,
    phase: 'remote',
    offset: 0,
    newsletter: 0,
    after: null,
    step: 0,
    failures: 0,
    skipped: [],
  };
  return {
    id: newRunId(now),
    mode: input.mode,
    status: 'running',
    trigger: input.trigger,
    cursor,
    counts: {},
    providerCalls: 0,
    startedAt: now,
    updatedAt: now,
  };
}
