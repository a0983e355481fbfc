import { describe, expect, it } from 'vitest';
import { type AlertSnapshot, alertChanges, standingConditions } from '../../src/notify/alert-conditions';

/** When an alert starts and ends (pure): each condition at its edge, and never a message in between. */

const NOW = Date.parse('2026-12-02T12:00:00Z');
const HOUR = 3_600_000;
const quiet: AlertSnapshot = {
  failedTransfers: 0,
  failedByNewsletter: [],
  oldestPendingUnsubscribe: null,
  pendingUnsubscribes: 0,
  loginRefusedAt: null,
  latestRun: null,
  noticesFailed: 0,
  noticesRetrying: 0,
  pausedAt: null,
};
const settings = { failedThreshold: 5, unsubscribeAgeHours: 24, pauseAlertHours: 24 };
const conditions = (over: Partial<AlertSnapshot>) =>
  standingConditions({ ...quiet, ...over }, settings, NOW).map((s) => s.condition);

describe('alert conditions', () => {
  it('stand for nothing when all is well', () => {
    expect(conditions({})).toEqual([]);
  });

  it('failed transfers above the threshold, naming newsletters and counts, never people', () => {
    expect(conditions({ failedTransfers: 5 })).toEqual([]);
    const [s] = standingConditions(
      { ...quiet, failedTransfers: 6, failedByNewsletter: [{ newsletterId: 'weekly', n: 6 }] },
      settings,
      NOW,
    );
    expect(s).toMatchObject({
      condition: 'failed-transfers',
      detail: { failed: 6, threshold: 5, newsletters: ['weekly (6)'] },
    });
    expect(s?.text).toBe('6 transfers have failed (alert above 5): weekly (6)');
  });

  it('an unsubscribe older than the alert age, saying the 48-hour rule', () => {
    expect(conditions({ oldestPendingUnsubscribe: NOW - 24 * HOUR, pendingUnsubscribes: 1 })).toEqual([]);
    const [s] = standingConditions(
      { ...quiet, oldestPendingUnsubscribe: NOW - 25 * HOUR, pendingUnsubscribes: 3 },
      settings,
      NOW,
    );
    expect(s).toMatchObject({ condition: 'unsubscribe-waiting', detail: { oldestHours: 25, pending: 3 } });
    expect(s?.text).toContain('48 hours');
  });

  it('a refused login, consent conflicts of the latest run, failing notices', () => {
    expect(conditions({ loginRefusedAt: NOW - 1000 })).toEqual(['login-refused']);
    expect(conditions({ latestRun: { id: 'rcn_1', consentConflicts: 0 } })).toEqual([]);
    expect(conditions({ latestRun: { id: 'rcn_1', consentConflicts: 2 } })).toEqual(['consent-conflicts']);
    expect(conditions({ noticesRetrying: 1 })).toEqual(['notices-failing']);
    expect(conditions({ noticesFailed: 1 })).toEqual(['notices-failing']);
  });

  it('a pause longer than 24 hours', () => {
    expect(conditions({ pausedAt: NOW - 23 * HOUR })).toEqual([]);
    expect(conditions({ pausedAt: NOW - 25 * HOUR })).toEqual(['long-pause']);
  });
});

describe('alert changes', () => {
  const standing = standingConditions({ ...quiet, loginRefusedAt: NOW, noticesFailed: 1 }, settings, NOW);

  it('a message when a condition starts, and none while it stands', () => {
    const first = alertChanges(standing, []);
    expect(first.map((c) => [c.condition, c.state])).toEqual([
      ['login-refused', 'started'],
      ['notices-failing', 'started'],
    ]);
    const stored = first.map((c) => ({ condition: c.condition, detail: c.detail }));
    expect(alertChanges(standing, stored)).toEqual([]);
  });

  it('a message when it ends, with what the start said', () => {
    const stored = [{ condition: 'login-refused', detail: { since: 'then' } }];
    expect(alertChanges([], stored)).toEqual([
      {
        condition: 'login-refused',
        state: 'ended',
        detail: { since: 'then' },
        text: 'Resolved: the provider accepts the login again',
      },
    ]);
  });
});
