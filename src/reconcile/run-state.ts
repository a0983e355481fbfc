import * as v from 'valibot';
import type { Db } from '../db/client';
import { deleteSeenMarks } from '../db/reconciliation';
import type { ReconciliationRun } from '../db/schema';
import { randomAlnum } from '../lib/encoding';

/**
 * Reconciliation runs as stored: the cursor says where the next chunk starts, so a lost queue
 * message or a killed isolate costs at most the page in hand, never a finished one.
 */

export type RunMode = 'report' | 'heal';

/** Lists are the unit: a list mapped by several newsletters is compared with all of their rows. */
const ListTarget = v.object({ listId: v.string(), newsletterIds: v.array(v.string()) });

export const Cursor = v.object({
  lists: v.array(ListTarget),
  /** Index into `lists`; equal to its length when the run is done. */
  index: v.number(),
  /** `remote`: paging the provider's recipients; `missing`: local rows no recipient matched. */
  phase: v.picklist(['remote', 'missing']),
  /** Next provider offset (remote phase). */
  offset: v.number(),
  /** Index into the list's newsletterIds and the last subscription id shown (missing phase). */
  newsletter: v.number(),
  after: v.nullable(v.string()),
  /** Bumped by every commit: a chunk only commits from the position it read (compare-and-set). */
  step: v.number(),
  /** Consecutive failed attempts at the current position. */
  failures: v.number(),
  /** Lists that could not be read (gone or refused at the provider), with the provider's message. */
  skipped: v.optional(v.array(v.object({ listId: v.string(), message: v.string() })), []),
});
export type Cursor = v.InferOutput<typeof Cursor>;

/** Run ids sort by start time, so "newest first" pages by id alone. */
export const newRunId = (now = Date.now()) => `rcn_${now.toString(36).padStart(9, '0')}${randomAlnum(8)}`;

export function parseCursor(run: ReconciliationRun): Cursor | null {
  const parsed = v.safeParse(Cursor, run.cursor);
  return parsed.success ? parsed.output : null;
}

/** Rows one statement deletes, and statements per call: the rest goes on the next call. */
const SEEN_CHUNK = 5000;
const SEEN_ROUNDS = 40;

/** Drops the `seen` marks of runs that have ended (their own cleanup, or a leftover of a crash). */
export async function dropSeenMarks(db: Db, runIds?: string[]): Promise<number> {
  let total = 0;
  for (let i = 0; i < SEEN_ROUNDS; i++) {
    const { rowsAffected } = await deleteSeenMarks(db, SEEN_CHUNK, runIds);
    total += rowsAffected;
    if (rowsAffected < SEEN_CHUNK) break;
  }
  return total;
}
