import type { Config } from '../config';
import type { Db } from '../db/client';
import type { ReconciliationRun } from '../db/schema';
import { log } from '../lib/log';
import { enqueueAfterCommit } from '../schemas/queue';
import { createRun, listTargets, type RunMode } from './run-state';

export type StartResult =
  | { started: ReconciliationRun }
  | { running: ReconciliationRun }
  | { unknownNewsletters: string[] };

/**
 * Starts a run over every mapped list (or the lists of `newsletterIds`) and enqueues its first
 * chunk. If that message is lost, the scheduled run picks the run up once it looks stalled.
 */
export async function startRun(
  config: Config,
  db: Db,
  input: { mode: RunMode; trigger: string; newsletterIds?: string[]; enqueue?: boolean },
  now = Date.now(),
): Promise<StartResult> {
  const { lists, unknown } = await listTargets(db, input.newsletterIds);
  if (unknown.length) return { unknownNewsletters: unknown };
  const result = await createRun(db, { mode: input.mode, trigger: input.trigger, lists }, now);
  if ('running' in result) return result;
  log.info('reconciliation started', {
    runId: result.created.id,
    mode: input.mode,
    trigger: input.trigger,
    lists: lists.length,
  });
  if (input.enqueue !== false)
    await enqueueAfterCommit(config.SYNC_QUEUE, [{ kind: 'reconcile', runId: result.created.id }]);
  return { started: result.created };
}
