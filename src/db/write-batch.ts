import { inArray, type SQL, sql } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import { isBusy } from './busy';
import type { Db } from './client';
import { userVersions, writeGuards } from './schema';

/**
 * Writes on a request path: read what the decision needs in one round trip, decide in memory,
 * then commit everything in one atomic `db.batch` (one HTTP request: BEGIN … COMMIT run by
 * the server, so no lock is held across the network). What the decision was based on is
 * re-checked inside the batch by guards; a guard that fails rolls the whole batch back, and
 * the caller reads again and decides again, a bounded number of times.
 *
 * Every statement of such a batch is a write (a guard is an INSERT), so the batch takes the
 * write lock with its first statement and reads a snapshot no other writer can change before
 * it commits.
 */

export type Statement = BatchItem<'sqlite'>;

/** Fails the batch unless `holds` is true when the batch runs (see schema.ts `write_guards`). */
export function guard(db: Db, holds: SQL): Statement {
  return db.run(sql`insert into ${writeGuards} (ok) select 0 where not (${holds})`);
}

/**
 * Whether a batch failed because what it was decided on changed after it was read: a guard or
 * a user's version (CHECK `stale_read`), or an event id read as unknown that another request
 * stored meanwhile (its primary key).
 */
export function isStaleRead(error: unknown): boolean {
  for (let e: unknown = error; e instanceof Error; e = e.cause)
    if (/CHECK constraint failed: stale_read|UNIQUE constraint failed: received_events\.event_id/.test(e.message))
      return true;
  return false;
}

/** The users' versions as read; a user absent here had none (no row). */
export type UserVersions = Map<string, number>;

export function readUserVersions(db: Db, userIds: string[]) {
  return db.select().from(userVersions).where(inArray(userVersions.userId, userIds));
}

/**
 * Raises each user's version by one, in one statement that is also the guard: where the stored
 * version is no longer the one read (or a user read as absent now has a row), it writes 0,
 * which the table's CHECK refuses, and the whole batch rolls back. Of two requests that read
 * the same version, only one commits.
 */
export function claimUsers(db: Db, userIds: string[], read: UserVersions): Statement[] {
  if (!userIds.length) return [];
  return [
    db
      .insert(userVersions)
      .values(userIds.map((userId) => ({ userId, version: (read.get(userId) ?? 0) + 1 })))
      .onConflictDoUpdate({
        target: userVersions.userId,
        set: {
          version: sql`case when ${userVersions.version} + 1 = excluded.version then excluded.version else 0 end`,
        },
      }),
  ];
}

export class RetriesExhausted extends Error {
  constructor(tries: number, cause: unknown) {
    super(`the write lost ${tries} races for the same rows in a row; nothing was stored`, { cause });
  }
}

/**
 * Runs read → decide → commit until a commit holds: `attempt` reads afresh and returns the
 * statements to commit with the value to answer. A batch refused by a guard, or as busy,
 * stored nothing, so it can simply be decided again. After `tries` the caller answers 500.
 */
export function commitWithRetries<T>(
  db: Db,
  attempt: () => Promise<{ statements: Statement[]; value: T }>,
  tries?: number,
): Promise<T> {
  return commitAnswering(async () => {
    const { statements, value } = await attempt();
    const [first, ...rest] = statements;
    return async () => {
      if (first) await db.batch([first, ...rest]);
      return value;
    };
  }, tries);
}

/**
 * The same loop for a write whose answer needs what its batch returns (the subscriptions a
 * repush marked, the row as it was before): `attempt` reads what the decision needs and returns
 * the commit, one `db.batch` that maps its own results.
 */
export async function commitAnswering<T>(attempt: () => Promise<() => Promise<T>>, tries = 6): Promise<T> {
  for (let n = 1; ; n++) {
    const commit = await attempt();
    try {
      return await commit();
    } catch (error) {
      if (!isStaleRead(error) && !isBusy(error)) throw error;
      if (n >= tries) throw new RetriesExhausted(tries, error);
      // A short, growing, jittered pause: the winner has committed by now; more contenders
      // for one user spread out.
      await new Promise((r) => setTimeout(r, 5 * n + Math.random() * 20 * n));
    }
  }
}
