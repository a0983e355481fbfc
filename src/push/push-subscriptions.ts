import type { Config } from '../config';
import type { Db } from '../db/client';
import { ownersOf } from '../db/recipients';
import { scrubUser } from '../db/scrub';
import { byIds, setLookupEmails } from '../db/subscriptions-transfer';
import { otherAddresses } from '../lib/addresses';
import type { NewsletterProvider } from '../ports/provider';
import { unsubscribeUrl } from '../unsubscribe/token';
import { executePlans, type Outcome } from './call-provider';
import { findClashes, leasePending, releaseLeases, type WorkItem } from './lease';
import { type Plan, planTransfer } from './plan';
import { type Disposition, recordCreateIntents, recordOutcomes } from './record-outcomes';
import { repush } from './repush';

const BUSY_RECHECK_SECONDS = 5;

/**
 * A creation Newsletter2Go merged into a recipient another subscription owns: the clash check
 * reads the database, and an address can reach the provider before the database knows (another
 * user's change of address still on its way). The creation is not taken over: it ends `clash`,
 * and the owner's subscription is pushed again, so its own data is written back over ours.
 */
async function refuseMerges(
  config: Config,
  db: Db,
  items: WorkItem[],
  planned: { id: string; plan: Plan }[],
  outcomes: Map<string, Outcome>,
  now: number,
): Promise<void> {
  const created = new Map<string, { id: string; recipientId: string }[]>();
  for (const { id, plan } of planned) {
    const outcome = outcomes.get(id);
    if (plan.kind !== 'create' || outcome?.kind !== 'synced' || !outcome.recipientId || !outcome.listId) continue;
    created.set(outcome.listId, [...(created.get(outcome.listId) ?? []), { id, recipientId: outcome.recipientId }]);
  }
  const owners: string[] = [];
  for (const [listId, rows] of created) {
    const found = await ownersOf(
      db,
      listId,
      rows.map((r) => r.recipientId),
    );
    for (const row of rows) {
      const other = found.find((f) => f.recipientId === row.recipientId && f.subscriptionId !== row.id);
      if (!other) continue;
      outcomes.set(row.id, {
        kind: 'failed',
        failure: {
          message: `Newsletter2Go merged this creation into the recipient portal user "${other.userId}" holds under the same address; it is not taken over, and that user's data is written back`,
          code: 'clash',
          httpStatus: null,
        },
        unsent: true,
      });
      owners.push(other.subscriptionId);
      // The address just sent is no handle of ours: a later cancellation must not look it up
      // and find the other user's recipient (the write-ahead keeps only other uncertain ones).
      const sent = planned.find((p) => p.id === row.id)?.plan;
      const before = items.find((i) => i.id === row.id)?.input.lookupEmails ?? [];
      const left = sent?.kind === 'create' ? otherAddresses(before, sent.data.email) : before;
      await setLookupEmails(db, row.id, left.length ? left : null);
    }
  }
  if (owners.length) await repush(config, db, byIds(owners), now);
}

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
  await refuseMerges(config, db, items, planned, outcomes, now);
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
