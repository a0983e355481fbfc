import type { Config } from '../config';
import { backoffSeconds } from '../lib/backoff';

/**
 * When a notice is tried again (pure). The contract asks for retries over at least
 * NOTICE_RETRY_HOURS: a failed attempt made before that window has passed always schedules
 * another one, so the last attempt happens at or after the window's end, and only a failure
 * after it marks the notice failed. Delays grow exponentially with jitter, capped at
 * NOTICE_BACKOFF_MAX_SECONDS (a queue delay can be 12 h at most).
 */

export type NoticePolicy = Pick<
  Config,
  'NOTICE_RETRY_HOURS' | 'NOTICE_BACKOFF_BASE_SECONDS' | 'NOTICE_BACKOFF_MAX_SECONDS'
>;

export type AfterFailure = { status: 'pending'; nextAttemptAt: number; delaySeconds: number } | { status: 'failed' };

export function afterFailure(
  policy: NoticePolicy,
  notice: { attempts: number; createdAt: number },
  now: number,
  random: () => number = Math.random,
): AfterFailure {
  const deadline = notice.createdAt + policy.NOTICE_RETRY_HOURS * 3_600_000;
  if (now >= deadline) return { status: 'failed' };
  const delaySeconds = Math.max(
    1,
    backoffSeconds(
      notice.attempts,
      { baseSeconds: policy.NOTICE_BACKOFF_BASE_SECONDS, maxSeconds: policy.NOTICE_BACKOFF_MAX_SECONDS },
      random,
    ),
  );
  return { status: 'pending', nextAttemptAt: now + delaySeconds * 1000, delaySeconds };
}

/** A queue message for a notice not yet due waits until it is (at most 12 h per delay). */
export function waitSeconds(nextAttemptAt: number, now: number): number {
  return Math.min(43_200, Math.max(1, Math.ceil((nextAttemptAt - now) / 1000)));
}

/** One delivery holds a notice this long; a worker that dies mid-attempt frees it after. */
export const LEASE_MS = 120_000;
