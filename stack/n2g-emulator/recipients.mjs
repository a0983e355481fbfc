// @ts-check
/**
 * API handlers: lists and recipients, as the spec describes them (attributes: attributes.mjs).
 * Every handler receives the parsed call and returns a Reply; auth, faults and the
 * call log are handled around them in emulator.mjs.
 */
import {
  badRequest,
  CODES,
  duplicate,
  fail,
  isTrue,
  notFound,
  ok,
  parseFields,
  project,
  validationFailed,
} from './envelope.mjs';
import { page } from './paging.mjs';
import { isValidEmail, LIST_FIELDS, RECIPIENT_ARRAY_FIELDS, RECIPIENT_DEFAULTS } from './store.mjs';

/**
 * @typedef {import('./envelope.mjs').Reply} Reply
 * @typedef {import('./store.mjs').Store} Store
 * @typedef {import('./store.mjs').Recipient} Recipient
 * @typedef {{ store: Store, faults: import('./faults.mjs').Faults,
 *   settings: Pick<import('./settings.mjs').Settings, 'singleCreateStatus' | 'unquotedValue' | 'unknownAttribute' | 'invalidRecipientsShape'>, url: URL,
 *   params: Record<string, string>, body: unknown, bodyError: string | null }} Ctx
 */

/** @param {URL} url @param {string} listId @param {string} id */
export const recipientHref = (url, listId, id) => `${url.origin}/lists/${listId}/recipients/${id}`;

/** @param {Ctx} c @returns {Reply} */
export function getLists(c) {
  return page({
    items: c.store.lists.values(),
    url: c.url,
    defaults: LIST_FIELDS,
    isField: (n) => LIST_FIELDS.includes(n),
    unquotedValue: c.settings.unquotedValue,
    read: (l, n) => /** @type {Record<string, unknown>} */ (l)[n],
    idOf: (l) => l.id,
    hrefOf: (l) => `${c.url.origin}/lists/${l.id}`,
  });
}

/** @param {Ctx} c @returns {Reply} */
export function getList(c) {
  const list = c.store.lists.get(c.params.list_id ?? '');
  if (!list) return notFound('List');
  const f = parseFields(c.url.searchParams.get('_fields'), (n) => LIST_FIELDS.includes(n));
  if ('error' in f) return f.error;
  const item = project(
    `${c.url.origin}/lists/${list.id}`,
    list.id,
    f.fields,
    isTrue(c.url.searchParams.get('_expand')),
    LIST_FIELDS,
    (n) => /** @type {Record<string, unknown>} */ (list)[n],
  );
  return ok(200, [item]);
}

/**
 * `POST /recipients`: upsert by e-mail within `list_id`. One object answers 200 (or 201,
 * per `settings.singleCreateStatus`), an array 201. Addresses that are not valid e-mails,
 * or that the emulator was told to reject, are not stored: they are left out of `value`
 * and come back in `info.additional.invalid_recipients`, in the shape
 * `settings.invalidRecipientsShape` picks (unconfirmed; see `invalidRecipients`). `value`
 * holds one `{_href, id}` per stored item in the order sent; `info.count` is their number.
 * A field that is no attribute of the item's list is refused or dropped per
 * `settings.unknownAttribute`. Any other invalid input fails the whole request before
 * anything is written.
 * @param {Ctx} c @returns {Reply}
 */
export function postRecipients(c) {
  if (c.bodyError) return badRequest(c.bodyError);
  const isBulk = Array.isArray(c.body);
  const items = /** @type {unknown[]} */ (isBulk ? c.body : [c.body]);
  if (items.length === 0) return badRequest('No recipients given');
  if (!items.every((i) => i !== null && typeof i === 'object' && !Array.isArray(i)))
    return badRequest('Each recipient must be a JSON object');
  const recs = /** @type {Record<string, unknown>[]} */ (items);
  if (isBulk) {
    // The spec: a bulk upsert's objects all carry the same keys.
    const keys = Object.keys(recs[0] ?? {})
      .sort()
      .join(',');
    const odd = recs.findIndex((r) => Object.keys(r).sort().join(',') !== keys);
    if (odd >= 0) return badRequest(`All recipients must have the same keys (recipient ${odd} differs)`);
  }
  /** @type {{ fieldName: string, message: string }[]} */
  const errors = [];
  /** @type {{ index: number, listId: string, fields: Record<string, unknown> }[]} */
  const writes = [];
  for (const [i, r] of recs.entries()) {
    const where = isBulk ? `recipient ${i}: ` : '';
    if (typeof r.list_id !== 'string' || r.list_id === '') {
      errors.push({ fieldName: 'list_id', message: `${where}list_id is required` });
      continue;
    }
    if (!c.store.lists.has(r.list_id)) return notFound(`List "${r.list_id}"`);
    if (typeof r.email !== 'string' || r.email === '') {
      errors.push({ fieldName: 'email', message: `${where}email is required` });
      continue;
    }
    const { email, ...rest } = r;
    const checked = c.store.checkWrite(r.list_id, rest, 'api', c.settings.unknownAttribute);
    for (const e of checked.errors) errors.push({ fieldName: e.fieldName, message: where + e.message });
    writes.push({ index: i, listId: r.list_id, fields: { ...checked.fields, email } });
  }
  if (errors.length) return validationFailed(errors);

  /** @type {Invalid[]} */
  const invalid = [];
  /** @type {{ _href: string, id: string }[]} */
  const value = [];
  for (const { index, listId, fields } of writes) {
    const email = String(fields.email);
    if (!isValidEmail(email) || c.faults.isRejected(email)) {
      invalid.push({ index, email, message: 'Invalid email address' });
      continue;
    }
    const existing = c.store.findByEmail(listId, email);
    // An upsert changes only the fields it carries (same e-mail ignoring case, so the
    // index cannot collide; the stored spelling becomes the one sent).
    const rec = existing ?? c.store.insert(listId, fields);
    if (existing) c.store.update(existing, fields);
    value.push({ _href: recipientHref(c.url, listId, rec.id), id: rec.id });
  }
  // The table: 200 single, 201 array; the pitfalls "200 or 201 on create": switchable.
  return ok(isBulk ? 201 : c.settings.singleCreateStatus, value, {
    count: value.length,
    additional: { invalid_recipients: invalidRecipients(c.settings.invalidRecipientsShape, invalid) },
  });
}

