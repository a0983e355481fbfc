import { and, eq, isNotNull, sql } from 'drizzle-orm';
import type { Executor } from './client';
import { eventLog, reconciliationFindings, subscriptions } from './schema';

const SCRUBBED = '[deleted]';

/**
 * The statements that remove a deleted user's address from every table that may still quote
 * it (intake/scrub.ts says why these): kept together because they are one erasure and share
 * the replacement. Without an address only the findings' column is cleared.
 */
export function scrubStatements(db: Executor, userId: string, email: string | null) {
  const findings = db
    .update(reconciliationFindings)
    .set({ email: null })
    .where(eq(reconciliationFindings.userId, userId));
  if (!email) return [findings];
  const replaced = (column: typeof eventLog.detail | typeof subscriptions.errorMessage) =>
    sql`replace(replace(${column}, ${email}, ${SCRUBBED}), ${email.toLowerCase()}, ${SCRUBBED})`;
  return [
    findings,
    db
      .update(eventLog)
      .set({ detail: replaced(eventLog.detail) })
      .where(and(eq(eventLog.userId, userId), isNotNull(eventLog.detail))),
    db
      .update(subscriptions)
      .set({ errorMessage: replaced(subscriptions.errorMessage) })
      .where(and(eq(subscriptions.userId, userId), isNotNull(subscriptions.errorMessage))),
  ];
}
