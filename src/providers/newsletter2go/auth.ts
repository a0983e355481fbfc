import * as v from 'valibot';
import { CredentialsRefusedError, RetryableError } from '../../ports/provider-errors';
import type { SessionStore, StoredSession } from '../../ports/token-store';
import type { Transport } from '../http/transport';
import { describeFailure, TokenResponse } from './responses';

/**
 * Newsletter2Go's OAuth flow (spec "Authentication"): reuse a stored access token; when it
 * is missing or refused, refresh once; when the refresh is refused, log in with the
 * password; when that is refused, the credentials are wrong: transfers wait, they do not fail.
 * Many isolates run at once, so the token lives in the database and one caller at a time
 * renews it.
 */

export interface Credentials {
  authKey: string;
  username: string;
  password: string;
}

const EXPIRY_MARGIN_MS = 60_000;
const LOCK_HOLD_MS = 15_000;
const WAIT_STEP_MS = 150;
const WAIT_MAX_MS = 5_000;
/**
 * After a refused login, don't try again sooner: each attempt is a call a locked-out account
 * pays for. The default; N2G_LOGIN_RETRY_SECONDS sets it.
 */
export const LOGIN_RETRY_AFTER_MS = 60_000;

export interface TokenManagerOptions {
  loginRetryAfterMs?: number;
  now?: () => number;
}

const PASSWORD_GRANT = 'https://nl2go.com/jwt';
const REFRESH_GRANT = 'https://nl2go.com/jwt_refresh';

export class TokenManager {
  private cached: { token: string; expiresAt: number } | null = null;
  private readonly now: () => number;
  private readonly loginRetryAfterMs: number;

  constructor(
    private readonly transport: Transport,
    private readonly store: SessionStore,
    private readonly credentials: Credentials,
    options: TokenManagerOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.loginRetryAfterMs = options.loginRetryAfterMs ?? LOGIN_RETRY_AFTER_MS;
  }

  /** A usable access token, renewing it if needed. */
  async token(): Promise<string> {
    if (this.cached && this.cached.expiresAt - EXPIRY_MARGIN_MS > this.now()) return this.cached.token;
    const deadline = this.now() + WAIT_MAX_MS;
    for (;;) {
      const session = await this.store.read();
      const usable = this.usable(session);
      if (usable) return usable;
      this.throwIfRecentlyRefused(session);
      if (await this.store.tryLock(this.now(), LOCK_HOLD_MS)) {
        // Read again under the lock: another caller may have renewed between the read above and
        // the lock, and a refresh token may work only once (an unconfirmed reading of the spec).
        // Likewise a login refused meanwhile is not tried again before N2G_LOGIN_RETRY_SECONDS.
        // Either way the lock goes back and the next round returns that token or that refusal.
        const current = await this.store.read();
        if (!this.usable(current) && !this.recentlyRefused(current)) return this.renew(current);
        await this.store.unlock();
        continue;
      }
      if (this.now() > deadline) {
        throw new RetryableError({
          message: 'Another worker is logging in to Newsletter2Go; try again',
          code: null,
          httpStatus: null,
        });
      }
      await sleep(WAIT_STEP_MS);
    }
  }

  /** The provider refused `token` (401): forget it so the next `token()` renews. */
  async refused(token: string): Promise<void> {
    if (this.cached?.token === token) this.cached = null;
    await this.store.invalidate(token);
  }

  private usable(session: StoredSession | null): string | null {
    if (!session?.accessToken || !session.expiresAt) return null;
    if (session.expiresAt - EXPIRY_MARGIN_MS <= this.now()) return null;
    this.cached = { token: session.accessToken, expiresAt: session.expiresAt };
    return session.accessToken;
  }

  private recentlyRefused(session: StoredSession | null): boolean {
    return Boolean(
      session?.loginError && session.loginErrorAt && this.now() - session.loginErrorAt < this.loginRetryAfterMs,
    );
  }

  private throwIfRecentlyRefused(session: StoredSession | null): void {
    if (session?.loginError && this.recentlyRefused(session)) {
      throw new CredentialsRefusedError({ message: session.loginError, code: 'invalid_grant', httpStatus: 400 });
    }
  }

  private async renew(session: StoredSession | null): Promise<string> {
    try {
      if (session?.refreshToken) {
        const refreshed = await this.grant({ refresh_token: session.refreshToken, grant_type: REFRESH_GRANT });
        if (refreshed.ok) return await this.keep(refreshed.body);
        // A refused refresh (invalid_grant) falls through to the password; anything else is transient.
        if (refreshed.status >= 500 || refreshed.status === 429) throw this.transient(refreshed.status, refreshed.raw);
      }
      const login = await this.grant({
        username: this.credentials.username,
        password: this.credentials.password,
        grant_type: PASSWORD_GRANT,
      });
      if (login.ok) return await this.keep(login.body);
      if (login.status >= 500 || login.status === 429) throw this.transient(login.status, login.raw);
      const failure = describeFailure(login.status, login.raw);
      await this.store.recordLoginError(failure.message, this.now());
      throw new CredentialsRefusedError(failure);
    } catch (error) {
      await this.store.unlock().catch(() => undefined);
      throw error;
    }
  }

  private async keep(body: v.InferOutput<typeof TokenResponse>): Promise<string> {
    const expiresAt = this.now() + body.expires_in * 1000;
    await this.store.save(
      { accessToken: body.access_token, refreshToken: body.refresh_token ?? null, expiresAt },
      this.now(),
    );
    this.cached = { token: body.access_token, expiresAt };
    return body.access_token;
  }

  private transient(status: number, raw: string): RetryableError {
    return new RetryableError(describeFailure(status, raw));
  }

  private async grant(body: Record<string, string>) {
    // A grant may be asked for again: at worst the first one's tokens go unused.
    const res = await this.transport.send('POST', '/oauth/v2/token', {
      headers: { authorization: `Basic ${btoa(this.credentials.authKey)}` },
      body,
      retryOnce: true,
    });
    if (res.status === 200) {
      const parsed = v.safeParse(TokenResponse, safeJson(res.raw));
      if (parsed.success) return { ok: true as const, body: parsed.output };
      throw new RetryableError({
        message: 'Newsletter2Go answered the login with an unexpected body',
        code: null,
        httpStatus: 200,
      });
    }
    return { ok: false as const, status: res.status, raw: res.raw };
  }
}

export function safeJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
