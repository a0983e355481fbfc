/**
 * Restart drills, the short version (`npm run drill:restart` runs 2,000 events each): a seeded
 * portal history sent as the portal would, while wrangler's whole process group, then the libSQL
 * server, is killed with SIGKILL and started again mid-run; the sender retries what was refused.
 * Each drill must end with every subscription in its right final state at the emulator, every
 * transfer synced, every event recorded once, no recipient twice (stack/restart-drill.mjs), and
 * prints its summary. RESTART_DRILL_EVENTS sets the size of each drill.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runRestartDrill, startDrillStack } from '../../stack/restart-drill.mjs';

const EVENTS = Number(process.env.RESTART_DRILL_EVENTS ?? 100);
const SEED = Number(process.env.RESTART_DRILL_SEED ?? 17);
// A drill may wait for what a killed part left behind: a write lock until the database expires
// the dead worker's stream (30 s), a consumer's lease (up to 220 s with the drill's settings).
const DRILL_TIMEOUT_MS = 600_000 + EVENTS * 200;

describe(`restart drills, ${EVENTS} events each`, () => {
  let stack: Awaited<ReturnType<typeof startDrillStack>>;

  beforeAll(async () => {
    stack = await startDrillStack();
  }, 180_000);

  afterAll(async () => {
    await stack?.stop();
  }, 60_000);

  it(
    "wrangler's process group SIGKILLed and started again mid-run: nothing lost, nothing twice",
    async () => {
      const { summary } = await runRestartDrill(stack, {
        events: EVENTS,
        restart: 'worker',
        seed: SEED,
        log: () => {},
      });
      console.log(JSON.stringify(summary));
      expect(summary.restarts).toHaveLength(1);
      expect(summary.checked.users).toBe(summary.users);
      expect(summary.checked.eventIds).toBe(summary.webhookIds);
    },
    DRILL_TIMEOUT_MS,
  );

  it(
    'the libSQL server SIGKILLed and started again mid-run: nothing lost, nothing twice',
    async () => {
      const { summary, recheck } = await runRestartDrill(stack, {
        events: EVENTS,
        restart: 'libsql',
        seed: SEED + 100,
        log: () => {},
      });
      console.log(JSON.stringify(summary));
      expect(summary.restarts).toHaveLength(1);
      expect(summary.checked.users).toBe(summary.users);
      expect(summary.checked.eventIds).toBe(summary.webhookIds);

      // The end check itself: a second recipient of a subscribed reader (their other address) is found.
      const { recipients } = (await (await fetch(`${stack.emulatorUrl}/_emulator/state`)).json()) as {
        recipients: { list_id: string; email: string; is_unsubscribed: boolean }[];
      };
      const subscribed = recipients.find((r) => r.email.startsWith('libsql-restart-') && !r.is_unsubscribed);
      expect(subscribed).toBeDefined();
      const res = await fetch(`${stack.emulatorUrl}/_emulator/recipients`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          list_id: subscribed?.list_id,
          email: subscribed?.email.replace(/-(\d)@/, (_, n) => `-${1 - Number(n)}@`),
        }),
      });
      expect(res.status).toBeLessThan(300);
      const { problems } = await recheck();
      expect(problems.join('\n')).toMatch(/2 recipients/);
    },
    DRILL_TIMEOUT_MS,
  );
});
