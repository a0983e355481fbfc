// @ts-check
/**
 * The `api-key` header. Every key configured for the account is valid; which one a call used
 * matters only to the rate limiter when limits count per key (`rateLimitScope: 'key'`).
 * No key (or an empty one) and an unknown key are the spec's two 401 bodies.
 */
import { ERR } from './errors.mjs';

export class Auth {
  /** @param {{ apiKeys: string[] }} opts the first is the account's main key */
  constructor({ apiKeys }) {
    if (apiKeys.length === 0 || !apiKeys.every((k) => typeof k === 'string' && k !== ''))
      throw new Error('apiKeys must be non-empty strings');
    this.apiKeys = [...apiKeys];
  }

  /**
   * @param {string | string[] | undefined} header
   * @returns {{ keyIndex: number } | { reply: import('./errors.mjs').Reply }}
   */
  check(header) {
    const key = Array.isArray(header) ? header[0] : header;
    if (key === undefined || key === '') return { reply: ERR.noKey() };
    const keyIndex = this.apiKeys.indexOf(key);
    if (keyIndex < 0) return { reply: ERR.keyNotFound() };
    return { keyIndex };
  }
}
