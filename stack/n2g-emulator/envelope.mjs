// @ts-check
/**
 * Response envelope, error bodies and ids of the Newsletter2Go REST API v1 emulator.
 *
 * Every answer of the real API is `{status, info: {count, links?, additional?}, value: [...]}`;
 * errors carry `{status, code, errorMessage}` (the spec's examples), validation errors
 * add `moreInfo.errors`. Only codes 1062 and 10003 are confirmed by Newsletter2Go's own
 * examples; the other codes below are the emulator's invention (kept in one table so a
 * client never learns to depend on them by accident). Bodies are built with
 * `errorMessage` (the examples' spelling); the server can rename it to `error_message`
 * (the Swagger model's) per instance, see emulator.mjs.
 */
import { randomBytes } from 'node:crypto';

/** Error codes. 1062 and 10003 are confirmed; the rest are unconfirmed inventions. */
export const CODES = Object.freeze({
  DUPLICATE: 1062, // confirmed: unique constraint, e.g. e-mail already used in the list
  VALIDATION: 10003, // confirmed: "Error during input validation"
  BAD_REQUEST: 10001, // invented: malformed body, bad query parameter, bad filter
  INVALID_EMAIL: 10002, // invented: address refused by the provider (rejected list)
  NOT_FOUND: 10004, // invented: no record found
  NO_ROUTE: 10005, // invented: call not available
});

/**
 * @typedef {{ status: number, body: unknown, headers?: Record<string, string> }} Reply
 */

/**
 * Success envelope.
 * @param {number} status
 * @param {unknown[]} value
 * @param {{ count?: number, links?: Record<string, string>, additional?: Record<string, unknown> }} [info]
 * @returns {Reply}
 */
export function ok(status, value, info = {}) {
  /** @type {Record<string, unknown>} */
  const i = { count: info.count ?? value.length };
  if (info.links) i.links = info.links;
  if (info.additional) i.additional = info.additional;
  return { status, body: { status, info: i, value } };
}

/**
 * Error body in the spec's shape.
 * @param {number} status
 * @param {number} code
 * @param {string} message
 * @param {Record<string, unknown>} [moreInfo]
 * @returns {Reply}
 */
export function fail(status, code, message, moreInfo) {
  /** @type {Record<string, unknown>} */
  const body = { status, code, errorMessage: message };
  if (moreInfo) body.moreInfo = moreInfo;
  return { status, body };
}

/**
 * 422 validation error with one entry per offending field (shape from N2G's example).
 * @param {{ fieldName: string, message: string }[]} errors
 * @returns {Reply}
 */
export function validationFailed(errors) {
  return fail(422, CODES.VALIDATION, 'Error during input validation', {
    errors: errors.map((e) => ({ code: CODES.VALIDATION, fieldName: e.fieldName, message: e.message })),
  });
}

/** @param {string} what @returns {Reply} */
export function notFound(what) {
  return fail(404, CODES.NOT_FOUND, `${what} not found`);
}

/** @param {string} message @returns {Reply} */
export function badRequest(message) {
  return fail(400, CODES.BAD_REQUEST, message);
}

/**
 * 400 for a unique-constraint hit, worded like N2G's example
 * (`Duplicate value "x" for column "name"`).
 * @param {string} value @param {string} column @returns {Reply}
 */
export function duplicate(value, column) {
  return fail(400, CODES.DUPLICATE, `Duplicate value "${value}" for column "${column}"`);
}

const ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/**
 * Ids are 8 lowercase alphanumerics, unique across the account (lists, recipients,
 * attributes share one space), so the caller passes the set of ids in use.
 * @param {Set<string>} used
 * @returns {string}
 */
export function newId(used) {
  for (;;) {
    const bytes = randomBytes(8);
    let id = '';
    for (const b of bytes) id += ID_ALPHABET[b % ID_ALPHABET.length];
    if (!used.has(id)) {
      used.add(id);
      return id;
    }
  }
}

/** @param {unknown} id */
export function isValidId(id) {
  return typeof id === 'string' && /^[a-z0-9]{8}$/.test(id);
}

/**
 * Projects a record for output: `_href` and `id` always; named `_fields` when given;
 * the default fields when `_expand=true`; otherwise nothing more (the real API answers
 * `{_href, id}` for an unexpanded call). Collections pass `fields` only with `_expand`
 * (paging.mjs); a read-one call honours `_fields` alone, as the spec's "read one" row
 * shows. `read(name)` returns a field's value.
 * @param {string} href
 * @param {string} id
 * @param {string[] | null} fields names from `_fields`, already validated
 * @param {boolean} expand
 * @param {readonly string[]} defaults
 * @param {(name: string) => unknown} read
 */
export function project(href, id, fields, expand, defaults, read) {
  /** @type {Record<string, unknown>} */
  const out = { _href: href, id };
  const names = fields ?? (expand ? defaults : []);
  for (const name of names) if (name !== 'id') out[name] = read(name);
  return out;
}

/**
 * Parses `_fields` (comma-separated, case-sensitive names). Unknown names are a 400
 * (unconfirmed: the real API's answer to an unknown field is not documented).
 * @param {string | null} raw
 * @param {(name: string) => boolean} known
 * @returns {{ fields: string[] | null } | { error: Reply }}
 */
export function parseFields(raw, known) {
  if (raw === null || raw.trim() === '') return { fields: null };
  const fields = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const f of fields) if (!known(f)) return { error: badRequest(`Unknown field "${f}" in _fields`) };
  return { fields };
}

/** `_expand` is a boolean query parameter; "true" and "1" switch it on. @param {string | null} v */
export function isTrue(v) {
  return v === 'true' || v === '1';
}
