import { Hono } from 'hono';
import { sql } from 'drizzle-orm';
import { subscriptions } from '../db/schema';
import { createProvider } from '../providers';
import { ProviderError } from '../providers/errors';
import { describeError, log } from '../lib/log';
import type { AppEnv } from './context';

/**
 * `GET /health` (no auth): can the worker do its job? 200 when the database answers and the
 * provider login works, 503 otherwise, with the reason and the oldest pending transfer's age.
 * It reveals no personal data and no configuration values.
 */
export const healthApp = new Hono<AppEnv>().get('/', async (c) => {
  const { db, config } = c.var;
  const checks: Record<string, { ok: boolean; detail?: string }> = {};
  let oldestPendingAgeSeconds: number | null = null;
  try {
    const [row] = await db
      .select({ oldest: sql<number | null>`min(${subscriptions.pendingSince})` })
      .from(subscriptions)
      .where(sql`${subscriptions.transferStatus} = 'pending'`);
    oldestPendingAgeSeconds = row?.oldest ? Math.round((Date.now() - row.oldest) / 1000) : null;
    checks.database = { ok: true };
  } catch (error) {
    log.error('health: database check failed', { error: describeError(error) });
    checks.database = { ok: false, detail: 'the database did not answer' };
  }
  if (checks.database.ok) {
    try {
      await createProvider(config, db).checkLogin();
      checks.provider = { ok: true };
    } catch (error) {
      checks.provider = {
        ok: false,
        detail: error instanceof ProviderError ? `${error.kind === 'credentials' ? 'login refused' : 'login failed'}: ${error.failure.message}` : 'login failed',
      };
    }
  } else {
    checks.provider = { ok: false, detail: 'not checked: the database is down' };
  }
  const ok = Object.values(checks).every((x) => x.ok);
  return c.json({ status: ok ? 'ok' : 'degraded', checks, oldestPendingAgeSeconds }, ok ? 200 : 503);
});
