import { and, desc, eq, inArray, ne, sql } from 'drizzle-orm';
import type { Executor } from './client';
import { alertStates, notices, providerSessions, reconciliationRuns, subscriptions, transferPause } from './schema';

/** What the alert conditions are computed from (notify/alert-conditions.ts), in one batch. */
export function alertSnapshotReads(db: Executor, provider: string) {
  return [
    db
      .select({ newsletterId: subscriptions.newsletterId, n: sql<number>`count(*)` })
      .from(subscriptions)
      .where(eq(subscriptions.transferStatus, 'failed'))
      .groupBy(subscriptions.newsletterId)
      .orderBy(desc(sql`count(*)`)),
    db
      .select({
        oldest: sql<number | null>`min(coalesce(${subscriptions.pendingSince}, ${subscriptions.updatedAt}))`,
        n: sql<number>`count(*)`,
      })
      .from(subscriptions)
      .where(and(eq(subscriptions.transferStatus, 'pending'), ne(subscriptions.state, 'subscribed'))),
    db
      .select({ at: providerSessions.loginErrorAt, error: providerSessions.loginError })
      .from(providerSessions)
      .where(eq(providerSessions.provider, provider)),
    db
      .select({ id: reconciliationRuns.id, counts: reconciliationRuns.counts })
      .from(reconciliationRuns)
      .where(eq(reconciliationRuns.status, 'completed'))
      .orderBy(desc(reconciliationRuns.finishedAt))
      .limit(1),
    db
      .select({ status: notices.status, n: sql<number>`count(*)` })
      .from(notices)
      .where(
        and(
          eq(notices.destination, 'portal'),
          inArray(notices.status, ['failed', 'pending']),
          sql`(${notices.status} = 'failed' or ${notices.attempts} > 0)`,
        ),
      )
      .groupBy(notices.status),
    db.select({ pausedAt: transferPause.pausedAt }).from(transferPause),
    db.select().from(alertStates),
  ] as const;
}

export function startAlert(db: Executor, condition: string, detail: Record<string, unknown>, now: number) {
  return db.insert(alertStates).values({ condition, since: now, detail }).onConflictDoNothing();
}

export function endAlert(db: Executor, condition: string) {
  return db.delete(alertStates).where(eq(alertStates.condition, condition));
}

/** Alerts sent, per delivery status, for the stats. */
export function countAlertsByStatus(db: Executor) {
  return db
    .select({ status: notices.status, n: sql<number>`count(*)` })
    .from(notices)
    .where(eq(notices.destination, 'alerts'))
    .groupBy(notices.status);
}
