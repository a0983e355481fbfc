// @ts-check
/**
 * Switches for the points the spec leaves unconfirmed ("handle both readings"): each
 * switch presents one reading, so a client can be tested against every one of them.
 * Set at start (`startEmulator` options) or at run time (`PUT /_emulator/settings`);
 * `POST /_emulator/reset` puts back the values the instance started with.
 */

import { switchboard } from '../emulator-kit/settings.mjs';

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

const board = switchboard(SETTING_VALUES);

/** @returns {Settings} */
export const defaultSettings = () => /** @type {Settings} */ (board.defaultSettings());

/**
 * Checks a (partial) patch as a whole: one bad key or value and nothing is applied.
 * @param {unknown} patch
 * @returns {{ ok: Partial<Settings> } | { error: string }}
 */
export const checkSettings = (patch) =>
  /** @type {{ ok: Partial<Settings> } | { error: string }} */ (board.checkSettings(patch));
