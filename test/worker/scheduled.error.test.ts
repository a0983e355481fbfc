import { createScheduledController, env } from 'cloudflare:test';
import { eq } from 'drizzle-orm';
import { describe, expect, it, vi } from 'vitest';
import { getConfig } from '../../src/config';
import { createDb } from '../../src/db/client';
import { eventLog } from '../../src/db/schema';
import { handleScheduled, scheduledJobs } from '../../src/handlers';
import { uid } from '../support/worker';

const DAY = 86_400_000;

describe('the scheduled run', () => {
  it('runs every job when one throws, and logs the failure with the job name', async () => {
    const config = getConfig(env);
    const db = createDb(config);
    const user = uid('cron-independent');
    await db.insert(eventLog).values({ at: Date.now() - 400 * DAY, kind: 'test.cron', userId: user, outcome: 'old' });
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      // The sweep runs first: before, its throw skipped notices, prune and reconciliation.
      const jobs = {
        ...scheduledJobs,
        sweep: async () => {
          throw new Error('database briefly unreachable');
        },
      };
      const { failed } = await handleScheduled(config, createScheduledController({ cron: '*/5 * * * *' }), jobs);
      expect(failed).toEqual(['sweep']);
      // The prune ran after it: the 400-day-old entry is gone.
      expect(await db.select().from(eventLog).where(eq(eventLog.userId, user))).toEqual([]);
      const lines = errors.mock.calls.map(([line]) => JSON.parse(String(line)));
      expect(lines).toContainEqual(
        expect.objectContaining({
          msg: 'scheduled job failed',
          job: 'sweep',
          error: expect.stringContaining('briefly'),
        }),
      );
    } finally {
      errors.mockRestore();
    }
  });
});
