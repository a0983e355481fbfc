import type { Config } from '../config';
import type { Db } from '../db/client';
import { ownersOf } from '../db/recipients';
import { scrubReads, scrubWrites } from '../db/scrub';
import { byIds, markForRepush, setLookupEmails } from '../db/subscriptions-transfer';
import type { Statement } from '../db/write-batch';
import { scrubJson } from '../lib/personal-data';
import type { NewsletterProvider } from '../ports/provider';
import { enqueueAfterCommit, syncMessages } from '../schemas/queue';
import { unsubscribeUrl } from '../unsubscribe/token';
import { executePlans, type Outcome, type Planned } from './call-provider';
import { type Leased, leasePending, releaseLeases, type WorkItem } from './lease';
import { createdRecipients, refuseMerges } from './merges';
import { planTransfer } from './plan';
import { type Disposition, outcomeStatements, recordCreateIntents } from './record-outcomes';

const BUSY_RECHECK_SECONDS = 5;

/**
 * One pass over a set of subscriptions: lease and load the pending ones, plan, send, record.
 * Returns what to do with each id's message (ids not pending any more are simply acked).
 *
 * At most four database round trips, whatever the number of ids (each is 10–100 ms in
 * production): the lease with every read the plans need; the write-ahead of creations, before
 * they are sent; after the provider calls, whose the created recipients are and what a
 * confirmed erasure must scrub; and every outcome in one atomic batch. `alongside` are the
 * caller's writes, carried in the first. A token renewal costs its own.
 */
export async function syncSubscriptions(
  config: Config,
  db: Db,
  provider: NewsletterProvider,
  ids: string[],
  alongside: Statement[] = [],
): Promise<Map<string, Disposition>> {
  const now = Date.now();
  // Long enough for every call of the batch to time out; a crashed consumer's rows wait this long.
  const leaseMs = Math.min(15 * 60_000, 20_000 + ids.length * 2 * provider.limits.timeoutMs);
  const leased = await leasePending(db, ids, now, leaseMs, { scope: provider.addressScope, alongside });
  // Paused: the rows stay pending, no attempt counted; resuming (or the sweep after it) sends them.
  if (leased.paused) return new Map(ids.map((id) => [id, { ack: true } as const]));
  try {
    return await push(config, db, provider, leased, now);
  } catch (error) {
    // An unexpected failure (the database, a bug): free the rows now, the queue retries the batch.
    await releaseLeases(
      db,
      leased.items.map((i) => i.id),
    ).catch(() => undefined);
    throw error;
  }
}

async function push(config: Config, db: Db, provider: NewsletterProvider, leased: Leased, now: number) {
  const { items, busy, clashes } = leased;
  const dispositions = new Map<string, Disposition>();
  if (items.length) {
    const planned = await Promise.all(
      items.map(async (item) => ({
        id: item.id,
        plan: planTransfer({
          ...item.input,
          unsubscribeUrl: await unsubscribeUrl(config, item.id),
          clashWithUserId: clashes.get(item.id) ?? null,
          provider,
        }),
      })),
    );
    await recordCreateIntents(db, items, planned);
    const outcomes = await executePlans(provider, planned, provider.limits.bulkSize);
    for (const [id, d] of await record(config, db, provider, items, planned, outcomes, now)) dispositions.set(id, d);
  }
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

/** After the provider calls: one round trip reads, one writes every outcome. */
async function record(
  config: Config,
  db: Db,
  provider: NewsletterProvider,
  items: WorkItem[],
  planned: Planned[],
  outcomes: Map<string, Outcome>,
  now: number,
): Promise<Map<string, Disposition>> {
  // An erasure confirmed at the provider: what was said about the user meanwhile (an attempt's
  // error quoting the address, a finding) goes too, and the look-up addresses went with the record.
  const erased = new Set(
    items.filter((i) => i.input.state === 'deleted' && outcomes.get(i.id)?.kind === 'synced').map((i) => i.userId),
  );
  const created = createdRecipients(planned, outcomes);
  const [owners, ...scrubbed] =
    created.length || erased.size
      ? await db.batch([
          ownersOf(
            db,
            created.map((c) => ({ listId: c.listId, recipientId: c.contactId })),
            provider.addressScope,
          ),
          ...scrubReads(db, [...erased]),
        ])
      : [[], [], [], []];
  const merges = refuseMerges(items, planned, outcomes, created, owners, provider);
  // This batch's own words about an erased user are scrubbed before they are written.
  for (const item of items) {
    const outcome = outcomes.get(item.id);
    if (outcome && erased.has(item.userId)) outcomes.set(item.id, scrubJson(outcome));
  }
  const { statements, dispositions } = outcomeStatements(db, items, outcomes, {
    maxAttempts: config.SYNC_MAX_ATTEMPTS,
    baseSeconds: config.SYNC_BACKOFF_BASE_SECONDS,
    maxSeconds: config.SYNC_BACKOFF_MAX_SECONDS,
    uncertainWindowMs: 2 * provider.limits.timeoutMs,
  });
  // The owners' repush comes before the outcomes (an owner in this batch records nothing for
  // its old version), the scrub before the outcomes' own (already scrubbed) errors.
  const [repushed] = await db.batch([
    markForRepush(db, byIds(merges.repush), now),
    ...merges.lookupEmails.map((l) => setLookupEmails(db, l.id, l.emails)),
    ...scrubWrites(db, scrubbed),
    ...statements,
  ]);
  await enqueueAfterCommit(config.SYNC_QUEUE, syncMessages(repushed.map((r) => r.id)));
  return dispositions;
}
