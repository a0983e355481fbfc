// @ts-check
/**
 * Small request helpers of the emulator's HTTP server.
 */

/** @param {import('node:http').IncomingMessage} req @returns {Promise<string>} */
export async function readBody(req) {
  /** @type {Buffer[]} */
  const chunks = [];
  for await (const chunk of req) chunks.push(/** @type {Buffer} */ (chunk));
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * The body as JSON (Brevo's API takes nothing else); `undefined` when empty.
 * @param {string} raw
 * @returns {{ body: unknown, bodyError: boolean }}
 */
export function parseBody(raw) {
  if (raw.trim() === '') return { body: undefined, bodyError: false };
  try {
    return { body: JSON.parse(raw), bodyError: false };
  } catch {
    return { body: undefined, bodyError: true };
  }
}

/** @param {unknown} v @returns {v is Record<string, unknown>} */
export function isObject(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** @template {object} T @param {T} o @returns {Partial<T>} */
export function stripUndefined(o) {
  return /** @type {Partial<T>} */ (Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)));
}
