// Load phases and their figures for `npm run bench`: N requests by C senders (each sender
// sends its next request when the previous one is answered), latencies measured around the
// whole exchange (request sent → body read), throughput over the phase's wall time.
import { createHmac } from 'node:crypto';

/**
 * @typedef {{ status: number, ok: boolean }} Answer
 * @typedef {{
 *   requests: number, ok: number, failed: Record<string, number>, seconds: number,
 *   throughput: number, p50: number, p95: number, p99: number, max: number,
 * }} PhaseFigures
 */

/**
 * Runs `total` requests with `senders` senders, or as many as start within `maxSeconds` (no
 * new one starts after that; those under way finish). `send(i)` sends request i and resolves
 * with its answer; a thrown error counts as a failure named by its message. `requests` is how
 * many were sent.
 * @param {{ total: number, senders: number, maxSeconds?: number, send: (i: number) => Promise<Answer> }} options
 * @returns {Promise<PhaseFigures>}
 */
export async function runPhase({ total, senders, maxSeconds = Number.POSITIVE_INFINITY, send }) {
  /** @type {number[]} */ const latencies = [];
  /** @type {Record<string, number>} */ const failed = {};
  let next = 0;
  const started = performance.now();
  const until = started + maxSeconds * 1000;
  const sender = async () => {
    for (;;) {
      if (next >= total || performance.now() > until) return;
      const i = next++;
      const t0 = performance.now();
      /** @type {string | null} */ let failure = null;
      try {
        const answer = await send(i);
        if (!answer.ok) failure = String(answer.status);
      } catch (error) {
        failure = error instanceof Error ? error.message.slice(0, 60) : String(error);
      }
      if (failure) failed[failure] = (failed[failure] ?? 0) + 1;
      else latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: Math.min(senders, total) }, sender));
  const seconds = (performance.now() - started) / 1000;
  return {
    requests: next,
    ok: latencies.length,
    failed,
    seconds,
    throughput: latencies.length / seconds,
    ...spread(latencies),
  };
}

/** p50/p95/p99/max of a list of milliseconds (nearest rank); NaN for an empty list. @param {number[]} values */
export function spread(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    p50: percentile(sorted, 0.5),
    p95: percentile(sorted, 0.95),
    p99: percentile(sorted, 0.99),
    max: sorted.at(-1) ?? Number.NaN,
  };
}

/** Nearest-rank percentile of an ascending list. @param {number[]} sorted @param {number} p */
export function percentile(sorted, p) {
  if (!sorted.length) return Number.NaN;
  return /** @type {number} */ (sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]);
}

/** The median of the finite values (NaN when none). @param {number[]} values */
export function median(values) {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (!sorted.length) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? /** @type {number} */ (sorted[mid]) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/**
 * Standard Webhooks headers for a body, signed now with one `whsec_` secret.
 * @param {string} secret @param {string} id @param {string} body
 */
export function signedHeaders(secret, id, body) {
  const timestamp = Math.floor(Date.now() / 1000);
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const signature = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64');
  return {
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': `v1,${signature}`,
  };
}

/**
 * POSTs a signed portal event (a fresh signature per send) and reads the answer whole.
 * @param {string} workerUrl @param {string} secret @param {string} id @param {unknown} event
 * @returns {Promise<Answer>}
 */
export async function postSignedEvent(workerUrl, secret, id, event) {
  const body = JSON.stringify(event);
  const res = await fetch(`${workerUrl}/v1/events`, { method: 'POST', headers: signedHeaders(secret, id, body), body });
  await res.arrayBuffer();
  return { status: res.status, ok: res.status === 202 };
}

/**
 * The RFC 8058 one-click POST a mailbox provider sends to a `List-Unsubscribe` link.
 * @param {string} url @returns {Promise<Answer>}
 */
export async function postOneClick(url) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'List-Unsubscribe=One-Click',
    redirect: 'manual',
  });
  await res.arrayBuffer();
  return { status: res.status, ok: res.status === 200 };
}

export const sleep = (/** @type {number} */ ms) => new Promise((r) => setTimeout(r, ms));
