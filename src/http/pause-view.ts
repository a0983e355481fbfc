import type * as v from 'valibot';
import type { TransferPause } from '../db/schema';
import type { PauseState } from '../schemas/admin';

/** Past this, the pause's view warns: half the 48 hours the mailbox providers allow for unsubscribes. */
export const PAUSE_WARNING_HOURS = 24;

/** The pause as /health shows it: null, or when and why. */
export function healthPause(row: TransferPause | undefined | null, now = Date.now()) {
  return row
    ? { since: new Date(row.pausedAt).toISOString(), reason: row.reason, pausedForSeconds: secondsSince(row, now) }
    : null;
}

const secondsSince = (row: TransferPause, now: number) => Math.max(0, Math.round((now - row.pausedAt) / 1000));

/** The pause as the stats, the subscriber view and the pause route show it. */
export function pauseView(row: TransferPause | undefined | null, now = Date.now()): v.InferOutput<typeof PauseState> {
  if (!row) return { paused: false, since: null, reason: null, pausedForSeconds: null, warning: null };
  const pausedForSeconds = secondsSince(row, now);
  return {
    paused: true,
    since: new Date(row.pausedAt).toISOString(),
    reason: row.reason,
    pausedForSeconds,
    warning:
      pausedForSeconds > PAUSE_WARNING_HOURS * 3600
        ? `Transfers have been paused for more than ${PAUSE_WARNING_HOURS} hours: unsubscribes wait too, and past 48 hours the rule Gmail and Yahoo set for honouring them is broken`
        : null,
  };
}
