import { env } from 'cloudflare:test';
import { eq } from 'drizzle-orm';
import { expect, vi } from 'vitest';
import { getConfig } from '../../src/config';
import { createDb } from '../../src/db/client';
import { notices } from '../../src/db/schema';
import { createNotice } from '../../src/notify/notices';
import { uid } from './worker';

/** Helpers for the admin writes' round-trip and race tests. */

export interface AdminWriteLine {
  method: string;
  route: string;
  status: number;
  dbRoundTrips: number;
  providerDbRoundTrips: number;
}

/**
 * Starts listening to the worker's log (it runs in this isolate, so a spy on console.log reads
 * its lines); the returned function stops and answers the one `admin write` line logged since.
 */
export function adminWriteLogged(): () => AdminWriteLine {
  const spy = vi.spyOn(console, 'log');
  return () => {
    const lines = spy.mock.calls
      .map(([line]) => (typeof line === 'string' && line.startsWith('{') ? JSON.parse(line) : null))
      .filter((l): l is AdminWriteLine & { msg: string } => l?.msg === 'admin write');
    spy.mockRestore();
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
    .set({ status: 'failed', attempts: 9, nextAttemptAt: null, lastStatus: 503, lastError: 'HTTP 503' })
    .where(eq(notices.id, id ?? ''));
  return { id: id ?? '', userId };
}
