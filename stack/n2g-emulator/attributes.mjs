// @ts-check
/**
 * API handlers for custom attributes, which Newsletter2Go defines per list (the Postman
 * collection's "Attributes" folder):
 *
 *   GET    /attributes                          every attribute of the account
 *   GET    /attributes/{id}                     one (`name`, `type`, `is_global`, …)
 *   GET    /lists/{list_id}/attributes          a list's attributes, global ones included
 *   POST   /attributes                          create: the Postman body, with `list_ids`
 *   PATCH  /attributes/{id}                     `list_ids` replaces the lists it belongs to
 *   DELETE /lists/{list_id}/attributes/{id}     removes it from that list
 *
 * What the collection leaves open, the emulator decides strictly and says so (README,
 * "Attributes"): fields it does not show are refused, `name`, `type` and `is_global` cannot
 * be changed, a global attribute cannot be removed from one list.
 */
import { duplicate, isTrue, notFound, ok, parseFields, project, validationFailed } from './envelope.mjs';
import { page } from './paging.mjs';
import { objectBody } from './recipients.mjs';
import { ATTRIBUTE_DEFAULTS, ATTRIBUTE_FIELDS, ATTRIBUTE_NAME, BUILT_IN_FIELDS } from './store.mjs';

/**
 * @typedef {import('./recipients.mjs').Ctx} Ctx
 * @typedef {import('./envelope.mjs').Reply} Reply
 * @typedef {import('./store.mjs').Attribute} Attribute
 * @typedef {{ fieldName: string, message: string }} FieldError
 */

/** @param {URL} url @param {string} id */
const attributeHref = (url, id) => `${url.origin}/attributes/${id}`;

const TEXT = new Set(['type', 'display', 'sub_type', 'html_element_type']);
const FLAGS = new Set(['is_enum', 'is_public', 'is_multiselect', 'is_global']);
/** The keys of the Postman collection's `POST /attributes` body: nothing else is accepted. */
const BODY_KEYS = new Set(['list_ids', 'name', 'is_global', ...Object.keys(ATTRIBUTE_DEFAULTS)]);

/** @param {Ctx} c @param {Iterable<Attribute>} items @returns {Reply} */
function attributePage(c, items) {
  return page({
    items,
    url: c.url,
    defaults: ATTRIBUTE_FIELDS,
    isField: (n) => ATTRIBUTE_FIELDS.includes(n),
    // An attribute's `list_ids` is an array field: `"abcd1234"=in=list_ids`.
    fieldKind: (n) => (n === 'list_ids' ? 'array' : ATTRIBUTE_FIELDS.includes(n) ? 'scalar' : null),
    unquotedValue: c.settings.unquotedValue,
    read: (a, n) => c.store.readAttribute(a, n),
    idOf: (a) => a.id,
    hrefOf: (a) => attributeHref(c.url, a.id),
  });
}

/** `GET /attributes`: every attribute of the account. @param {Ctx} c @returns {Reply} */
export function getAttributes(c) {
  return attributePage(c, c.store.attributes.values());
}

/** `GET /lists/{list_id}/attributes`: the list's own and the global ones. @param {Ctx} c @returns {Reply} */
export function getListAttributes(c) {
  const listId = c.params.list_id ?? '';
  if (!c.store.lists.has(listId)) return notFound('List');
  return attributePage(c, c.store.attributesOf(listId));
}

/** `GET /attributes/{id}`: `_fields` honoured as on the other read-one routes. @param {Ctx} c @returns {Reply} */
export function getAttribute(c) {
  const attr = c.store.attributeById(c.params.id ?? '');
  if (!attr) return notFound('Attribute');
  const f = parseFields(c.url.searchParams.get('_fields'), (n) => ATTRIBUTE_FIELDS.includes(n));
  if ('error' in f) return f.error;
  const item = project(
    attributeHref(c.url, attr.id),
    attr.id,
    f.fields,
    isTrue(c.url.searchParams.get('_expand')),
    ATTRIBUTE_FIELDS,
    (n) => c.store.readAttribute(attr, n),
  );
  return ok(200, [item]);
}

/**
 * `POST /attributes` with the Postman body (`list_ids`, `name`, `display`, `type`, …).
 * `list_ids` is required unless `is_global` is true (a global attribute is on every list);
 * an unknown list is a 404; a name the account already has (a built-in field's included)
 * is the spec's 1062 example, `Duplicate value "x" for column "name"`.
 * @param {Ctx} c @returns {Reply}
 */
