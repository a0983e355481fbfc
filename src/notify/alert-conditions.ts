/**
 * Which alert conditions stand, from a snapshot of counts (pure, so every case is tested without
 * a database). Each condition carries counts and ids only: an alert never names an address or a
 * person.
 */

export type AlertCondition =
  | 'failed-transfers'
  | 'unsubscribe-waiting'
  | 'login-refused'
  | 'consent-conflicts'
  | 'notices-failing'
  | 'long-pause';

export interface AlertSnapshot {
  failedTransfers: number;
  /** Failed transfers per newsletter id (the ones with most first is the caller's order). */
  failedByNewsletter: { newsletterId: string; n: number }[];
  /** Start of the oldest pending cancellation or erasure, or null. */
  oldestPendingUnsubscribe: number | null;
  pendingUnsubscribes: number;
  /** The provider's refusal of the login or key, when one stands. */
  loginRefusedAt: number | null;
  /** The newest finished reconciliation run and how many consent conflicts it found. */
  latestRun: { id: string; consentConflicts: number } | null;
  /** Notices to the portal that failed for good, and pending ones already refused at least once. */
  noticesFailed: number;
  noticesRetrying: number;
  pausedAt: number | null;
}

export interface AlertSettings {
  failedThreshold: number;
  unsubscribeAgeHours: number;
  pauseAlertHours: number;
}

export interface Standing {
  condition: AlertCondition;
  /** Counts and ids for the message. */
  detail: Record<string, string | number | string[]>;
  /** One line a person reads in Slack or Teams. */
  text: string;
}

const HOUR_MS = 3_600_000;
const hours = (ms: number) => Math.floor(ms / HOUR_MS);

export function standingConditions(s: AlertSnapshot, settings: AlertSettings, now: number): Standing[] {
  const out: Standing[] = [];
  if (s.failedTransfers > settings.failedThreshold) {
    const newsletters = s.failedByNewsletter.slice(0, 10).map((f) => `${f.newsletterId} (${f.n})`);
    out.push({
      condition: 'failed-transfers',
      detail: { failed: s.failedTransfers, threshold: settings.failedThreshold, newsletters },
      text: `${s.failedTransfers} transfers have failed (alert above ${settings.failedThreshold}): ${newsletters.join(', ')}`,
    });
  }
  if (
    s.oldestPendingUnsubscribe !== null &&
    now - s.oldestPendingUnsubscribe > settings.unsubscribeAgeHours * HOUR_MS
  ) {
    const age = hours(now - s.oldestPendingUnsubscribe);
    out.push({
      condition: 'unsubscribe-waiting',
      detail: { oldestHours: age, pending: s.pendingUnsubscribes, limitHours: settings.unsubscribeAgeHours },
      text: `An unsubscribe has waited ${age} hours to reach the provider (${s.pendingUnsubscribes} waiting); Gmail and Yahoo require unsubscribes honoured within 48 hours`,
    });
  }
  if (s.loginRefusedAt !== null)
    out.push({
      condition: 'login-refused',
      detail: { since: new Date(s.loginRefusedAt).toISOString() },
      text: 'The provider refuses the login (or API key): every transfer waits until it is fixed',
    });
  if (s.latestRun && s.latestRun.consentConflicts > 0)
    out.push({
      condition: 'consent-conflicts',
      detail: { runId: s.latestRun.id, conflicts: s.latestRun.consentConflicts },
      text: `Reconciliation ${s.latestRun.id} found ${s.latestRun.consentConflicts} consent conflicts: the portal was told, it decides`,
    });
  if (s.noticesFailed + s.noticesRetrying > 0)
    out.push({
      condition: 'notices-failing',
      detail: { failed: s.noticesFailed, retrying: s.noticesRetrying },
      text: `Notices to the portal are failing: ${s.noticesFailed} failed for good, ${s.noticesRetrying} being retried`,
    });
  if (s.pausedAt !== null && now - s.pausedAt > settings.pauseAlertHours * HOUR_MS) {
    const age = hours(now - s.pausedAt);
    out.push({
      condition: 'long-pause',
      detail: { pausedHours: age, since: new Date(s.pausedAt).toISOString() },
      text: `Transfers have been paused for ${age} hours: unsubscribes wait too, and past 48 hours the rule Gmail and Yahoo set for honouring them is broken`,
    });
  }
  return out;
}

export interface AlertChange {
  condition: AlertCondition;
  state: 'started' | 'ended';
  detail: Record<string, unknown>;
  text: string;
}

/** What to send: conditions that started, and those that ended, against what was standing. */
export function alertChanges(
  standing: Standing[],
  before: { condition: string; detail: Record<string, unknown> }[],
): AlertChange[] {
  const now = new Map(standing.map((s) => [s.condition, s]));
  const was = new Map(before.map((b) => [b.condition, b]));
  const changes: AlertChange[] = [];
  for (const s of standing)
    if (!was.has(s.condition))
      changes.push({ condition: s.condition, state: 'started', detail: s.detail, text: s.text });
  for (const b of before)
    if (!now.has(b.condition as AlertCondition))
      changes.push({
        condition: b.condition as AlertCondition,
        state: 'ended',
        detail: b.detail,
        text: `Resolved: ${ENDED[b.condition as AlertCondition] ?? b.condition}`,
      });
  return changes;
}

const ENDED: Record<AlertCondition, string> = {
  'failed-transfers': 'failed transfers are back at or below the threshold',
  'unsubscribe-waiting': 'no unsubscribe waits longer than the alert age',
  'login-refused': 'the provider accepts the login again',
  'consent-conflicts': 'the latest reconciliation found no consent conflict',
  'notices-failing': 'notices to the portal are delivered again',
  'long-pause': 'transfers are no longer paused',
};
