import type { Db, Tx } from '../db/client';
import { advanceRun, insertFindings, markSeen, setRunCounts } from '../db/reconciliation';
import {
  clearConflicts,
  type HealLogEntry,
  logHeal,
  markConflict,
  repushUnlessPending,
} from '../db/reconciliation-desired';
import { forgetDeletedInFindings } from '../db/scrub';
import { repushSet } from '../db/subscriptions-transfer';
import { chunks } from '../lib/chunks';
import type { HealActions } from './decide';
import { addTally, type Step } from './read-page';
import type { Cursor } from './run-state';

export interface Commit {
  runId: string;
  /** The step the chunk read: the commit lands only if the run is still there. */
  fromStep: number;
  next: Cursor;
  counts: Record<string, number>;
  providerCalls: number;
  finished: boolean;
  /** How a finished run ends: completed unless said otherwise. */
  status?: 'completed' | 'failed';
  error?: string | null;
  step?: Step;
  heal?: HealActions | null;
}

/**
 * Writes one step: the run's next position, the findings, the seen marks, the conflict marks
 * and (heal mode) the re-pushes, in one transaction. Returns the subscription ids actually re-pushed (to enqueue
 * after the commit), or null when another invocation moved the run on first: then nothing is
 * written, so a page is never counted twice.
 */
export async function commitStep(db: Db, c: Commit, now = Date.now()): Promise<string[] | null> {
  return db.transaction(async (tx) => {
    const moved = await advanceRun(tx, c.runId, c.fromStep, {
      cursor: c.next,
      counts: c.counts,
      providerCalls: c.providerCalls,
      updatedAt: now,
      ...(c.error !== undefined ? { error: c.error } : {}),
      ...(c.finished ? { status: c.status ?? 'completed', finishedAt: now } : {}),
    });
    if (!moved.length) return null;
    if (!c.step) return [];
    for (const batch of chunks(c.step.findings, 100)) {
      const rows = batch.map((f) => ({ runId: c.runId, ...f, detail: { ...f.detail } }));
      await insertFindings(tx, rows);
    }
    for (const batch of chunks(c.step.seen, 500)) await markSeen(tx, c.runId, batch);
    // Only this page's findings that name an address: the page's rows were read before it.
    const named = [...new Set(c.step.findings.flatMap((f) => (f.email && f.subscriptionId ? [f.subscriptionId] : [])))];
    for (const batch of chunks(named, 500)) await forgetDeletedInFindings(tx, c.runId, batch);
    if (!c.heal) return [];
    const repushed = await applyHeal(tx, c.runId, c.step, c.heal, now);
    // Rows that turned pending meanwhile are not re-pushed: count what was.
    await setRunCounts(tx, c.runId, addTally(c.counts, { repushed: repushed.length }));
    return repushed;
  });
}

async function applyHeal(tx: Tx, runId: string, step: Step, heal: HealActions, now: number): Promise<string[]> {
  const log: HealLogEntry[] = [];
  const entry = (subscriptionId: string, outcome: string, extra: Record<string, unknown>) => {
    const row = step.rows.get(subscriptionId);
    if (row)
      log.push({
        at: now,
        kind: 'reconciliation.heal',
        userId: row.userId,
        subscriptionId,
        outcome,
        detail: { runId, newsletterId: row.newsletterId, ...extra },
      });
  };
  const classes = (id: string) =>
    [
      ...new Set(
        step.findings
          .filter((f) => f.subscriptionId === id && f.driftClass !== 'consent_conflict')
          .map((f) => f.driftClass),
      ),
    ].join(', ');

  const repushed: string[] = [];
  for (const ids of chunks(heal.repush, 500)) {
    // A row that became pending meanwhile is pushed by its own message already.
    const rows = await repushUnlessPending(tx, ids, repushSet(now));
    repushed.push(...rows.map((r) => r.id));
  }
  for (const id of repushed) entry(id, 'repushed', { driftClass: classes(id) });
  for (const c of heal.conflicts) {
    await markConflict(tx, c.subscriptionId, { reason: c.reason, foundAt: new Date(now).toISOString(), runId }, now);
    entry(c.subscriptionId, 'conflict-marked', {
      driftClass: 'consent_conflict',
      reason: c.reason,
      notified: c.notify,
    });
  }
  for (const ids of chunks(heal.clear, 500)) {
    await clearConflicts(tx, ids, now);
  }
  for (const id of heal.clear) entry(id, 'conflict-cleared', {});
  for (const id of heal.held) entry(id, 'held-for-consent', { driftClass: classes(id) });
  for (const batch of chunks(log, 100)) await logHeal(tx, batch);
  return repushed;
}
