import { env, SELF } from 'cloudflare:test';
import { eq } from 'drizzle-orm';
import { expect, inject } from 'vitest';
import { getConfig } from '../../src/config';
import { createDb } from '../../src/db/client';
import { eventLog, notices, receivedEvents, subscribers, subscriptions } from '../../src/db/schema';
import { noticesOfUser } from '../../src/notify/view';
import { admin, confirmed, postEvent, settled, subscriber, waitFor } from './worker';

/** Helpers for the unsubscribe-link and portal-notice tests: the reader's side and the portal's. */

export const config = () => getConfig(env);
export const database = () => createDb(config());

/** Subscribes a user to each newsletter, waits for the transfers, and returns each link. */
export async function subscribedTo(user: string, newsletterIds: string[], email = `${user}@example.com`) {
  for (const nl of newsletterIds) expect((await postEvent(confirmed(user, nl, email))).status).toBe(202);
  const view = await settled(user);
  const links = new Map(view.subscriptions.map((s) => [s.newsletterId, s.unsubscribeUrl]));
  return { email, view, link: (newsletterId: string) => links.get(newsletterId) ?? '' };
}

export function open(url: string, init: RequestInit = {}) {
  return SELF.fetch(url, { redirect: 'manual', ...init });
}

export function postForm(
  url: string,
  fields: Record<string, string>,
  encoding: 'urlencoded' | 'multipart' = 'urlencoded',
  headers: Record<string, string> = {},
) {
  if (encoding === 'urlencoded') {
    return open(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(fields).toString(),
    });
  }
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  return open(url, { method: 'POST', headers, body: form });
}

export async function states(user: string): Promise<Record<string, string>> {
  const view = await subscriber(user);
  return Object.fromEntries((view?.subscriptions ?? []).map((s) => [s.newsletterId, s.state]));
}

/** Everything the worker stores about a user, for "nothing changed" checks. */
export async function snapshot(user: string) {
  const db = database();
  return {
    subscriber: await db.select().from(subscribers).where(eq(subscribers.userId, user)),
    subscriptions: await db
      .select()
      .from(subscriptions)
      .where(eq(subscriptions.userId, user))
      .orderBy(subscriptions.id),
    received: await db
      .select()
      .from(receivedEvents)
      .where(eq(receivedEvents.userId, user))
      .orderBy(receivedEvents.eventId),
    log: await db.select().from(eventLog).where(eq(eventLog.userId, user)).orderBy(eventLog.id),
    notices: await db.select().from(notices).where(eq(notices.userId, user)).orderBy(notices.id),
  };
}

/** The stand-in portal (stack/portal-receiver.mjs) started by the global setup. */
export interface ReceivedNotice {
  at: string;
  id: string | undefined;
  verified: boolean | null;
  status: number;
  body: { type: string; occurredAt: string; source?: string; data: Record<string, string> };
}

export const portal = {
  received: async (filter: (n: ReceivedNotice) => boolean = () => true) => {
    const res = await fetch(`${inject('portalUrl')}/_receiver/received`);
    return ((await res.json()) as { received: ReceivedNotice[] }).received.filter(filter);
  },
  /** The next `count` notices get `status` (one receiver for all files: they run one at a time). */
  /** The next `count` notices about `match` (a userId) are answered with `status`. */
  fail: (count: number, status: number, match: string) =>
    fetch(`${inject('portalUrl')}/_receiver/fail`, { method: 'POST', body: JSON.stringify({ count, status, match }) }),
};

export const forUser = (user: string) => (n: ReceivedNotice) => n.body?.data?.userId === user;

export interface NoticeJson {
  id: string;
  type: string;
  subscriptionId: string | null;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
  nextAttemptAt: string | null;
  createdAt: string | null;
  deliveredAt: string | null;
}

/**
 * The user's notices as the admin JSON shows them. A user the worker knows only from notices
 * (made up by a test) has no subscriber view: their rows are read directly, in the same shape.
 */
export async function noticesOf(user: string): Promise<NoticeJson[]> {
  const res = await admin(`/v1/admin/subscribers/${encodeURIComponent(user)}`);
  if (res.status === 404) return noticesOfUser(database(), user);
  return ((await res.json()) as { notices: NoticeJson[] }).notices;
}

/** Waits until the user has `count` notices and none is pending. */
export function noticesSettled(user: string, count: number, timeoutMs = 20_000) {
  return waitFor(
    async () => {
      const all = await noticesOf(user);
      return all.length >= count && all.every((n) => n.status !== 'pending') && all;
    },
    `${count} settled notices of ${user}`,
    timeoutMs,
  );
}
