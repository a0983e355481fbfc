import type * as v from 'valibot';
import type { ReconciliationFinding, ReconciliationRun } from '../db/schema';
import type { FindingView, RunView } from '../schemas/reconciliations';
import { type DriftClass, driftClasses } from '../schemas/states';
import { parseCursor } from './run-state';

/** Runs and findings as the admin JSON shows them. */

const iso = (ms: number) => new Date(ms).toISOString();
const isDriftClass = (k: string) => (driftClasses as readonly string[]).includes(k);

export function runView(run: ReconciliationRun, now = Date.now()): v.InferOutput<typeof RunView> {
  const cursor = parseCursor(run);
  const counts = Object.fromEntries(driftClasses.map((c) => [c, run.counts[c] ?? 0])) as Record<DriftClass, number>;
  const totals = Object.fromEntries(Object.entries(run.counts).filter(([k]) => !isDriftClass(k)));
  const target = cursor?.lists[cursor.index];
  return {
    id: run.id,
    mode: run.mode,
    status: run.status,
    trigger: run.trigger,
    counts,
    totals: { recipients: 0, lists: 0, pages: 0, chunks: 0, pending: 0, ...totals },
    providerCalls: run.providerCalls,
    startedAt: iso(run.startedAt),
    updatedAt: iso(run.updatedAt),
    finishedAt: run.finishedAt == null ? null : iso(run.finishedAt),
    durationMs: (run.finishedAt ?? now) - run.startedAt,
    progress:
      run.status === 'running' && cursor
        ? {
            list: cursor.index,
            lists: cursor.lists.length,
            listId: target?.listId ?? null,
            phase: cursor.phase,
            offset: cursor.offset,
          }
        : null,
    skippedLists: cursor?.skipped ?? [],
    error: run.error,
  };
}

export function findingView(f: ReconciliationFinding): v.InferOutput<typeof FindingView> {
  return {
    id: f.id,
    driftClass: f.driftClass,
    newsletterId: f.newsletterId,
    userId: f.userId,
    subscriptionId: f.subscriptionId,
    recipientId: f.recipientId,
    email: f.email,
    detail: f.detail ?? {},
  };
}
