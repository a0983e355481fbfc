import { and, eq, inArray, isNotNull } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import { scrubJson, scrubText } from '../lib/personal-data';
import type { Db, Executor } from './client';
import { ERASED_DIGEST } from './received-events';
import { eventLog, receivedEvents, reconciliationFindings, subscriptions } from './schema';

/**
 * Removes what could still identify a deleted user from every row of theirs that may quote it:
 * the event and attempt log (provider messages quote addresses), the transfers' last errors and
 * reconciliation findings. Run after the deletion's commit and again once each erasure is
 * confirmed, so what the provider said in between goes too; the received-event digests are
 * erased by the intake itself (eraseDigests). `names` are the user's names as the portal last
 * sent them. One batch of reads, one batch of writes, never inside the intake's transaction.
 */
export async function scrubUser(db: Db, userId: string, names: readonly string[] = []): Promise<void> {
  const [first, ...rest] = scrubWrites(db, await db.batch(scrubReads(db, [userId])), names);
  if (first) await db.batch([first, ...rest]);
}

/**
 * What a scrub of these users reads: their log entries with a detail, their transfers' errors
 * and their findings. Composable, so a caller can read it in a batch with other reads.
 */
export function scrubReads(db: Executor, userIds: string[]) {
  return [
    db
      .select({ id: eventLog.id, detail: eventLog.detail })
      .from(eventLog)
      .where(and(inArray(eventLog.userId, userIds), isNotNull(eventLog.detail))),
    db
      .select({ id: subscriptions.id, errorMessage: subscriptions.errorMessage })
      .from(subscriptions)
      .where(and(inArray(subscriptions.userId, userIds), isNotNull(subscriptions.errorMessage))),
    db
      .select({ id: reconciliationFindings.id, detail: reconciliationFindings.detail })
      .from(reconciliationFindings)
      .where(inArray(reconciliationFindings.userId, userIds)),
  ] as const;
}

type Read<I extends number> = Awaited<ReturnType<typeof scrubReads>[I]>;

/** The writes that scrub what `scrubReads` found: only rows whose text changes, and every finding. */
export function scrubWrites(
  db: Executor,
  [logRows, errors, findings]: readonly [Read<0>, Read<1>, Read<2>],
  names: readonly string[] = [],
): BatchItem<'sqlite'>[] {
  const writes: BatchItem<'sqlite'>[] = [];
  for (const row of logRows) {
    const detail = scrubJson(row.detail, names);
    if (JSON.stringify(detail) !== JSON.stringify(row.detail))
      writes.push(db.update(eventLog).set({ detail }).where(eq(eventLog.id, row.id)));
  }
  for (const row of errors) {
    const errorMessage = scrubText(row.errorMessage ?? '', names);
    if (errorMessage !== row.errorMessage)
      writes.push(db.update(subscriptions).set({ errorMessage }).where(eq(subscriptions.id, row.id)));
  }
  for (const row of findings)
    writes.push(
      db
        .update(reconciliationFindings)
        .set({ email: null, detail: row.detail ? scrubJson(row.detail, names) : null })
        .where(eq(reconciliationFindings.id, row.id)),
    );
  return writes;
}

/** The received-event digests of these (deleted) users: see scrubUser. */
export function eraseDigests(db: Executor, userIds: string[]) {
  return db.update(receivedEvents).set({ bodyHash: ERASED_DIGEST }).where(inArray(receivedEvents.userId, userIds));
}

/**
 * A reconciliation page read before a deletion may be committed after it: its findings about
 * subscriptions deleted by then keep no address.
 */
export function forgetDeletedInFindings(db: Executor, runId: string, subscriptionIds: string[]) {
  return db
    .update(reconciliationFindings)
    .set({ email: null })
    .where(
      and(
        eq(reconciliationFindings.runId, runId),
        inArray(reconciliationFindings.subscriptionId, subscriptionIds),
        isNotNull(reconciliationFindings.email),
        inArray(
          reconciliationFindings.subscriptionId,
          db
            .select({ id: subscriptions.id })
            .from(subscriptions)
            .where(and(inArray(subscriptions.id, subscriptionIds), eq(subscriptions.state, 'deleted'))),
        ),
      ),
    );
}
