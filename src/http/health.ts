import { Hono } from 'hono';
import type * as v from 'valibot';
import { oldestPendingSince } from '../db/subscriptions';
import { describeError, log } from '../lib/log';
import { ProviderError } from '../ports/provider-errors';
import type { Health } from '../schemas/common';
import type { AppEnv } from './context';

/**
 * `GET /health` (no auth): can the worker do its job? 200 when the database answers and the
 * provider login works, 503 otherwise, with the reason and the oldest pending transfer's age.
 * It reveals no personal data and no configuration values.
 */
export const healthApp = new Hono<AppEnv>().get('/', async (c) => {
  const { db, provider } = c.var;
  const checks: v.InferOutput<typeof Health>['checks'] = { database: { ok: false }, provider: { ok: false } };
  let oldestPendingAgeSeconds: number | null = null;
  try {
    const oldest = await oldestPendingSince(db);
    oldestPendingAgeSeconds = oldest ? Math.round((Date.now() - oldest) / 1000) : null;
    checks.database = { ok: true };
  } catch (error) {
    log.error('health: database check failed', { error: describeError(error) });
    checks.database = { ok: false, detail: 'the database did not answer' };
  }
  if (checks.database.ok) {
    try {
      await provider().checkLogin();
      checks.provider = { ok: true };
    } catch (error) {
      checks.provider = {
        ok: false,
        detail: !(error instanceof ProviderError)
          ? 'login failed'
          : error.kind === 'credentials'
            ? `login refused: ${error.failure.message} (transfers wait until the login works)`
            : `login failed: ${error.failure.message}`,
      };
    }
  } else {
    checks.provider = { ok: false, detail: 'not checked: the database is down' };
  }
  const ok = checks.database.ok && checks.provider.ok;
  const answer: v.InferOutput<typeof Health> = { status: ok ? 'ok' : 'degraded', checks, oldestPendingAgeSeconds };
  return c.json(answer, ok ? 200 : 503);
});
