import type { Config } from './config';
import { createDb, type Db } from './db/client';
import { pruneLogs } from './intake/retention';
import { describeError, escaping, log } from './lib/log';
import { evaluateAlerts } from './notify/alerts';
import { deliverDueNotices, deliverNotices } from './notify/deliver';
import { consumeBatch, consumeDeadLetters } from './push/queue-consumer';
import { sweepPending } from './push/sweep';
import { reconcileHandler, scheduledReconciliation } from './reconcile/schedule';
import { createProvider } from './wiring';

/** Queue and cron entry points, kept apart from the wiring so tests can call them directly. */

export async function handleQueue(config: Config, batch: MessageBatch<unknown>): Promise<void> {
  try {
    if (batch.queue === config.DEAD_LETTER_QUEUE) return await consumeDeadLetters(config, batch);
    return await consumeBatch(config, batch, {
      provider: createProvider,
      notice: deliverNotices,
      reconcile: (cfg, db, runId) => reconcileHandler(cfg, db, createProvider(cfg, db), runId),
    });
  } catch (error) {
    // Throwing is what has the queue deliver the batch again; what is thrown reaches the log.
    throw escaping('queue batch failed; it is delivered again', error, {
      queue: batch.queue,
      messages: batch.messages.length,
    });
  }
}

export type Job = (config: Config, db: Db, cron: string) => Promise<Record<string, number | string | null>>;

/**
 * The scheduled run's jobs. Each runs whatever the others did: a sweep that throws (the
 * database briefly down, a bug) must not keep notices from going out or logs from being pruned.
 */
export const scheduledJobs: Record<string, Job> = {
  sweep: async (config, db) => ({ swept: await sweepPending(config, db) }),
  notices: async (config, db) => ({ notices: await deliverDueNotices(config, db) }),
  // After the notices: an alert created here goes out with its queue message at once.
  alerts: async (config, db) => {
    const a = await evaluateAlerts(config, db);
    return { alertsStarted: a.started, alertsEnded: a.ended };
  },
  prune: async (config, db) => {
    const pruned = await pruneLogs(config, db);
    return { prunedLog: pruned.eventLog, prunedReceived: pruned.receivedEvents };
  },
  reconciliation: async (config, db, cron) => {
    const r = await scheduledReconciliation(config, db, cron);
    return { reconciliationStarted: r.started, reconciliationsResumed: r.resumed.length };
  },
};

/**
 * Runs every job, one after the other (they share one database; run at once they would only
 * contend for its writer), each whatever became of the ones before. Returns the names of those
 * that failed; each failure is logged with the job's name.
 */
export async function handleScheduled(
  config: Config,
  controller: Pick<ScheduledController, 'cron' | 'scheduledTime'>,
  jobs: Record<string, Job> = scheduledJobs,
): Promise<{ failed: string[] }> {
  const db = createDb(config);
  const failed: string[] = [];
  const fields: Record<string, number | string | null | string[]> = { cron: controller.cron };
  for (const [name, job] of Object.entries(jobs)) {
    try {
      Object.assign(fields, await job(config, db, controller.cron));
    } catch (error) {
      failed.push(name);
      log.error('scheduled job failed', { job: name, cron: controller.cron, error: describeError(error) });
    }
  }
  log.info('scheduled run', { ...fields, failed });
  return { failed };
}
