import type { Config } from '../config';
import type { Db } from '../db/client';
import type { NewsletterProvider } from '../providers/port';
import { unsubscribeUrl } from '../unsubscribe/token';
import { planTransfer } from './plan';
import { type Disposition, recordCreateIntents, recordOutcomes } from './record';
import { executePlans } from './transfer';
import { findClashes, loadPending } from './work';

/**
 * One pass over a set of subscriptions: load the pending ones, plan, send, record.
 * Returns what to do with each id's message (ids not pending any more are simply acked).
 */
export async function syncSubscriptions(
  config: Config,
  db: Db,
  provider: NewsletterProvider,
  ids: string[],
): Promise<Map<string, Disposition>> {
  const items = await loadPending(db, ids);
  const clashes = await findClashes(db, items);
  const now = Date.now();
  const planned = await Promise.all(
    items.map(async (item) => ({
      id: item.id,
      plan: planTransfer({
        ...item.input,
        unsubscribeUrl: await unsubscribeUrl(config, item.id),
        unsubscribeAttribute: config.UNSUBSCRIBE_ATTRIBUTE,
        clashWithUserId: clashes.get(item.id) ?? null,
        now,
        uncertainWindowMs: 3 * config.N2G_TIMEOUT_MS,
      }),
    })),
  );
  await recordCreateIntents(db, items, planned, now);
  const outcomes = await executePlans(provider, planned, config.N2G_BULK_SIZE);
  return recordOutcomes(db, items, outcomes, {
    maxAttempts: config.SYNC_MAX_ATTEMPTS,
    baseSeconds: config.SYNC_BACKOFF_BASE_SECONDS,
    maxSeconds: config.SYNC_BACKOFF_MAX_SECONDS,
  });
}
