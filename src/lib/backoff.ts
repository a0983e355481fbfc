/**
 * Exponential backoff with "equal jitter": half the window fixed, half random, so retries
 * after a provider outage spread out instead of arriving together. Never sooner than the
 * provider's own Retry-After. Queues accept delays up to 12 hours.
 */
export function backoffSeconds(
  attempt: number,
  options: { baseSeconds: number; maxSeconds: number; retryAfterMs?: number | null },
  random: () => number = Math.random,
): number {
  const window = Math.min(options.maxSeconds, options.baseSeconds * 2 ** Math.max(0, attempt - 1));
  const jittered = window / 2 + random() * (window / 2);
  const floor = options.retryAfterMs ? Math.ceil(options.retryAfterMs / 1000) : 0;
  return Math.min(43_200, Math.max(floor, Math.round(jittered)));
}
