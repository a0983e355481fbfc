import { Hono } from 'hono';
import type * as v from 'valibot';
import { oldestPendingSince } from '../db/subscriptions';
import { readPause } from '../db/transfer-pause';
import { describeError, log } from '../lib/log';
import { ProviderError } from '../ports/provider-errors';
import type { Health } from '../schemas/common';
import type { AppEnv } from './context';
import { healthPause } from './pause-view';

/**
 * `GET /health` (no auth): can the worker do its job? 200 when the database answers and the
 * provider login works, 503 otherwise, with the reason and the oldest pending transfer's age.
 * It reveals no personal data and no configuration values.
 */
export const healthApp = new Hono<AppEnv>().get('/', async (c) => {
  const { db, provider } = c.var;
  const checks: v.InferOutput<typeof Health>['checks'] = { database: { ok: false }, provider: { ok: false } };
  let oldestPendingAgeSeconds: number | null = null;
  let pause: v.InferOutput<typeof Health>['pause'] = null;
  try {
    const [oldest, [paused]] = await Promise.all([oldestPendingSince(db), readPause(db)]);
    oldestPendingAgeSeconds = oldest ? Math.round((Date.now() - oldest) / 1000) : null;
    pause = healthPause(paused);
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
  // A pause is an admin's choice, not a fault: 200, with the status and the pause saying so.
  const answer: v.InferOutput<typeof Health> = {
    status: !ok ? 'degraded' : pause ? 'paused' : 'ok',
    checks,
    pause,
    oldestPendingAgeSeconds,
  };
  return c.json(answer, ok ? 200 : 503);
});
