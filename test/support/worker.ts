import { SELF } from 'cloudflare:test';
import { expect } from 'vitest';
import { sign } from '../../src/lib/standard-webhooks';
import { TEST_SECRETS } from './settings';

/** Helpers for tests that drive the worker from outside, as the portal and admins do. */

let counter = 0;
/** Ids unique per run, so tests sharing one database never see each other's rows. */
export function uid(prefix: string): string {
  counter++;
  return `${prefix}-${Date.now().toString(36)}-${counter}-${Math.random().toString(36).slice(2, 7)}`;
}

export interface SignOptions {
  id?: string;
  timestamp?: number;
  secret?: string;
  path?: string;
}

export async function signedRequest(body: string, options: SignOptions = {}): Promise<Request> {
  const id = options.id ?? uid('msg');
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  const signature = await sign(options.secret ?? TEST_SECRETS.PORTAL_SIGNING_SECRET, id, timestamp, body);
  return new Request(`http://bridge.test${options.path ?? '/v1/events'}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signature,
    },
    body,
  });
}

export const at = (offsetMs = 0) => new Date(Date.now() - 60_000 + offsetMs).toISOString();

export function confirmed(
  userId: string,
  newsletterId: string,
  email: string,
  extra: Record<string, unknown> = {},
  occurredAt = at(),
) {
  return { type: 'subscription.confirmed', occurredAt, data: { userId, newsletterId, email, ...extra } };
}

export function updated(userId: string, email: string, extra: Record<string, unknown> = {}, occurredAt = at(1000)) {
  return { type: 'subscriber.updated', occurredAt, data: { userId, email, ...extra } };
}

export function cancelled(userId: string, newsletterId: string, occurredAt = at(2000)) {
  return { type: 'subscription.cancelled', occurredAt, data: { userId, newsletterId } };
}

export function deleted(userId: string, occurredAt = at(3000)) {
  return { type: 'user.deleted', occurredAt, data: { userId } };
}

/** The worker as something that answers requests: `SELF`, or a lane's worker with its own env. */
export type WorkerFetch = (request: Request) => Promise<Response>;

/** The portal's and an admin's calls, against the worker `fetch` answers for. */
export function clientFor(fetch: WorkerFetch) {
  async function postEvent(event: unknown, options: SignOptions = {}): Promise<Response> {
    return fetch(await signedRequest(JSON.stringify(event), options));
  }

  function admin(path: string, init: RequestInit = {}, token = TEST_SECRETS.ADMIN_API_TOKEN): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set('authorization', `Bearer ${token}`);
    if (init.body) headers.set('content-type', 'application/json');
    return fetch(new Request(`http://bridge.test${path}`, { ...init, headers }));
  }

  async function mapNewsletter(newsletterId: string, listId: string, name?: string): Promise<void> {
    const res = await admin(`/v1/admin/newsletters/${newsletterId}`, {
      method: 'PUT',
      body: JSON.stringify({ listId, ...(name ? { name } : {}) }),
    });
    expect([200, 201]).toContain(res.status);
  }

  async function subscriber(userId: string): Promise<SubscriberJson | null> {
    const res = await admin(`/v1/admin/subscribers/${encodeURIComponent(userId)}`);
    if (res.status === 404) return null;
    expect(res.status).toBe(200);
    return res.json();
  }

  return { postEvent, admin, mapNewsletter, subscriber };
}

export interface SubscriberJson {
  userId: string;
  subscriptions: SubscriptionJson[];
  timeline: { kind: string; outcome: string | null; detail: unknown }[];
}

/** The shared worker (`SELF`), with the real local queues behind it. */
export const { postEvent, admin, mapNewsletter, subscriber } = clientFor((request) => SELF.fetch(request));

export interface SubscriptionJson {
  subscriptionId: string;
  newsletterId: string;
  listId: string | null;
  state: string;
  unsubscribeUrl: string;
  conflict: unknown;
  transfer: {
    status: string;
    label: string;
    error: { message: string; code: string | null; httpStatus: number | null; at: string } | null;
    attempts: number;
    syncedAt: string | null;
  };
}

/** Polls until every subscription of the user has left `pending` (or the timeout hits). */
export async function settled(userId: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const view = await subscriber(userId);
    if (view?.subscriptions.length && view.subscriptions.every((s) => s.transfer.status !== 'pending')) return view;
    if (Date.now() > deadline)
      throw new Error(
        `transfers of ${userId} still pending: ${JSON.stringify(view?.subscriptions.map((s) => s.transfer))}`,
      );
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function waitFor<T>(
  probe: () => Promise<T | null | undefined | false>,
  what: string,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Starts a reconciliation of these newsletters and waits until it has left `running`. */
export async function reconciled(mode: 'report' | 'heal', newsletterIds: string[]): Promise<void> {
  const res = await admin('/v1/admin/reconciliations', {
    method: 'POST',
    body: JSON.stringify({ mode, newsletterIds }),
  });
  expect(res.status).toBe(202);
  const { id } = (await res.json()) as { id: string };
  await waitFor(async () => {
    const run = (await (await admin(`/v1/admin/reconciliations/${id}`)).json()) as { status: string };
    return run.status !== 'running' && run;
  }, `reconciliation ${id}`);
}
