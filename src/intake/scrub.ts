import { and, eq, isNotNull, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { eventLog, reconciliationFindings, subscriptions } from '../db/schema';

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

export const SCRUBBED = '[deleted]';

/**
 * Removes what could still identify a deleted user locally. The timeline never stores
 * profiles, but provider error messages may quote an address ("Duplicate value …") and
 * reconciliation findings name addresses. Transfer statuses stay readable. Received events
 * keep only a SHA-256 digest of their body, which is kept: it holds no readable data, and a
 * redelivery of an old event must still get its first answer (contract §1) for as long as the
 * record lives (LOG_RETENTION_DAYS, see retention.ts).
 */
export async function scrubUser(tx: Tx | Db, userId: string, email: string | null): Promise<void> {
  await tx.update(reconciliationFindings).set({ email: null }).where(eq(reconciliationFindings.userId, userId));
  if (!email) return;
  const replaced = (column: typeof eventLog.detail | typeof subscriptions.errorMessage) =>
    sql`replace(replace(${column}, ${email}, ${SCRUBBED}), ${email.toLowerCase()}, ${SCRUBBED})`;
  await tx
    .update(eventLog)
    .set({ detail: replaced(eventLog.detail) })
    .where(and(eq(eventLog.userId, userId), isNotNull(eventLog.detail)));
  await tx
    .update(subscriptions)
    .set({ errorMessage: replaced(subscriptions.errorMessage) })
    .where(and(eq(subscriptions.userId, userId), isNotNull(subscriptions.errorMessage)));
}
