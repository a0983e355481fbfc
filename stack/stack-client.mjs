// A small client for a running local stack (stack/local-stack.mjs), as the portal, an admin
// and a reader would use it: signed portal events, admin calls, the emulator's control API.
// Used by the browser test and the unsubscribe benchmark.
import { createHmac, randomBytes } from 'node:crypto';

/**
 * @param {{ workerUrl: string, emulatorUrl: string, portalSecret: string, adminToken: string }} options
 *   `portalSecret`: one of PORTAL_SIGNING_SECRET's whsec_ secrets; `adminToken`: one ADMIN_API_TOKEN.
 */
export function stackClient({ workerUrl, emulatorUrl, portalSecret, adminToken }) {
  const admin = async (/** @type {string} */ path, /** @type {RequestInit} */ init = {}) => {
    const res = await fetch(`${workerUrl}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${adminToken}`, ...(init.body ? { 'content-type': 'application/json' } : {}) },
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };

  return {
    admin,

    /** Sends one portal event, signed the Standard Webhooks way. */
    async postEvent(/** @type {unknown} */ event) {
      const body = JSON.stringify(event);
      const id = `evt_${randomBytes(12).toString('hex')}`;
      const timestamp = Math.floor(Date.now() / 1000);
      const key = Buffer.from(portalSecret.replace(/^whsec_/, ''), 'base64');
      const signature = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64');
      const res = await fetch(`${workerUrl}/v1/events`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'webhook-id': id,
          'webhook-timestamp': String(timestamp),
          'webhook-signature': `v1,${signature}`,
        },
        body,
      });
      if (res.status !== 202) throw new Error(`event refused: ${res.status} ${await res.text()}`);
    },

    /** Creates a list at the emulator and maps a newsletter to it. */
    async newsletter(/** @type {string} */ newsletterId, /** @type {string} */ name) {
      const res = await fetch(`${emulatorUrl}/_emulator/lists`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name }),
      });
      const { id: listId } = await res.json();
      const mapped = await admin(`/v1/admin/newsletters/${encodeURIComponent(newsletterId)}`, {
        method: 'PUT',
        body: JSON.stringify({ listId, name }),
      });
      if (mapped.status >= 300) throw new Error(`mapping refused: ${mapped.status} ${JSON.stringify(mapped.body)}`);
      return listId;
    },

    /** Polls the admin JSON until every subscription of the user has left `pending`. */
    async settled(/** @type {string} */ userId, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const { status, body } = await admin(`/v1/admin/subscribers/${encodeURIComponent(userId)}`);
        const subs = body?.subscriptions ?? [];
        if (
          status === 200 &&
          subs.length &&
          subs.every((/** @type {{ transfer: { status: string } }} */ s) => s.transfer.status !== 'pending')
        )
          return body;
        if (Date.now() > deadline) throw new Error(`transfers of ${userId} still pending`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },

    /**
     * The emulator's recipient with this address in the list, or null.
     * @returns {Promise<any>}
     */
    async recipient(/** @type {string} */ listId, /** @type {string} */ email) {
      const res = await fetch(
        `${emulatorUrl}/_emulator/recipients?list_id=${listId}&email=${encodeURIComponent(email)}`,
      );
      return res.status === 404 ? null : res.json();
    },
  };
}
