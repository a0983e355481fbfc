// @ts-check
/**
 * Brevo's rate limits on every `/v3/contacts/*` endpoint: a per-second and a per-hour limit,
 * both applied (spec: 10/s and 36,000/h on the General tier). Every answer of such an endpoint
 * carries `x-sib-ratelimit-limit`, `x-sib-ratelimit-remaining` and `x-sib-ratelimit-reset`;
 * above a limit the answer is a 429 without Retry-After.
 *
 * The emulator's readings (the spec gives no more):
 * - Windows are fixed: a window opens with the first call counted in it and lasts 1 s or
 *   1 h of the emulator's clock (so `POST /_emulator/clock/advance` ends it).
 * - A call the limiter refuses is not counted.
 * - The headers describe one window: after a counted call, the one with fewer calls left (the
 *   second on a tie); on a 429, the exhausted window that ends last (an exhausted hour wins
 *   over a second). `reset` is the time the window has left, in whole seconds rounded up
 *   (at least 1), for the hour too.
 * - A limit set to `null` is off; with both off no headers are sent.
 * - Buckets: one for the account, or one per key (switch `rateLimitScope`); calls with a
 *   missing or unknown key share a bucket of their own.
 */

/**
 * @typedef {{ perSecond: number | null, perHour: number | null }} Limits
 * @typedef {{ start: number, count: number }} Window
 * @typedef {{ second?: Window, hour?: Window }} Bucket
 */

export const DEFAULT_LIMITS = Object.freeze({ perSecond: 10, perHour: 36000 });

/** @param {unknown} v */
const validLimit = (v) => v === null || (Number.isInteger(v) && /** @type {number} */ (v) >= 1);

/**
 * Checks limits as a whole.
 * @param {unknown} input @param {Limits} current
 * @returns {{ ok: Limits } | { error: string }}
 */
export function checkLimits(input, current) {
  if (input === null || typeof input !== 'object' || Array.isArray(input))
    return { error: 'rate limits must be a JSON object' };
  const unknown = Object.keys(input).find((k) => k !== 'perSecond' && k !== 'perHour');
  if (unknown !== undefined) return { error: `unknown rate-limit setting ${JSON.stringify(unknown)}` };
  const next = { ...current, ...input };
  if (!validLimit(next.perSecond) || !validLimit(next.perHour))
    return { error: 'perSecond and perHour must be whole numbers >= 1, or null (off)' };
  return { ok: /** @type {Limits} */ (next) };
}

export class RateLimiter {
  /** @type {Map<string, Bucket>} */ buckets = new Map();

  /** @param {{ limits: Limits, now: () => Date }} opts */
  constructor({ limits, now }) {
    this.limits = { ...limits };
    this.now = now;
  }

  /** @param {Limits} limits */
  configure(limits) {
    this.limits = { ...limits };
    this.buckets.clear();
  }

  clear() {
    this.buckets.clear();
  }

  /** The windows in force: [name, length in ms, limit]. @returns {['second' | 'hour', number, number][]} */
  windows() {
    /** @type {['second' | 'hour', number, number][]} */
    const out = [];
    if (this.limits.perSecond !== null) out.push(['second', 1000, this.limits.perSecond]);
    if (this.limits.perHour !== null) out.push(['hour', 3_600_000, this.limits.perHour]);
    return out;
  }

  /**
   * The windows of a bucket as they stand at `t` (an ended window reads as a fresh one).
   * @param {string} key @param {number} t
   */
  current(key, t) {
    const bucket = this.buckets.get(key) ?? {};
    return this.windows().map(([name, ms, limit]) => {
      const w = bucket[name];
      const live = w && t < w.start + ms ? w : { start: t, count: 0 };
      return { name, ms, limit, window: live, leftMs: live.start + ms - t };
    });
  }

  /**
   * Counts a call, or refuses it. `headers` is null when both limits are off.
   * @param {string} key
   * @returns {{ allowed: boolean, headers: Record<string, string> | null }}
   */
  take(key) {
    const t = this.now().getTime();
    const ws = this.current(key, t);
    if (ws.length === 0) return { allowed: true, headers: null };
    const exhausted = ws.filter((w) => w.window.count >= w.limit);
    if (exhausted.length) {
      const w = exhausted.reduce((a, b) => (b.leftMs > a.leftMs ? b : a));
      return { allowed: false, headers: headers(w.limit, 0, w.leftMs) };
    }
    /** @type {Bucket} */
    const bucket = {};
    for (const w of ws) {
      w.window.count++;
      bucket[w.name] = w.window;
    }
    this.buckets.set(key, bucket);
    const w = ws.reduce((a, b) => (b.limit - b.window.count < a.limit - a.window.count ? b : a));
    return { allowed: true, headers: headers(w.limit, w.limit - w.window.count, w.leftMs) };
  }

  /**
   * The headers without counting (for injected faults); `exhausted` reads remaining 0 on the
   * window with the fewest calls left, as an injected 429 pretends that limit was reached.
   * @param {string} key @param {boolean} exhausted
   */
  peek(key, exhausted) {
    const ws = this.current(key, this.now().getTime());
    if (ws.length === 0) return null;
    const w = ws.reduce((a, b) => (b.limit - b.window.count < a.limit - a.window.count ? b : a));
    return headers(w.limit, exhausted ? 0 : Math.max(0, w.limit - w.window.count), w.leftMs);
  }

  /** Counts per bucket, for the control state. */
  snapshot() {
    const t = this.now().getTime();
    return Object.fromEntries(
      [...this.buckets.keys()].map((key) => [
        key,
        Object.fromEntries(this.current(key, t).map((w) => [w.name, { used: w.window.count, limit: w.limit }])),
      ]),
    );
  }
}

/** @param {number} limit @param {number} remaining @param {number} leftMs */
function headers(limit, remaining, leftMs) {
  return {
    'x-sib-ratelimit-limit': String(limit),
    'x-sib-ratelimit-remaining': String(remaining),
    'x-sib-ratelimit-reset': String(Math.max(1, Math.ceil(leftMs / 1000))),
  };
}
