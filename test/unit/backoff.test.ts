import { describe, expect, it } from 'vitest';
import { backoffSeconds } from '../../src/lib/backoff';

describe('backoffSeconds', () => {
  const opts = { baseSeconds: 5, maxSeconds: 900 };
  it('doubles the window per attempt, with jitter between half and all of it', () => {
    expect(backoffSeconds(1, opts, () => 0)).toBe(3); // 5/2 rounded
    expect(backoffSeconds(1, opts, () => 1)).toBe(5);
    expect(backoffSeconds(4, opts, () => 1)).toBe(40);
    expect(backoffSeconds(4, opts, () => 0)).toBe(20);
  });
  it('caps the window', () => {
    expect(backoffSeconds(30, opts, () => 1)).toBe(900);
  });
  it("never retries before the provider's Retry-After", () => {
    expect(backoffSeconds(1, { ...opts, retryAfterMs: 120_000 }, () => 0)).toBe(120);
  });
  it('stays within the 12-hour delay a queue accepts', () => {
    expect(backoffSeconds(1, { baseSeconds: 0, maxSeconds: 0, retryAfterMs: 10 ** 9 })).toBe(43_200);
  });
});
