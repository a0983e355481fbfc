import type { Config } from '../config';
import type { Db } from '../db/client';
import { duePending, markSwept } from '../db/subscriptions-push';
import { enqueueAfterCommit, syncMessages } from '../schemas/queue';

/** One sweep enqueues at most this many; the next run continues where it stopped. */
export const SWEEP_LIMIT = 2000;

/**
 * Nothing lost: every transfer still pending after SWEEP_PENDING_AFTER_SECONDS (a lost queue
 * message, a crash, a refused login that works again) is enqueued again; none while transfers
 * are paused (duePending checks it), since resuming sends what waited. Its clock moves on so the
 * next sweep gives the queue the same grace period before re-sending.
 */
export async function sweepPending(config: Config, db: Db, now = Date.now()): Promise<number> {
  const cutoff = now - config.SWEEP_PENDING_AFTER_SECONDS * 1000;
  const due = await duePending(db, cutoff, SWEEP_LIMIT);
  if (!due.length) return 0;
  const ids = due.map((r) => r.id);
  for (let i = 0; i < ids.length; i += 100) await markSwept(db, ids.slice(i, i + 100), now);
  await enqueueAfterCommit(config.SYNC_QUEUE, syncMessages(ids));
  return ids.length;
}
