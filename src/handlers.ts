import type { Config } from './config';
import { createDb } from './db/client';
import { log } from './lib/log';
import { deliverDueNotices, deliverNotices } from './notify/deliver';
import { reconcileHandler, scheduledReconciliation } from './reconcile/schedule';
import { consumeBatch, consumeDeadLetters } from './sync/consumer';
import { pruneLogs } from './sync/retention';
import { sweepPending } from './sync/sweep';

/** Queue and cron entry points, kept apart from the wiring so tests can call them directly. */

export async function handleQueue(config: Config, batch: MessageBatch<unknown>): Promise<void> {
  if (batch.queue === config.DEAD_LETTER_QUEUE) return consumeDeadLetters(config, batch);
  return consumeBatch(config, batch, { notice: deliverNotices, reconcile: reconcileHandler });
}

export async function handleScheduled(config: Config, controller: Pick<ScheduledController, 'cron' | 'scheduledTime'>): Promise<void> {
  const db = createDb(config);
  const swept = await sweepPending(config, db);
  const notices = await deliverDueNotices(config, db);
  const pruned = await pruneLogs(config, db);
  const reconciliation = await scheduledReconciliation(config, db, controller.cron);
  log.info('scheduled run', { cron: controller.cron, swept, notices, prunedLog: pruned.eventLog, prunedReceived: pruned.receivedEvents, reconciliationStarted: reconciliation.started, reconciliationsResumed: reconciliation.resumed.length });
}