export function postAttribute(c) {
  const body = objectBody(c);
  if ('error' in body) return body.error;
  const b = body.value;
  const errors = checkBody(b);
  if (typeof b.name !== 'string' || !ATTRIBUTE_NAME.test(b.name))
    errors.push({ fieldName: 'name', message: 'name must match [0-9a-zA-Z_]+' });
  if (b.list_ids === undefined && b.is_global !== true)
    errors.push({ fieldName: 'list_ids', message: 'list_ids is required unless is_global is true' });
  if (errors.length) return validationFailed(errors);
  const lists = checkLists(c, b.list_ids);
  if ('error' in lists) return lists.error;
  const name = String(b.name);
  if (c.store.attributes.has(name) || BUILT_IN_FIELDS.includes(name)) return duplicate(name, 'name');
  const attr = /** @type {Attribute} */ (c.store.createAttribute({ ...b, name, list_ids: lists.ids }));
  return ok(201, [{ _href: attributeHref(c.url, attr.id), id: attr.id }]);
}

/**
 * `PATCH /attributes/{id}`: `list_ids` replaces the lists it belongs to; the other fields of
 * the Postman body may change too, except `name`, `type` and `is_global` (a value equal to
 * the current one is accepted). A global attribute has no `list_ids` to change.
 * @param {Ctx} c @returns {Reply}
 */
export function patchAttribute(c) {
  const attr = c.store.attributeById(c.params.id ?? '');
  if (!attr) return notFound('Attribute');
  const body = objectBody(c);
  if ('error' in body) return body.error;
  const b = body.value;
  const errors = checkBody(b);
  const fixed = /** @type {const} */ (['name', 'type', 'is_global']);
  for (const k of fixed)
    if (b[k] !== undefined && b[k] !== attr[k]) errors.push({ fieldName: k, message: `${k} cannot be changed` });
  if (attr.is_global && b.list_ids !== undefined)
    errors.push({ fieldName: 'list_ids', message: 'A global attribute belongs to every list' });
  if (errors.length) return validationFailed(errors);
  const lists = checkLists(c, b.list_ids);
  if ('error' in lists) return lists.error;
  const r = /** @type {Record<string, unknown>} */ (/** @type {unknown} */ (attr));
  for (const [k, v] of Object.entries(b)) if (!fixed.some((f) => f === k) && k !== 'list_ids') r[k] = v;
  if (b.list_ids !== undefined) attr.list_ids = lists.ids;
  return ok(200, [], { count: 1 });
}

/**
 * `DELETE /lists/{list_id}/attributes/{id}`: the attribute leaves that list (it stays in
 * the account, its name taken, even when it is on no list any more; recipients keep their
 * values). Not on that list: 404. A global attribute belongs to every list: 422.
 * @param {Ctx} c @returns {Reply}
 */
export function deleteListAttribute(c) {
  const listId = c.params.list_id ?? '';
  if (!c.store.lists.has(listId)) return notFound('List');
  const attr = c.store.attributeById(c.params.id ?? '');
  if (!attr) return notFound('Attribute');
  if (attr.is_global)
    return validationFailed([
      { fieldName: 'is_global', message: 'A global attribute belongs to every list; it cannot leave one' },
    ]);
  if (!c.store.onList(attr, listId)) return notFound('Attribute');
  attr.list_ids = attr.list_ids.filter((id) => id !== listId);
  return ok(200, [], { count: 1 });
}

/**
 * The types of a POST or PATCH body's fields; keys the Postman body does not have are refused.
 * @param {Record<string, unknown>} b @returns {FieldError[]}
 */
function checkBody(b) {
  /** @type {FieldError[]} */
  const errors = [];
  for (const [k, v] of Object.entries(b)) {
    if (!BODY_KEYS.has(k)) errors.push({ fieldName: k, message: `Unknown field "${k}"` });
    else if (TEXT.has(k) && typeof v !== 'string') errors.push({ fieldName: k, message: `${k} must be a string` });
    else if (FLAGS.has(k) && typeof v !== 'boolean') errors.push({ fieldName: k, message: `${k} must be a boolean` });
    else if (k === 'default_value' && !(v === null || ['string', 'number', 'boolean'].includes(typeof v)))
      errors.push({ fieldName: k, message: 'default_value must be a scalar' });
    else if (k === 'list_ids' && !(Array.isArray(v) && v.every((id) => typeof id === 'string')))
      errors.push({ fieldName: k, message: 'list_ids must be a list of list ids' });
  }
  return errors;
}

/**
 * Every list named must exist (404, like `POST /recipients` with an unknown list).
 * @param {Ctx} c @param {unknown} listIds already checked to be strings when given
 * @returns {{ ids: string[] } | { error: Reply }}
 */
function checkLists(c, listIds) {
  const ids = /** @type {string[]} */ (listIds ?? []);
  const unknown = ids.find((id) => !c.store.lists.has(id));
  if (unknown !== undefined) return { error: notFound(`List "${unknown}"`) };
  return { ids: [...new Set(ids)] };
}
