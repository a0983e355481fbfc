import type { Config } from '../config';
import type { Db } from '../db/client';
import { getNotice, makeFailedNoticesDue, makeNoticeDue } from '../db/notices';
import { enqueueAfterCommit } from '../schemas/queue';
import { deliverNotice } from './deliver';
import { noticeMessages } from './notices';
import { noticeView } from './view';

/**
 * Admin retries (contract §4: "their state is visible in the admin JSON and they can be
 * retried there"). A retry is one more attempt now: a notice past its retry window that
 * fails again goes straight back to `failed`, so an admin retries once the portal is back
 * rather than starting another 72 hours of attempts.
 */

/**
 * Retries one notice now and answers its state afterwards; null for an unknown id. A
 * delivered notice is left as it is (the portal has it).
 */
export async function retryNotice(db: Db, config: Config, id: string, now = Date.now()) {
  // Due now even if a backoff was waiting. Should an attempt already be in flight, the portal
  // may get the notice twice: it drops the repeat by its webhook-id.
  const [due] = await makeNoticeDue(db, id, now);
  if (due) await deliverNotice(config, db, id, now);
  const after = await getNotice(db, id);
  return after ? noticeView(after) : null;
}

/** Every failed notice (optionally of one user) becomes pending and is enqueued. */
export async function retryFailedNotices(db: Db, config: Config, options: { userId?: string } = {}, now = Date.now()) {
  const rows = await makeFailedNoticesDue(db, now, options.userId);
  const ids = rows.map((r) => r.id);
  // The scheduled run delivers whatever the queue does not: these are due from now on.
  await enqueueAfterCommit(config.SYNC_QUEUE, noticeMessages(ids));
  return { retried: ids.length, ids };
}
