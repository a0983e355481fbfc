// @ts-check
/**
 * Switches for the points the spec leaves unconfirmed ("handle both readings"): each
 * switch presents one reading, so a client can be tested against every one of them.
 * Set at start (`startEmulator` options) or at run time (`PUT /_emulator/settings`);
 * `POST /_emulator/reset` puts back the values the instance started with.
 */

/**
 * @typedef {{
 *   errorMessageKey: 'errorMessage' | 'error_message',
 *   expiredToken: '401-invalid_grant' | '401-empty' | '400-invalid_grant',
 *   invalidRecipientsShape: 'strings' | 'objects' | 'indexed',
 *   refreshTokenReuse: boolean,
 *   singleCreateStatus: 200 | 201,
 *   unquotedValue: 'field' | 'field-or-literal',
 *   maxUrlBytes: null | 4096,
 *   unknownAttribute: 'refuse' | 'drop',
 * }} Settings
 */

/** Allowed values per switch; the first is the default. */
export const SETTING_VALUES = Object.freeze({
  // The examples spell it errorMessage, the Swagger model error_message.
  errorMessageKey: ['errorMessage', 'error_message'],
  // "An expired or unknown token gets 401 (exact body unconfirmed …)"; N2G's own clients
  // also re-authenticate on a body with "error": "invalid_grant", whatever the status.
  expiredToken: ['401-invalid_grant', '401-empty', '400-invalid_grant'],
  // "invalid_recipients has only ever been published empty ([]); the shape of its entries is
  // unconfirmed (strings, objects with email, or an object keyed by index are all plausible
  // readings)": the addresses as sent; {email, message}; or {"<index in the request>": address}.
  invalidRecipientsShape: ['strings', 'objects', 'indexed'],
  // Whether a refresh token still works after it was used once: not published.
  refreshTokenReuse: [true, false],
  // The table says 200 for one recipient, the pitfalls "200 or 201 on create".
  singleCreateStatus: [200, 201],
  // The docs: values in quotes, an unquoted one names a field; their like example is unquoted
  // (`email=like=%yahoo.com`). 'field-or-literal' reads a token that names no field as a value.
  unquotedValue: ['field', 'field-or-literal'],
  // No URL limit is published; 4096: a longer request-target (path + query) answers 414.
  maxUrlBytes: [null, 4096],
  // "What the API does with a recipient field that is no attribute of the list (refused, or
  // dropped without a word) is unconfirmed": a 422 naming it, or the rest written without it.
  unknownAttribute: ['refuse', 'drop'],
});

/** @returns {Settings} */
export function defaultSettings() {
  return /** @type {Settings} */ (Object.fromEntries(Object.entries(SETTING_VALUES).map(([k, v]) => [k, v[0]])));
}

/**
 * Checks a (partial) patch as a whole: one bad key or value and nothing is applied.
 * @param {unknown} patch
 * @returns {{ ok: Partial<Settings> } | { error: string }}
 */
export function checkSettings(patch) {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch))
    return { error: 'settings must be a JSON object' };
  const values = /** @type {Record<string, readonly unknown[]>} */ (SETTING_VALUES);
  for (const [k, v] of Object.entries(patch)) {
    const allowed = values[k];
    if (!allowed) return { error: `unknown setting ${JSON.stringify(k)}; known: ${Object.keys(values).join(', ')}` };
    if (!allowed.includes(v))
      return { error: `${k} must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}` };
  }
  return { ok: /** @type {Partial<Settings>} */ (patch) };
}
