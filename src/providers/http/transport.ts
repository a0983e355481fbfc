import { RetryableError } from '../../ports/provider-errors';

/**
 * Raw HTTP to a provider's API: timeout, request pacing, and the network failures classified.
 * Status handling is the adapter's; this layer only guarantees an answer or a RetryableError.
 */

export interface RawResponse {
  status: number;
  raw: string;
  headers: Headers;
}

export interface TransportOptions {
  /** The provider's name in messages ("Newsletter2Go did not answer …"); also the pacing's key. */
  label: string;
  /** May carry a path (`https://api.brevo.com/v3`): request paths are appended to it. */
  baseUrl: string;
  timeoutMs: number;
  maxRequestsPerSecond: number;
  /**
   * `interval` (default): one request every 1/maxRequestsPerSecond s. `window`: at most
   * maxRequestsPerSecond requests started in any second and a guard, so a provider that counts
   * in fixed one-second windows (Brevo) never sees one more, whatever the network's jitter.
   */
  pacing?: 'interval' | { windowGuardMs: number };
  fetch?: typeof fetch;
}

/** The pause before the one repeat of a request that may be repeated (see `send`). */
const RETRY_PAUSE_MS = 300;

/** Pacing is per isolate and provider: module state survives between requests of one isolate. */
const nextSlot = new Map<string, number>();
const recentStarts = new Map<string, number[]>();

export class Transport {
  calls = 0;
  constructor(private readonly options: TransportOptions) {}

  /**
   * `retryOnce`: for a request that may be repeated without harm (a read, a token grant), a 5xx
   * without Retry-After or a network failure is tried once more after a short pause, so one
   * provider hiccup does not cost a whole queue round (and an attempt) of the transfers waiting
   * on it.
   */
  async send(
    method: string,
    path: string,
    init: {
      headers?: Record<string, string>;
      body?: unknown;
      query?: Record<string, string | number>;
      retryOnce?: boolean;
    } = {},
  ): Promise<RawResponse> {
    if (!init.retryOnce) return this.sendOnce(method, path, init);
    try {
      const res = await this.sendOnce(method, path, init);
      if (res.status < 500 || res.headers.has('retry-after')) return res;
    } catch (error) {
      if (!(error instanceof RetryableError)) throw error;
    }
    await new Promise((r) => setTimeout(r, RETRY_PAUSE_MS));
    return this.sendOnce(method, path, init);
  }

  private async sendOnce(
    method: string,
    path: string,
    init: { headers?: Record<string, string>; body?: unknown; query?: Record<string, string | number> },
  ): Promise<RawResponse> {
    await this.pace();
    const url = this.url(path, init.query);
    const headers: Record<string, string> = { accept: 'application/json', ...init.headers };
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    this.calls++;
    const doFetch = this.options.fetch ?? fetch;
    try {
      const res = await doFetch(url, {
        method,
        headers,
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      return { status: res.status, raw: await res.text(), headers: res.headers };
    } catch (error) {
      const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
      throw new RetryableError({
        message: timedOut
          ? `${this.options.label} did not answer within ${this.options.timeoutMs} ms`
          : `${this.options.label} could not be reached: ${error instanceof Error ? error.message : String(error)}`,
        code: timedOut ? 'timeout' : 'network',
        httpStatus: null,
      });
    }
  }

  /** The request URL as sent: the query URL-encoded as a whole (application/x-www-form-urlencoded). */
  url(path: string, query: Record<string, string | number> = {}): URL {
    const base = new URL(this.options.baseUrl);
    const url = new URL(base.pathname.replace(/\/$/, '') + path, base);
    for (const [k, val] of Object.entries(query)) url.searchParams.set(k, String(val));
    return url;
  }

  private async pace(): Promise<void> {
    const pacing = this.options.pacing ?? 'interval';
    if (pacing !== 'interval') return this.paceWindow(1000 + pacing.windowGuardMs);
    const interval = 1000 / this.options.maxRequestsPerSecond;
    const now = Date.now();
    const slot = Math.max(now, nextSlot.get(this.options.label) ?? 0);
    nextSlot.set(this.options.label, slot + interval);
    if (slot > now) await new Promise((r) => setTimeout(r, slot - now));
  }

  /** Waits until fewer than maxRequestsPerSecond requests started in the last `windowMs`, then takes a slot. */
  private async paceWindow(windowMs: number): Promise<void> {
    const key = this.options.label;
    const limit = this.options.maxRequestsPerSecond;
    for (;;) {
      const now = Date.now();
      const starts = (recentStarts.get(key) ?? []).filter((t) => t > now - windowMs);
      recentStarts.set(key, starts);
      if (starts.length < limit) {
        starts.push(now);
        return;
      }
      await new Promise((r) => setTimeout(r, (starts[starts.length - limit] ?? now) + windowMs - now + 1));
    }
  }
}
