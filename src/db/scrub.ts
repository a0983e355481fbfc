import { and, eq, inArray, isNotNull } from 'drizzle-orm';
import { scrubJson, scrubText } from '../lib/personal-data';
import type { Executor } from './client';
import { ERASED_DIGEST } from './received-events';
import { eventLog, receivedEvents, reconciliationFindings, subscriptions } from './schema';

/**
 * Removes what could still identify a deleted user from every row of theirs that may quote it:
 * the event and attempt log (provider messages quote addresses), the transfers' last errors,
 * reconciliation findings, and the received-event digests (a plain SHA-256 of a body that held
 * the address would let anyone confirm a guessed address offline; an erased digest answers any
 * redelivery of that id as a duplicate). Run at the deletion and again once each of its
 * transfers has settled, so what the provider said meanwhile goes too. `names` are the user's
 * names as the portal last sent them. Reads then writes: one user's rows, a handful.
 */
export async function scrubUser(db: Executor, userId: string, names: readonly string[] = []): Promise<void> {
  const logRows = await db
    .select({ id: eventLog.id, detail: eventLog.detail })
    .from(eventLog)
    .where(and(eq(eventLog.userId, userId), isNotNull(eventLog.detail)));
  const errors = await db
    .select({ id: subscriptions.id, errorMessage: subscriptions.errorMessage })
    .from(subscriptions)
    .where(and(eq(subscriptions.userId, userId), isNotNull(subscriptions.errorMessage)));
  const findings = await db
    .select({ id: reconciliationFindings.id, detail: reconciliationFindings.detail })
    .from(reconciliationFindings)
    .where(eq(reconciliationFindings.userId, userId));

  for (const row of logRows) {
    const detail = scrubJson(row.detail, names);
    if (JSON.stringify(detail) !== JSON.stringify(row.detail))
      await db.update(eventLog).set({ detail }).where(eq(eventLog.id, row.id));
  }
  for (const row of errors) {
    const errorMessage = scrubText(row.errorMessage ?? '', names);
    if (errorMessage !== row.errorMessage)
      await db.update(subscriptions).set({ errorMessage }).where(eq(subscriptions.id, row.id));
  }
  for (const row of findings) {
    await db
      .update(reconciliationFindings)
      .set({ email: null, detail: row.detail ? scrubJson(row.detail, names) : null })
      .where(eq(reconciliationFindings.id, row.id));
  }
  await eraseDigests(db, [userId]);
}

/** The received-event digests of these (deleted) users: see scrubUser. */
export function eraseDigests(db: Executor, userIds: string[]) {
  return db.update(receivedEvents).set({ bodyHash: ERASED_DIGEST }).where(inArray(receivedEvents.userId, userIds));
}

/**
 * A reconciliation page read before a deletion may be committed after it: its findings about
 * subscriptions deleted by then keep no address.
 */
export function forgetDeletedInFindings(db: Executor, runId: string) {
  return db
    .update(reconciliationFindings)
    .set({ email: null })
    .where(
      and(
        eq(reconciliationFindings.runId, runId),
        isNotNull(reconciliationFindings.email),
        inArray(
          reconciliationFindings.subscriptionId,
          db.select({ id: subscriptions.id }).from(subscriptions).where(eq(subscriptions.state, 'deleted')),
        ),
      ),
    );
}
