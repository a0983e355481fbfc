import type { Config } from '../config';
import type { Db } from '../db/client';
import { scrubUser } from '../db/scrub';
import type { NewsletterProvider } from '../ports/provider';
import { unsubscribeUrl } from '../unsubscribe/token';
import { executePlans } from './call-provider';
import { findClashes, leasePending, releaseLeases, type WorkItem } from './lease';
import { planTransfer } from './plan';
import { type Disposition, recordCreateIntents, recordOutcomes } from './record-outcomes';

const BUSY_RECHECK_SECONDS = 5;

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
  const now = Date.now();
  // Long enough for every call of the batch to time out; a crashed consumer's rows wait this long.
  const leaseMs = Math.min(15 * 60_000, 20_000 + ids.length * 2 * config.N2G_TIMEOUT_MS);
  const { items, busy } = await leasePending(db, ids, now, leaseMs);
  try {
    return await push(config, db, provider, items, busy, now);
  } catch (error) {
    // An unexpected failure (the database, a bug): free the rows now, the queue retries the batch.
    await releaseLeases(
      db,
      items.map((i) => i.id),
    ).catch(() => undefined);
    throw error;
  }
}

async function push(
  config: Config,
  db: Db,
  provider: NewsletterProvider,
  items: WorkItem[],
  busy: Map<string, number>,
  now: number,
) {
  const clashes = await findClashes(db, items);
  const planned = await Promise.all(
    items.map(async (item) => ({
      id: item.id,
      plan: planTransfer({
        ...item.input,
        unsubscribeUrl: await unsubscribeUrl(config, item.id),
        unsubscribeAttribute: config.UNSUBSCRIBE_ATTRIBUTE,
        deletedEmailDomain: config.DELETED_EMAIL_DOMAIN,
        clashWithUserId: clashes.get(item.id) ?? null,
      }),
    })),
  );
  await recordCreateIntents(db, items, planned);
  const outcomes = await executePlans(provider, planned, config.N2G_BULK_SIZE);
  const dispositions = await recordOutcomes(db, items, outcomes, {
    maxAttempts: config.SYNC_MAX_ATTEMPTS,
    baseSeconds: config.SYNC_BACKOFF_BASE_SECONDS,
    maxSeconds: config.SYNC_BACKOFF_MAX_SECONDS,
    uncertainWindowMs: 2 * config.N2G_TIMEOUT_MS,
  });
  // An erasure confirmed at the provider: what was said about the user meanwhile (an attempt's
  // error quoting the address, a finding) goes too, and the look-up addresses went with the record.
  const erased = new Set(
    items.filter((i) => i.input.state === 'deleted' && outcomes.get(i.id)?.kind === 'synced').map((i) => i.userId),
  );
  for (const userId of erased) await scrubUser(db, userId);
  // Held by another consumer: look again soon (it releases the lease when it records), or when
  // a kept lease (after a timeout) ends.
  for (const [id, until] of busy)
    dispositions.set(id, {
      ack: false,
      requeue: true,
      delaySeconds: Math.min(BUSY_RECHECK_SECONDS, Math.max(1, Math.ceil((until - now) / 1000))),
    });
  return dispositions;
}
