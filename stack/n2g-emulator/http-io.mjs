// @ts-check
/**
 * Small request/response helpers of the emulator's HTTP server.
 */

/** @param {import('node:http').IncomingMessage} req @returns {Promise<string>} */
export async function readBody(req) {
  /** @type {Buffer[]} */
  const chunks = [];
  for await (const chunk of req) chunks.push(/** @type {Buffer} */ (chunk));
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * JSON bodies, and form-encoded ones where the content type says so. The token endpoint
 * takes either ("as formData or as JSON"), so there a body that is not JSON is read as
 * a form even without the header.
 * @param {string} raw @param {string | undefined} contentType @param {boolean} lenient
 * @returns {{ body: unknown, bodyError: string | null }}
 */
export function parseBody(raw, contentType, lenient) {
  if (raw.trim() === '') return { body: undefined, bodyError: null };
  const form = () => ({ body: Object.fromEntries(new URLSearchParams(raw)), bodyError: null });
  if ((contentType ?? '').toLowerCase().includes('application/x-www-form-urlencoded')) return form();
  try {
    return { body: JSON.parse(raw), bodyError: null };
  } catch {
    return lenient ? form() : { body: undefined, bodyError: 'Malformed JSON in the request body' };
  }
}

/**
 * The examples spell the message `errorMessage`, the Swagger model `error_message`;
 * an instance can be told to answer with the latter so clients prove they read both.
 * @param {unknown} body
 */
export function renameErrorMessage(body) {
  if (!body || typeof body !== 'object' || !('errorMessage' in body)) return body;
  return Object.fromEntries(Object.entries(body).map(([k, v]) => [k === 'errorMessage' ? 'error_message' : k, v]));
}

/** @template {object} T @param {T} o @returns {Partial<T>} */
export function stripUndefined(o) {
  return /** @type {Partial<T>} */ (Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)));
}
