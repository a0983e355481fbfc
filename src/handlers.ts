import type { Config } from './config';
import { createDb } from './db/client';
import { log } from './lib/log';
import { consumeBatch, consumeDeadLetters } from './sync/consumer';
import { sweepPending } from './sync/sweep';

/** Queue and cron entry points, kept apart from the wiring so tests can call them directly. */

export async function handleQueue(config: Config, batch: MessageBatch<unknown>): Promise<void> {
  if (batch.queue === config.DEAD_LETTER_QUEUE) return consumeDeadLetters(config, batch);
  return consumeBatch(config, batch);
}

export async function handleScheduled(config: Config, controller: Pick<ScheduledController, 'cron' | 'scheduledTime'>): Promise<void> {
  const db = createDb(config);
  const swept = await sweepPending(config, db);
  log.info('scheduled run', { cron: controller.cron, swept });
}
