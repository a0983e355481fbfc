import { Hono } from 'hono';
import type * as v from 'valibot';
import { countAlertsByStatus } from '../../db/alerts';
import type { Db } from '../../db/client';
import { countAttemptsSince, countDeadLetters } from '../../db/event-log';
import { countNoticesByStatus } from '../../db/notice-counts';
import { findSession } from '../../db/provider-sessions';
import { countByStateAndStatus, oldestPendingSince } from '../../db/subscriptions';
import { readPause } from '../../db/transfer-pause';
import type { Stats } from '../../schemas/admin';
import type { AppEnv } from '../context';
import { pauseView } from '../pause-view';

const HOUR_MS = 3_600_000;

/** `GET /v1/admin/stats`: counts from the database only; it never calls the provider. */
export const statsApp = new Hono<AppEnv>().get('/', async (c) => c.json(await stats(c.var.db, c.var.providerName)));

export async function stats(db: Db, providerName: string, now = Date.now()): Promise<v.InferOutput<typeof Stats>> {
  const [grid, oldest, attempts, deadLettered, noticeCounts, session, [pause], alertCounts] = await Promise.all([
    countByStateAndStatus(db),
    oldestPendingSince(db),
    countAttemptsSince(db, now - HOUR_MS),
    countDeadLetters(db),
    countNoticesByStatus(db),
    findSession(db, providerName),
    readPause(db),
    countAlertsByStatus(db),
  ]);
  const byState = { subscribed: 0, unsubscribed: 0, deleted: 0 };
  const byTransferStatus = { pending: 0, synced: 0, failed: 0 };
  for (const row of grid) {
    byState[row.state] += row.n;
    byTransferStatus[row.status] += row.n;
  }
  const byOutcome: Record<string, number> = {};
  for (const row of attempts) byOutcome[row.outcome ?? 'unknown'] = row.n;
  const noticeStatus = { pending: 0, delivered: 0, failed: 0 };
  for (const row of noticeCounts) noticeStatus[row.status] += row.n;
  const alertStatus = { pending: 0, delivered: 0, failed: 0 };
  for (const row of alertCounts) alertStatus[row.status] += row.n;
  const login = session[0];
  const refused = login?.loginError ?? null;
  return {
    generatedAt: new Date(now).toISOString(),
    subscriptions: { total: grid.reduce((sum, r) => sum + r.n, 0), byState, byTransferStatus },
    oldestPendingAgeSeconds: oldest == null ? null : Math.max(0, Math.round((now - oldest) / 1000)),
    attemptsLastHour: { total: attempts.reduce((sum, r) => sum + r.n, 0), byOutcome },
    deadLettered: deadLettered[0]?.n ?? 0,
    notices: noticeStatus,
    alerts: alertStatus,
    transfers: { pause: pauseView(pause, now) },
    provider: {
      name: providerName,
      login: refused ? 'refused' : login?.accessToken ? 'ok' : 'unknown',
      error: refused,
      since: refused && login?.loginErrorAt ? new Date(login.loginErrorAt).toISOString() : null,
      // A refused login keeps transfers pending (contract §6); say so where admins look.
      transfersWaiting: refused !== null && byTransferStatus.pending > 0,
      reason: refused ? `transfers wait because the login is refused: ${refused}` : null,
    },
  };
}
