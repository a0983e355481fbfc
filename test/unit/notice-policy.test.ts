import { describe, expect, it } from 'vitest';
import { afterFailure, waitSeconds } from '../../src/notify/policy';

const HOUR = 3_600_000;
const policy = { NOTICE_RETRY_HOURS: 72, NOTICE_BACKOFF_BASE_SECONDS: 30, NOTICE_BACKOFF_MAX_SECONDS: 21_600 };

describe('notice retry policy', () => {
  it('backs off exponentially with jitter, capped', () => {
    const delays = [1, 2, 3, 4, 20].map((attempts) => afterFailure(policy, { attempts, createdAt: 0 }, 1000, () => 1));
    expect(delays.map((d) => (d.status === 'pending' ? d.delaySeconds : null))).toEqual([30, 60, 120, 240, 21_600]);
    const low = afterFailure(policy, { attempts: 3, createdAt: 0 }, 1000, () => 0);
    expect(low).toMatchObject({ status: 'pending', delaySeconds: 60, nextAttemptAt: 61_000 });
  });

  it('keeps retrying for at least NOTICE_RETRY_HOURS after creation, then gives up', () => {
    // Simulate a portal that never answers 2xx, with the worst-case (longest) jitter.
    const createdAt = 1_000_000;
    let now = createdAt;
    let attempts = 0;
    for (;;) {
      attempts++;
      const next = afterFailure(policy, { attempts, createdAt }, now, () => 1);
      if (next.status === 'failed') break;
      now = next.nextAttemptAt;
    }
    expect(now - createdAt).toBeGreaterThanOrEqual(72 * HOUR);
    expect(now - createdAt).toBeLessThan(72 * HOUR + 6 * HOUR + 1);
    expect(attempts).toBeLessThan(40);
  });

  it('fails a notice only after its window', () => {
    expect(afterFailure(policy, { attempts: 9, createdAt: 0 }, 72 * HOUR - 1).status).toBe('pending');
    expect(afterFailure(policy, { attempts: 9, createdAt: 0 }, 72 * HOUR).status).toBe('failed');
  });

  it('waits for a notice that is not yet due, at most 12 hours per queue delay', () => {
    expect(waitSeconds(10_500, 10_000)).toBe(1);
    expect(waitSeconds(70_000, 10_000)).toBe(60);
    expect(waitSeconds(100 * HOUR, 0)).toBe(43_200);
  });
});
