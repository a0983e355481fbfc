import { CredentialsRefusedError } from '../../ports/provider-errors';
import type { SessionStore } from '../../ports/token-store';

/**
 * Brevo has no login: the API key goes with every request. What the engine needs from a login
 * still holds: a refused key is recorded where every isolate sees it (the stats and /health say
 * why transfers wait), and it is not tried again before `retryAfterMs`, so a revoked key does not
 * cost a request per transfer. The key itself is never stored: an accepted key is recorded as the
 * marker below in place of a token.
 */
export const KEY_ACCEPTED = 'api-key-accepted';

export class KeyGate {
  private known: { ok: boolean; error: string | null; at: number | null } | null = null;

  constructor(
    private readonly store: SessionStore,
    private readonly retryAfterMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Throws the recorded refusal while it is recent; otherwise lets the call go. */
  async before(): Promise<void> {
    if (!this.known) {
      const row = await this.store.read();
      this.known = {
        ok: row?.accessToken === KEY_ACCEPTED,
        error: row?.loginError ?? null,
        at: row?.loginErrorAt ?? null,
      };
    }
    const { error, at } = this.known;
    if (error && at !== null && this.now() - at < this.retryAfterMs)
      throw new CredentialsRefusedError({ message: error, code: 'unauthorized', httpStatus: 401 });
  }

  async refused(message: string): Promise<void> {
    const now = this.now();
    this.known = { ok: false, error: message, at: now };
    // tryLock makes sure the row exists; recordLoginError writes the refusal and frees it.
    await this.store.tryLock(now, 1_000);
    await this.store.recordLoginError(message, now);
  }

  /** After an answer that is not a 401: records the key as working once, after a refusal too. */
  async accepted(): Promise<void> {
    if (this.known?.ok && !this.known.error) return;
    const now = this.now();
    this.known = { ok: true, error: null, at: null };
    await this.store.tryLock(now, 1_000);
    await this.store.save({ accessToken: KEY_ACCEPTED, refreshToken: null, expiresAt: Number.MAX_SAFE_INTEGER }, now);
  }
}
