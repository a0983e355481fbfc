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
 * The answer to a refused bearer token. Its body is unconfirmed: the spec only says an
 * expired or unknown token gets 401 and that N2G's clients re-authenticate on 401 and on
 * `"error": "invalid_grant"`, so `settings.expiredToken` picks one of three readings:
 * - `401-invalid_grant` (default): oauth2-php's shape, with FOSOAuthServerBundle's header;
 * - `401-empty`: 401 with an empty body (the header stays: RFC 6750 asks for it on 401);
 * - `400-invalid_grant`: the token endpoint's 400 shape, as oauth2-php answers a bad grant.
 * @param {string} description @param {import('./settings.mjs').Settings['expiredToken']} style
 * @returns {Reply & { raw?: string }}
 */
function refused(description, style) {
  const body = { error: 'invalid_grant', error_description: description };
  if (style === '400-invalid_grant') return { status: 400, body };
  const headers = {
    'www-authenticate': `Bearer realm="Service", error="invalid_grant", error_description="${description}"`,
  };
  if (style === '401-empty') return { status: 401, body: undefined, raw: '', headers };
  return { status: 401, body, headers };
}

export class Auth {
  /**
   * @param {{ authKey: string, username: string, password: string, accountId: string,
   *   accessTokenTtlSeconds: number, refreshTokenTtlSeconds: number, now: () => Date,
   *   settings: Pick<import('./settings.mjs').Settings, 'expiredToken' | 'refreshTokenReuse'> }} cfg
   *   `settings` is the emulator's live object, read at every call, so the control API
   *   can switch readings at run time
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
      const userOk =
        typeof body.username === 'string' && body.username.toLowerCase() === this.cfg.username.toLowerCase();
      if (!userOk || body.password !== this.cfg.password) {
        return oauthError('invalid_grant', 'Invalid username and password combination');
      }
      return this.issue();
    }
    // Unconfirmed wording (oauth2-php's).
    if (grant === undefined || grant === '')
      return oauthError('invalid_request', 'Invalid grant_type parameter or parameter missing');
    return oauthError('unsupported_grant_type', 'Invalid grant_type parameter or parameter missing');
  }

  /** @param {string | undefined} token @returns {Reply} */
  refresh(token) {
    if (token === undefined || token === '') return oauthError('invalid_request', 'No "refresh_token" parameter found');
    const t = this.tokens.get(token);
    if (t?.kind !== 'refresh') return oauthError('invalid_grant', 'Invalid refresh token');
    if (t.expiresAt <= this.cfg.now().getTime()) return oauthError('invalid_grant', 'Refresh token has expired');
    // Whether a used refresh token stays valid is unconfirmed. N2G's tokens are JWTs,
    // which suggests no server-side revocation (the default: it stays valid until it
    // expires); with refreshTokenReuse false it works once and is then answered like an
    // expired one. A new refresh token is returned either way.
    if (!this.cfg.settings.refreshTokenReuse) t.expiresAt = this.cfg.now().getTime() - 1000;
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
   * Messages are unconfirmed (oauth2-php's); every refusal (no token, unknown, expired)
   * takes the same `expiredToken` reading.
   * @param {string | undefined} authorization
   * @returns {(Reply & { raw?: string }) | null}
   */
  check(authorization) {
    const style = this.cfg.settings.expiredToken;
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    if (!m) return refused('OAuth2 authentication required', style);
    const t = this.tokens.get(String(m[1]));
    if (t?.kind !== 'access') return refused('The access token provided is invalid.', style);
    if (t.expiresAt <= this.cfg.now().getTime()) return refused('The access token provided has expired.', style);
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
