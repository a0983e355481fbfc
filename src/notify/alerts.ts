import type { Config } from '../config';
import { alertSnapshotReads, endAlert, startAlert } from '../db/alerts';
import type { Db } from '../db/client';
import { insertNotice } from '../db/notices';
import type { Statement } from '../db/write-batch';
import { log } from '../lib/log';
import { enqueueAfterCommit } from '../schemas/queue';
import { type AlertChange, type AlertSnapshot, alertChanges, standingConditions } from './alert-conditions';
import { noticeMessages } from './notices';

/** A pause alerts after this long (half the 48 hours Gmail and Yahoo allow for unsubscribes). */
const PAUSE_ALERT_HOURS = 24;

/**
 * The scheduled run's alert job. With ALERT_WEBHOOK_URL set, it reads what the conditions are
 * computed from in one batch, and sends a message when a condition starts and when it ends,
 * never in between: the standing ones are stored (alert_states). The messages are notices with
 * the destination `alerts`, so they are delivered, signed and retried like the portal's notices
 * (notify/deliver.ts), with ALERT_SIGNING_SECRET; the stats count them apart.
 */
export async function evaluateAlerts(
  config: Config,
  db: Db,
  now = Date.now(),
): Promise<{ started: number; ended: number }> {
  if (!config.ALERT_WEBHOOK_URL) return { started: 0, ended: 0 };
  const [failed, unsubscribes, session, runs, noticeRows, pause, states] = await db.batch(
    alertSnapshotReads(db, config.PROVIDER),
  );
  const snapshot: AlertSnapshot = {
    failedTransfers: failed.reduce((sum, f) => sum + f.n, 0),
    failedByNewsletter: failed,
    oldestPendingUnsubscribe: unsubscribes[0]?.oldest ?? null,
    pendingUnsubscribes: unsubscribes[0]?.n ?? 0,
    loginRefusedAt: session[0]?.error ? (session[0].at ?? now) : null,
    latestRun: runs[0] ? { id: runs[0].id, consentConflicts: runs[0].counts.consent_conflict ?? 0 } : null,
    noticesFailed: noticeRows.find((r) => r.status === 'failed')?.n ?? 0,
    noticesRetrying: noticeRows.find((r) => r.status === 'pending')?.n ?? 0,
    pausedAt: pause[0]?.pausedAt ?? null,
  };
  const standing = standingConditions(
    snapshot,
    {
      failedThreshold: config.ALERT_FAILED_THRESHOLD,
      unsubscribeAgeHours: config.ALERT_UNSUBSCRIBE_AGE_HOURS,
      pauseAlertHours: PAUSE_ALERT_HOURS,
    },
    now,
  );
  const changes = alertChanges(standing, states);
  if (!changes.length) return { started: 0, ended: 0 };
  const statements: Statement[] = [];
  const ids: string[] = [];
  for (const change of changes) {
    const id = `alr_${change.condition}_${change.state}_${now}`;
    ids.push(id);
    statements.push(
      change.state === 'started'
        ? startAlert(db, change.condition, change.detail, now)
        : endAlert(db, change.condition),
      insertNotice(db, {
        id,
        type: 'alert',
        destination: 'alerts',
        userId: '',
        subscriptionId: null,
        body: alertBody(change, now),
        status: 'pending',
        nextAttemptAt: now,
        createdAt: now,
      }),
    );
  }
  const [first, ...rest] = statements;
  if (first) await db.batch([first, ...rest]);
  await enqueueAfterCommit(config.SYNC_QUEUE, noticeMessages(ids));
  const started = changes.filter((c) => c.state === 'started').length;
  log.info('alerts', {
    started,
    ended: changes.length - started,
    conditions: changes.map((c) => `${c.condition}:${c.state}`),
  });
  return { started, ended: changes.length - started };
}

/** A body Slack's and Teams' incoming webhooks show as its `text`; the rest for machines. */
export function alertBody(change: AlertChange, now: number): string {
  return JSON.stringify({
    text: `newsletter-bridge: ${change.text}`,
    type: 'alert',
    condition: change.condition,
    state: change.state,
    occurredAt: new Date(now).toISOString(),
    detail: change.detail,
  });
}