/** @typedef {{ index: number, email: string, message: string }} Invalid an item not stored; index: its place in the request */

/**
 * `info.additional.invalid_recipients` in one of the readings the spec calls plausible
 * ("strings, objects with `email`, or an object keyed by index"): the addresses as sent;
 * `{email, message}` objects (`message` as in the entries of `moreInfo.errors`); or an
 * object from the item's 0-based index in the request to the address as sent, which is
 * `[]` when empty, as PHP's json_encode writes an empty array (the published value).
 * @param {import('./settings.mjs').Settings['invalidRecipientsShape']} shape @param {Invalid[]} invalid
 */
function invalidRecipients(shape, invalid) {
  if (shape === 'objects') return invalid.map(({ email, message }) => ({ email, message }));
  if (shape === 'indexed')
    return invalid.length ? Object.fromEntries(invalid.map(({ index, email }) => [String(index), email])) : [];
  return invalid.map(({ email }) => email);
}

/**
 * Resolves `/lists/{list_id}/recipients/{id}`: 404 for an unknown list or a recipient
 * that is not in that list.
 * @param {Ctx} c @returns {{ rec: Recipient } | { error: Reply }}
 */
function target(c) {
  const listId = c.params.list_id ?? '';
  if (!c.store.lists.has(listId)) return { error: notFound('List') };
  const rec = c.store.inList(listId, c.params.id ?? '');
  return rec ? { rec } : { error: notFound('Recipient') };
}

/**
 * `PATCH` (and, as N2G's PHP client does, `POST`) `/lists/{list_id}/recipients/{id}`:
 * any subset of the fields, e-mail included.
 * @param {Ctx} c @returns {Reply}
 */
export function patchRecipient(c) {
  const t = target(c);
  if ('error' in t) return t.error;
  const body = objectBody(c);
  if ('error' in body) return body.error;
  const { list_id: listId, ...rest } = body.value;
  if (listId !== undefined && listId !== t.rec.list_id) {
    return validationFailed([{ fieldName: 'list_id', message: 'A recipient cannot be moved to another list' }]);
  }
  const checked = c.store.checkWrite(t.rec.list_id, rest, 'api', c.settings.unknownAttribute);
  // A syntactically invalid e-mail is an input-validation error (422, like the other
  // fields); an address the provider refuses is a 400 naming it. Codes unconfirmed.
  if (checked.errors.length) return validationFailed(checked.errors);
  if (c.faults.isRejected(checked.fields.email))
    return fail(400, CODES.INVALID_EMAIL, `Invalid email address "${checked.fields.email}"`);
  const res = c.store.update(t.rec, checked.fields);
  if ('duplicate' in res) return duplicate(res.duplicate, 'email');
  return ok(200, [], { count: 1 });
}

/** @param {Ctx} c @returns {Reply} */
export function getRecipient(c) {
  const t = target(c);
  if ('error' in t) return t.error;
  const f = parseFields(c.url.searchParams.get('_fields'), (n) => c.store.isRecipientField(t.rec.list_id, n));
  if ('error' in f) return f.error;
  const rec = t.rec;
  const item = project(
    recipientHref(c.url, rec.list_id, rec.id),
    rec.id,
    f.fields,
    isTrue(c.url.searchParams.get('_expand')),
    RECIPIENT_DEFAULTS,
    (n) => c.store.read(rec, n),
  );
  return ok(200, [item]);
}

/** @param {Ctx} c @returns {Reply} */
export function getRecipients(c) {
  const listId = c.params.list_id ?? '';
  const members = c.store.members.get(listId);
  if (!members) return notFound('List');
  return page({
    items: members.values(),
    url: c.url,
    defaults: RECIPIENT_DEFAULTS,
    isField: (n) => c.store.isRecipientField(listId, n),
    fieldKind: (n) =>
      RECIPIENT_ARRAY_FIELDS.includes(n) ? 'array' : c.store.isRecipientField(listId, n) ? 'scalar' : null,
    unquotedValue: c.settings.unquotedValue,
    read: (r, n) => c.store.read(r, n),
    idOf: (r) => r.id,
    hrefOf: (r) => recipientHref(c.url, listId, r.id),
  });
}

/** `DELETE /lists/{list_id}/recipients/{id}`: removes the recipient from the list. @param {Ctx} c @returns {Reply} */
export function deleteRecipient(c) {
  const t = target(c);
  if ('error' in t) return t.error;
  c.store.remove(t.rec);
  return ok(200, [], { count: 1 });
}

/** @param {Ctx} c @returns {{ value: Record<string, unknown> } | { error: Reply }} */
export function objectBody(c) {
  if (c.bodyError) return { error: badRequest(c.bodyError) };
  if (c.body === null || typeof c.body !== 'object' || Array.isArray(c.body))
    return { error: badRequest('The body must be a JSON object') };
  return { value: /** @type {Record<string, unknown>} */ (c.body) };
}
