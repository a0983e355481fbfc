// @ts-check
/**
 * Brevo's error body, `{"code", "message", "metadata"?}`, and the answers the spec's error
 * table fixes. Messages the spec quotes are used word for word; the others are the
 * emulator's wording (README: "Readings chosen where the spec is silent").
 */

/**
 * `apiError` marks a body in Brevo's error shape, so the code's case can be switched
 * (`codeCase`) when it is sent; a rule's own body is sent as given.
 * @typedef {{ status: number, body?: unknown, headers?: Record<string, string>, raw?: string, apiError?: boolean }} Reply
 */

/**
 * @param {number} status @param {string} code @param {string} message
 * @param {Record<string, unknown>} [metadata]
 * @returns {Reply}
 */
export function fail(status, code, message, metadata) {
  return { status, body: metadata ? { code, message, metadata } : { code, message }, apiError: true };
}

/** The spec's table, and the emulator's own wording for what it does not quote. */
export const ERR = Object.freeze({
  // Spec, "bad key / no key".
  keyNotFound: () => fail(401, 'unauthorized', 'Key not found'),
  noKey: () => fail(401, 'unauthorized', 'authentication not found in headers'),
  // Spec, "unknown contact".
  contactNotFound: () => fail(404, 'document_not_found', 'Contact does not exist'),
  // Spec, "no e-mail, SMS or ext_id".
  noIdentifier: () => fail(400, 'missing_parameter', 'Please provide Email or SMS attribute value to create user'),
  // Spec, "malformed address" (also an address configured as rejected).
  invalidEmail: () => fail(400, 'invalid_parameter', 'Invalid email address'),
  // Spec, "add to a list, none added".
  noneAdded: () => fail(400, 'invalid_parameter', 'Contact already in list and/or does not exist'),
  // The remove counterpart (unconfirmed; removeNotMember 400).
  noneRemoved: () => fail(400, 'invalid_parameter', 'Contact already removed from list and/or does not exist'),
  // Spec: an empty attribute body.
  noInputs: () => fail(400, 'missing_parameter', 'No inputs in the body'),
  // Brevo's OpenAPI, 404 of the list routes: "List ID not found".
  listNotFound: () => fail(404, 'document_not_found', 'List ID does not exist'),
  // Brevo's OpenAPI, 405 of DELETE /contacts/{identifier}.
  accountEmail: () =>
    fail(405, 'method_not_allowed', "You're not allowed to delete registered email contact with Brevo"),
  // Brevo's OpenAPI, the errorModel example.
  methodNotAllowed: (/** @type {string} */ method) =>
    fail(405, 'method_not_allowed', `${method} Method is not allowed on this path`),
  noRoute: () => fail(404, 'document_not_found', 'Invalid route'),
  badJson: () => fail(400, 'bad_request', 'Input must be a valid JSON object'),
  invalid: (/** @type {string} */ message) => fail(400, 'invalid_parameter', message),
  missing: (/** @type {string} */ message) => fail(400, 'missing_parameter', message),
  outOfRange: (/** @type {string} */ message) => fail(400, 'out_of_range', message),
});

/** Bodies of injected faults and of the rate limiter's 429 (Brevo publishes none of them). */
export const FAULT_BODIES = /** @type {Record<number, { code: string, message: string }>} */ ({
  429: { code: 'too_many_requests', message: 'The expected rate limit is exceeded.' },
  500: { code: 'internal_error', message: 'Internal server error' },
  502: { code: 'bad_gateway', message: 'Bad gateway' },
  503: { code: 'service_unavailable', message: 'Service unavailable' },
  504: { code: 'gateway_timeout', message: 'Gateway timeout' },
});

/**
 * The code in the case the `codeCase` switch asks for.
 * @param {unknown} body @param {'lower' | 'upper'} codeCase
 */
export function casedCode(body, codeCase) {
  if (codeCase === 'lower' || !body || typeof body !== 'object' || !('code' in body)) return body;
  const { code } = /** @type {{ code: unknown }} */ (body);
  return typeof code === 'string' ? { ...body, code: code.toUpperCase() } : body;
}
