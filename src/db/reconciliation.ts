import { and, asc, count, desc, eq, gt, inArray, lt, ne, sql } from 'drizzle-orm';
import type { Executor } from './client';
import { type ReconciliationRun, reconciliationFindings, reconciliationRuns, reconciliationSeen } from './schema';

/**
 * Reconciliation runs, their findings and their seen marks as stored. A run moves on by
 * compare-and-set on its cursor's step, so two invocations working on one run never both
 * commit a page.
 */

export type NewRun = typeof reconciliationRuns.$inferInsert;
export type NewFinding = typeof reconciliationFindings.$inferInsert;
/** What a committed step writes on the run besides its next step. */
export type RunAdvance = Pick<NewRun, 'counts' | 'providerCalls' | 'updatedAt' | 'error' | 'finishedAt'> &
  Partial<Pick<NewRun, 'status'>> & { cursor: Record<string, unknown> };

/** Inserts a running run; no row when one is running already (a unique index on running runs decides). */
export function insertRunIfNoneRunning(db: Executor, run: NewRun) {
  return db.insert(reconciliationRuns).values(run).onConflictDoNothing().returning();
}

/** The running run, if any (at most one: the unique index). */
export function selectRunningRun(db: Executor) {
  return db.select().from(reconciliationRuns).where(eq(reconciliationRuns.status, 'running')).limit(1);
}

export async function runningRun(db: Executor): Promise<ReconciliationRun | null> {
  const [row] = await selectRunningRun(db);
  return row ?? null;
}

export async function getRun(db: Executor, id: string): Promise<ReconciliationRun | null> {
  const [row] = await db.select().from(reconciliationRuns).where(eq(reconciliationRuns.id, id)).limit(1);
  return row ?? null;
}

/** Newest first: run ids sort by start time. One row more than asked says whether more follow. */
export function runsBefore(db: Executor, limit: number, beforeId?: string) {
  return db
    .select()
    .from(reconciliationRuns)
    .where(beforeId ? lt(reconciliationRuns.id, beforeId) : undefined)
    .orderBy(desc(reconciliationRuns.id))
    .limit(limit + 1);
}

/**
 * Moves a run still running at `fromStep` on to `fromStep + 1`: the compare-and-set each step
 * commits under. Returns no row when another invocation moved the run first (or it ended).
 */
export function advanceRun(db: Executor, runId: string, fromStep: number, next: RunAdvance) {
  return db
    .update(reconciliationRuns)
    .set({ ...next, cursor: { ...next.cursor, step: fromStep + 1 } })
    .where(
      sql`${reconciliationRuns.id} = ${runId} and ${reconciliationRuns.status} = 'running' and json_extract(${reconciliationRuns.cursor}, '$.step') = ${fromStep}`,
    )
    .returning({ id: reconciliationRuns.id });
}

export function setRunCounts(db: Executor, runId: string, counts: Record<string, number>) {
  return db.update(reconciliationRuns).set({ counts }).where(eq(reconciliationRuns.id, runId));
}

/** Ends a run that is still running as failed, whatever step it is at. */
export function failRun(db: Executor, id: string, error: string, now: number) {
  return db
    .update(reconciliationRuns)
    .set({ status: 'failed', error, finishedAt: now, updatedAt: now })
    .where(sql`${reconciliationRuns.id} = ${id} and ${reconciliationRuns.status} = 'running'`);
}

/** Running runs whose cursor has not moved since `before`. */
export async function stalledRunIds(db: Executor, before: number): Promise<string[]> {
  const rows = await db
    .select({ id: reconciliationRuns.id })
    .from(reconciliationRuns)
    .where(and(eq(reconciliationRuns.status, 'running'), lt(reconciliationRuns.updatedAt, before)));
  return rows.map((r) => r.id);
}

/** Up to `limit` runs that have ended and were started before `before`. */
export async function endedRunIds(db: Executor, before: number, limit: number): Promise<string[]> {
  const rows = await db
    .select({ id: reconciliationRuns.id })
    .from(reconciliationRuns)
    .where(and(ne(reconciliationRuns.status, 'running'), lt(reconciliationRuns.startedAt, before)))
    .limit(limit);
  return rows.map((r) => r.id);
}

export function deleteRuns(db: Executor, ids: string[]) {
  return db.delete(reconciliationRuns).where(inArray(reconciliationRuns.id, ids));
}

export function insertFindings(db: Executor, findings: NewFinding[]) {
  return db.insert(reconciliationFindings).values(findings);
}

/** A run's findings (of one drift class, if given), by id after `afterId`, and how many there are. */
export async function findingsOf(
  db: Executor,
  runId: string,
  q: { driftClass?: string; limit: number; afterId?: number },
) {
  const filter = and(
    eq(reconciliationFindings.runId, runId),
    q.driftClass ? eq(reconciliationFindings.driftClass, q.driftClass) : undefined,
  );
  const [total] = await db.select({ n: count() }).from(reconciliationFindings).where(filter);
  const rows = await db
    .select()
    .from(reconciliationFindings)
    .where(and(filter, q.afterId !== undefined ? gt(reconciliationFindings.id, q.afterId) : undefined))
    .orderBy(asc(reconciliationFindings.id))
    .limit(q.limit + 1);
  return { total: total?.n ?? 0, rows };
}

export function deleteFindingsOf(db: Executor, runIds: string[]) {
  return db.delete(reconciliationFindings).where(inArray(reconciliationFindings.runId, runIds));
}

/** Notes subscriptions as matched at the provider in this run; a mark already there stays. */
export function markSeen(db: Executor, runId: string, subscriptionIds: string[]) {
  return db
    .insert(reconciliationSeen)
    .values(subscriptionIds.map((subscriptionId) => ({ runId, subscriptionId })))
    .onConflictDoNothing();
}

/**
 * Deletes at most `limit` seen marks of the given runs, or of every run not running (leftovers
 * of a crash); the caller repeats it while it deletes `limit`.
 */
export function deleteSeenMarks(db: Executor, limit: number, runIds?: string[]) {
  const ended = runIds?.length
    ? inArray(reconciliationSeen.runId, runIds)
    : sql`${reconciliationSeen.runId} not in (select ${reconciliationRuns.id} from ${reconciliationRuns} where ${reconciliationRuns.status} = 'running')`;
  return db.run(
    sql`delete from ${reconciliationSeen} where rowid in (select rowid from ${reconciliationSeen} where ${ended} limit ${limit})`,
  );
}
