import { env } from 'cloudflare:test';
import { eq } from 'drizzle-orm';
import { expect } from 'vitest';
import { getConfig } from '../../src/config';
import { createDb } from '../../src/db/client';
import { notices } from '../../src/db/schema';
import { createNotice } from '../../src/notify/notices';
import { logLines } from './log-lines';
import { uid } from './worker';

/** Helpers for the admin write tests: their log lines, and notices to retry. */

export interface AdminWriteLine {
  method: string;
  route: string;
  status: number;
  dbRoundTrips: number;
  providerDbRoundTrips: number;
}

/** Starts listening to the worker's log; the returned function stops and answers the one `admin write` line logged since. */
export function adminWriteLogged(): () => AdminWriteLine {
  const stop = logLines<AdminWriteLine & { msg: string }>('admin write');
  return () => {
    const lines = stop();
    expect(lines).toHaveLength(1);
    const [line] = lines;
    if (!line) throw new Error('no admin write line');
    return line;
  };
}

/** A notice whose deliveries ended failed (the portal was down for the whole retry window). */
export async function failedNotice(userId = uid('u')): Promise<{ id: string; userId: string }> {
  const db = createDb(getConfig(env));
  const id = await createNotice(db, {
    type: 'subscription.cancelled',
    userId,
    subscriptionId: null,
    data: { userId, newsletterId: uid('nl') },
    source: 'unsubscribe-link',
  });
  await db
    .update(notices)
    .set({
      status: 'failed',
      attempts: 9,
      nextAttemptAt: null,
      lastStatus: 503,
      lastError: 'The portal answered HTTP 503',
    })
    .where(eq(notices.id, id ?? ''));
  return { id: id ?? '', userId };
}
