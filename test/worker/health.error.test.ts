import { SELF } from 'cloudflare:test';
import * as v from 'valibot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Stats } from '../../src/schemas/admin';
import { Health } from '../../src/schemas/common';
import { adminToolsFor } from '../support/admin';
import { type Lane, openLane } from '../support/lane';
import { TEST_LISTS } from '../support/settings';
import { confirmed, uid } from '../support/worker';

const LIST = TEST_LISTS[2].id;
const REFUSAL = 'Invalid username and password combination';

/** A refused login is account-wide: the test has a lane, so other files keep a working login. */
describe('Newsletter2Go refuses the login (contract §6)', () => {
  const newsletterId = uid('login');
  let lane: Lane;

  async function health() {
    const res = await lane.fetch(new Request('http://bridge.test/health'));
    return {
      status: res.status,
      body: (await res.json()) as {
        status: string;
        checks: { database: { ok: boolean }; provider: { ok: boolean; detail?: string } };
        oldestPendingAgeSeconds: number | null;
      },
    };
  }
  const stats = () => adminToolsFor(lane.fetch).adminJson('/v1/admin/stats', Stats);

  beforeAll(async () => {
    lane = await openLane();
    await lane.mapNewsletter(newsletterId, LIST);
    const warm = uid('u');
    await lane.postEvent(confirmed(warm, newsletterId, `${warm}@example.com`));
    await lane.settled(warm); // a stored login exists before the credentials stop working
  });
  afterAll(async () => {
    await lane.close();
  });

  it('keeps transfers pending, says why in /health and the stats, and resumes them once the login works', async () => {
    const rule = await lane.emulator.rule({
      kind: 'status',
      status: 400,
      pathPrefix: '/oauth/v2/token',
      times: 10_000,
      body: { error: 'invalid_grant', error_description: REFUSAL },
    });
    await lane.emulator.expireTokens({ access: true, refresh: true });

    const user = uid('u');
    await lane.postEvent(confirmed(user, newsletterId, `${user}@example.com`));
    await lane.drain();
    const waiting = await lane.subscriber(user);
    expect(waiting?.timeline.some((t) => t.kind === 'attempt' && t.outcome === 'wait')).toBe(true);
    expect(waiting?.subscriptions[0]?.transfer).toMatchObject({
      status: 'pending',
      label: 'Übertragung ausstehend',
      attempts: 0,
    });

    const down = await health();
    expect(down.status).toBe(503);
    expect(down.body.status).toBe('degraded');
    expect(down.body.checks.database.ok).toBe(true);
    expect(down.body.checks.provider).toEqual({
      ok: false,
      detail: `login refused: ${REFUSAL} (transfers wait until the login works)`,
    });
    expect(down.body.oldestPendingAgeSeconds).toEqual(expect.any(Number));

    const refused = await stats();
    expect(refused.provider).toMatchObject({
      login: 'refused',
      error: REFUSAL,
      transfersWaiting: true,
      reason: `transfers wait because the login is refused: ${REFUSAL}`,
    });
    expect(refused.subscriptions.byTransferStatus.pending).toBe(1);

    // A sweep while the login is still refused tries no login (N2G_LOGIN_RETRY_SECONDS) and
    // fails nothing: a refused login never turns into a failed transfer.
    const sweep = { ...lane.env, SWEEP_PENDING_AFTER_SECONDS: '0' };
    await lane.scheduled('*/5 * * * *', sweep);
    await lane.drain();
    expect((await lane.subscriber(user))?.subscriptions[0]?.transfer).toMatchObject({ status: 'pending', attempts: 0 });

    await lane.emulator.removeRule(rule.id);
    await new Promise((r) => setTimeout(r, 1100)); // N2G_LOGIN_RETRY_SECONDS = 1 under test
    await lane.scheduled('*/5 * * * *', sweep);
    const after = await lane.settled(user);
    expect(after.subscriptions[0]?.transfer).toMatchObject({ status: 'synced', attempts: 1 });
    expect(await lane.emulator.find(LIST, `${user}@example.com`)).toMatchObject({ is_unsubscribed: false });

    const up = await health();
    expect(up.status).toBe(200);
    expect(up.body).toMatchObject({ status: 'ok', checks: { database: { ok: true }, provider: { ok: true } } });
    expect((await stats()).provider).toMatchObject({ login: 'ok', error: null, transfersWaiting: false, reason: null });
  });

  it('answers the documented shape whatever the state', async () => {
    for (const res of [
      await SELF.fetch('http://bridge.test/health'),
      await lane.fetch(new Request('http://bridge.test/health')),
    ]) {
      expect(v.safeParse(Health, await res.json()).success).toBe(true);
    }
  });
});
