// @ts-check
/**
 * OAuth of the Newsletter2Go API: `POST /oauth/v2/token` and the bearer check of API calls.
 *
 * Newsletter2Go's token endpoint is an oauth2-php server: errors are
 * `{error, error_description}` with status 400. The two bodies the spec quotes (bad login,
 * missing/bad auth key) are reproduced to the letter; the rest follow oauth2-php's
 * wording and are unconfirmed.
 */
import { randomBytes } from 'node:crypto';

export const GRANT_JWT = 'https://nl2go.com/jwt';
export const GRANT_REFRESH = 'https://nl2go.com/jwt_refresh';

/**
 * @typedef {import('./envelope.mjs').Reply} Reply
 * @typedef {{ kind: 'access' | 'refresh', expiresAt: number }} Token
 */

/** @param {string} error @param {string} description @returns {Reply} */
function oauthError(error, description) {
  return { status: 400, body: { error, error_description: description } };
}

/**
 * 401 for API calls. The body is unconfirmed; the spec only says N2G's clients
 * re-authenticate on 401 and on `"error": "invalid_grant"`, so the emulator answers with
 * the oauth2-php shape that carries exactly that (and FOSOAuthServerBundle's header).
 * @param {string} description @returns {Reply}
 */
function unauthorized(description) {
  return {
    status: 401,
    body: { error: 'invalid_grant', error_description: description },
    headers: { 'www-authenticate': `Bearer realm="Service", error="invalid_grant", error_description="${description}"` },
  };
}

export class Auth {
  /**
   * @param {{ authKey: string, username: string, password: string, accountId: string,
   *   accessTokenTtlSeconds: number, refreshTokenTtlSeconds: number, now: () => Date }} cfg
   */
  constructor(cfg) {
    this.cfg = cfg;
    /** @type {Map<string, Token>} */
    this.tokens = new Map();
  }

  reset() {
    this.tokens.clear();
  }

  /**
   * Makes tokens unusable at once (their expiry moves into the past), so the client
   * sees "expired" rather than "unknown".
   * @param {{ access?: boolean, refresh?: boolean }} [which]
   * @returns {number} how many tokens were expired
   */
  expire({ access = true, refresh = true } = {}) {
    const past = this.cfg.now().getTime() - 1000;
    let n = 0;
    for (const t of this.tokens.values()) {
      if ((t.kind === 'access' && access) || (t.kind === 'refresh' && refresh)) {
        t.expiresAt = Math.min(t.expiresAt, past);
        n++;
      }
    }
    return n;
  }

  counts() {
    const now = this.cfg.now().getTime();
    let access = 0;
    let refresh = 0;
    for (const t of this.tokens.values()) if (t.expiresAt > now) t.kind === 'access' ? access++ : refresh++;
    return { liveAccessTokens: access, liveRefreshTokens: refresh };
  }

  /**
   * `POST /oauth/v2/token`. The auth key is sent whole as `Basic base64(key)`.
   * @param {string | undefined} authorization
   * @param {Record<string, unknown>} body JSON or form fields (already parsed)
   * @returns {Reply}
   */
  token(authorization, body) {
    const m = /^Basic\s+(\S+)\s*$/i.exec(authorization ?? '');
    const key = m ? Buffer.from(String(m[1]), 'base64').toString('utf8') : null;
    if (key !== this.cfg.authKey) {
      // The spec gives one body for a missing and for a wrong auth key.
      return oauthError('invalid_client', 'Client id was not found in the headers or body');
    }
    const grant = body.grant_type;
    const refreshToken = typeof body.refresh_token === 'string' ? body.refresh_token : undefined;
    if (grant === GRANT_REFRESH || (grant === GRANT_JWT && refreshToken !== undefined && body.username === undefined)) {
      // N2G's own Postman example refreshes with the jwt grant type: both are accepted.
      return this.refresh(refreshToken);
    }
    if (grant === GRANT_JWT) {
      const userOk = typeof body.username === 'string' && body.username.toLowerCase() === this.cfg.username.toLowerCase();
      if (!userOk || body.password !== this.cfg.password) {
        return oauthError('invalid_grant', 'Invalid username and password combination');
      }
      return this.issue();
    }
    // Unconfirmed wording (oauth2-php's).
    if (grant === undefined || grant === '') return oauthError('invalid_request', 'Invalid grant_type parameter or parameter missing');
    return oauthError('unsupported_grant_type', 'Invalid grant_type parameter or parameter missing');
  }

  /** @param {string | undefined} token @returns {Reply} */
  refresh(token) {
    if (token === undefined || token === '') return oauthError('invalid_request', 'No "refresh_token" parameter found');
    const t = this.tokens.get(token);
    if (!t || t.kind !== 'refresh') return oauthError('invalid_grant', 'Invalid refresh token');
    if (t.expiresAt <= this.cfg.now().getTime()) return oauthError('invalid_grant', 'Refresh token has expired');
    // The used refresh token stays valid until it expires (N2G's tokens are JWTs, which
    // suggests no server-side revocation; unconfirmed). A new one is returned anyway.
    return this.issue();
  }

  /** @returns {Reply} */
  issue() {
    const now = this.cfg.now().getTime();
    this.prune(now);
    const access = newToken();
    const refresh = newToken();
    this.tokens.set(access, { kind: 'access', expiresAt: now + this.cfg.accessTokenTtlSeconds * 1000 });
    this.tokens.set(refresh, { kind: 'refresh', expiresAt: now + this.cfg.refreshTokenTtlSeconds * 1000 });
    return {
      status: 200,
      body: {
        access_token: access,
        expires_in: this.cfg.accessTokenTtlSeconds,
        token_type: 'bearer',
        scope: null,
        refresh_token: refresh,
        account_id: this.cfg.accountId,
        type: 'user',
      },
    };
  }

  /**
   * Bearer check for API calls: null when the token is a live access token.
   * Messages are unconfirmed (oauth2-php's).
   * @param {string | undefined} authorization
   * @returns {Reply | null}
   */
  check(authorization) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    if (!m) return unauthorized('OAuth2 authentication required');
    const t = this.tokens.get(String(m[1]));
    if (!t || t.kind !== 'access') return unauthorized('The access token provided is invalid.');
    if (t.expiresAt <= this.cfg.now().getTime()) return unauthorized('The access token provided has expired.');
    return null;
  }

  /** Drops long-dead tokens so a long benchmark does not grow the map without bound. @param {number} now */
  prune(now) {
    if (this.tokens.size < 10000) return;
    for (const [k, t] of this.tokens) if (t.expiresAt < now - 86400000) this.tokens.delete(k);
  }
}

/** Opaque, JWT-looking (`__eyJ…`) like N2G's; carries nothing about the account or user. */
function newToken() {
  return `__eyJ${randomBytes(48).toString('base64url')}`;
}
