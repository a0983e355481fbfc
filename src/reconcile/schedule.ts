import type { Config } from '../config';
import type { Db } from '../db/client';
import { deleteFindingsOf, deleteRuns, endedRunIds, runningRun, stalledRunIds } from '../db/reconciliation';
import type { NewsletterProvider } from '../ports/provider';
import { enqueueAfterCommit } from '../schemas/queue';
import { runChunk } from './run-chunk';
import { dropSeenMarks } from './run-state';
import { startRun } from './start-run';

/** wrangler.toml's daily trigger: a report run (it changes nothing at the provider, so it may run unattended; the portal still hears of consent conflicts). */
export const DAILY_RECONCILE_CRON = '17 3 * * *';

/** A running run whose cursor has not moved for this long lost its message (or its isolate). */
export const staleAfterMs = (config: Pick<Config, 'RECONCILE_TIME_BUDGET_MS'>) =>
  Math.max(3 * 60_000, 2 * config.RECONCILE_TIME_BUDGET_MS);

/** The scheduled handler's part: the daily report run, stalled runs resumed, stray marks dropped. */
export async function scheduledReconciliation(config: Config, db: Db, cron: string, now = Date.now()) {
  let started: string | null = null;
  if (cron === DAILY_RECONCILE_CRON) {
    const result = await startRun(config, db, { mode: 'report', trigger: 'schedule' }, now);
    started = 'started' in result ? result.started.id : null;
  }
  const resumed = await resumeStalledRuns(config, db, now);
  // Marks of runs that ended without their cleanup; only looked for while no run needs its own.
  const dropped = (await runningRun(db)) ? 0 : await dropSeenMarks(db);
  const pruned = await pruneRuns(config, db, now);
  return { started, resumed, dropped, pruned };
}

/** Runs per scheduled call whose reports are deleted; older backlogs go on the next calls. */
const PRUNE_RUNS = 20;

/**
 * Reports are kept as long as the event log (LOG_RETENTION_DAYS): findings name addresses, and
 * personal data is not kept longer than the log that explains it.
 */
export async function pruneRuns(config: Pick<Config, 'LOG_RETENTION_DAYS'>, db: Db, now = Date.now()): Promise<number> {
  const ids = await endedRunIds(db, now - config.LOG_RETENTION_DAYS * 86_400_000, PRUNE_RUNS);
  if (!ids.length) return 0;
  await deleteFindingsOf(db, ids);
  await deleteRuns(db, ids);
  return ids.length;
}

/** Re-enqueues runs that stopped moving; the stored cursor says where each goes on. */
export async function resumeStalledRuns(config: Config, db: Db, now = Date.now()): Promise<string[]> {
  const ids = await stalledRunIds(db, now - staleAfterMs(config));
  if (ids.length)
    await enqueueAfterCommit(
      config.SYNC_QUEUE,
      ids.map((runId) => ({ kind: 'reconcile' as const, runId })),
    );
  return ids;
}

/** The queue consumer's `reconcile` handler: one chunk of the run. */
export async function reconcileHandler(
  config: Config,
  db: Db,
  provider: NewsletterProvider,
  runId: string,
): Promise<void> {
  await runChunk(config, db, provider, runId);
}
