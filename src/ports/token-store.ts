/** Where the Newsletter2Go login lives between isolates (implemented over the database). */
export interface StoredSession {
  accessToken: string | null;
  refreshToken: string | null;
  expiresAt: number | null;
  loginError: string | null;
  loginErrorAt: number | null;
}

export interface SessionStore {
  read(): Promise<StoredSession | null>;
  /** True when this caller may log in or refresh now; others wait for its result. */
  tryLock(now: number, holdMs: number): Promise<boolean>;
  /** Stores new tokens, clears any login error and releases the lock. */
  save(tokens: { accessToken: string; refreshToken: string | null; expiresAt: number }, now: number): Promise<void>;
  /** Forgets an access token the provider refused, unless another caller already replaced it. */
  invalidate(accessToken: string): Promise<void>;
  /** Records a refused password login and releases the lock. */
  recordLoginError(message: string, now: number): Promise<void>;
  unlock(): Promise<void>;
}
