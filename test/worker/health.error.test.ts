import { createScheduledController, env, SELF } from 'cloudflare:test';
import * as v from 'valibot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getConfig } from '../../src/config';
import { handleScheduled } from '../../src/handlers';
import { Stats } from '../../src/openapi/shapes/admin';
import { Health } from '../../src/openapi/shapes/common';
import { adminJson } from '../support/admin';
import { emulator } from '../support/emulator';
import { TEST_LISTS } from '../support/settings';
import { confirmed, mapNewsletter, postEvent, settled, subscriber, uid, waitFor } from '../support/worker';

const LIST = TEST_LISTS[2]!.id;
const REFUSAL = 'Invalid username and password combination';

async function health() {
  const res = await SELF.fetch('http://bridge.test/health');
  return { status: res.status, body: (await res.json()) as { status: string; checks: { database: { ok: boolean }; provider: { ok: boolean; detail?: string } }; oldestPendingAgeSeconds: number | null } };
}

const removeRule = (id: number) => fetch(`${emulator.url()}/_emulator/rules/${id}`, { method: 'DELETE' });

describe('Newsletter2Go refuses the login (contract §6)', () => {
  const newsletterId = uid('login');
  let ruleId: number | null = null;

  beforeAll(async () => {
    await mapNewsletter(newsletterId, LIST);
    const warm = uid('u');
    await postEvent(confirmed(warm, newsletterId, `${warm}@example.com`));
    await settled(warm); // a stored login exists before the credentials stop working
  });

  afterAll(async () => {
    // Later files need a working login: lift the refusal and log in again.
    if (ruleId !== null) await removeRule(ruleId);
    await new Promise((r) => setTimeout(r, 1100));
    await waitFor(async () => (await health()).status === 200, 'a working login again', 10_000);
  });

  it('keeps transfers pending, says why in /health and the stats, and resumes them once the login works', async () => {
    const rule = await emulator.rule({ kind: 'status', status: 400, pathPrefix: '/oauth/v2/token', times: 10_000, body: { error: 'invalid_grant', error_description: REFUSAL } });
    ruleId = (rule as { id: number }).id;
    await emulator.expireTokens({ access: true, refresh: true });

    const user = uid('u');
    await postEvent(confirmed(user, newsletterId, `${user}@example.com`));
    const waiting = await waitFor(async () => {
      const view = await subscriber(user);
      return view?.timeline.some((t) => t.kind === 'attempt' && t.outcome === 'wait') ? view : null;
    }, 'the transfer to wait for the login');
    expect(waiting.subscriptions[0]?.transfer).toMatchObject({ status: 'pending', label: 'Übertragung ausstehend', attempts: 0 });

    const down = await health();
    expect(down.status).toBe(503);
    expect(down.body.status).toBe('degraded');
    expect(down.body.checks.database.ok).toBe(true);
    expect(down.body.checks.provider).toEqual({ ok: false, detail: `login refused: ${REFUSAL} (transfers wait until the login works)` });
    expect(down.body.oldestPendingAgeSeconds).toEqual(expect.any(Number));

    const stats = await adminJson('/v1/admin/stats', Stats);
    expect(stats.provider).toMatchObject({ login: 'refused', error: REFUSAL, transfersWaiting: true, reason: `transfers wait because the login is refused: ${REFUSAL}` });
    expect(stats.subscriptions.byTransferStatus.pending).toBeGreaterThanOrEqual(1);

    // Still pending a while later: a refused login never turns into a failed transfer.
    await new Promise((r) => setTimeout(r, 1500));
    expect((await subscriber(user))?.subscriptions[0]?.transfer.status).toBe('pending');

    await removeRule(ruleId);
    ruleId = null;
    await new Promise((r) => setTimeout(r, 1100)); // N2G_LOGIN_RETRY_SECONDS = 1 under test
    const config = getConfig(env);
    await handleScheduled({ ...config, SWEEP_PENDING_AFTER_SECONDS: 0 }, createScheduledController({ cron: '*/5 * * * *', scheduledTime: Date.now() }));
    const after = await settled(user);
    expect(after.subscriptions[0]?.transfer).toMatchObject({ status: 'synced', attempts: 1 });
    expect(await emulator.find(LIST, `${user}@example.com`)).toMatchObject({ is_unsubscribed: false });

    const up = await health();
    expect(up.status).toBe(200);
    expect(up.body).toMatchObject({ status: 'ok', checks: { database: { ok: true }, provider: { ok: true } } });
    const recovered = await adminJson('/v1/admin/stats', Stats);
    expect(recovered.provider).toMatchObject({ login: 'ok', error: null, transfersWaiting: false, reason: null });
  }, 60_000);

  it('answers the documented shape whatever the state', async () => {
    const res = await SELF.fetch('http://bridge.test/health');
    expect(v.safeParse(Health, await res.json()).success).toBe(true);
  });
});
