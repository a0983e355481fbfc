// @ts-check
/**
 * The attribute routes: `GET /contacts/attributes` and
 * `POST /contacts/attributes/{category}/{name}` (spec, "Attributes").
 *
 * Attributes belong to the account. Body by category: `type` for normal (text, date, float,
 * boolean, multiple-choice, user), transactional (text, date, float, boolean, id) and category
 * (text, date, float, boolean, category) attributes; `enumeration` [{value, label}] for
 * category ones; `multiCategoryOptions` for multiple-choice; `value` (and `isRecurring`) for
 * calculated and global ones. An empty body is the spec's 400 "No inputs in the body"; a name
 * that exists (built-in EMAIL and SMS included) answers per `attributeExists`.
 */
import { ERR, fail } from './errors.mjs';
import { isObject } from './http-io.mjs';
import { ATTRIBUTE_NAME, CATEGORIES, TYPES_BY_CATEGORY } from './store.mjs';

/**
 * @typedef {import('./contacts.mjs').Ctx} Ctx
 * @typedef {import('./errors.mjs').Reply} Reply
 * @typedef {import('./store.mjs').Attribute} Attribute
 */

/** @param {Attribute} a */
export function attributeView(a) {
  /** @type {Record<string, unknown>} */
  const v = { name: a.name, category: a.category };
  if (a.type !== undefined) v.type = a.type;
  if (a.enumeration) v.enumeration = a.enumeration.map((e) => ({ ...e }));
  if (a.multiCategoryOptions) v.multiCategoryOptions = [...a.multiCategoryOptions];
  if (a.value !== undefined) v.calculatedValue = a.value;
  return v;
}

/** @param {Ctx} ctx @returns {Reply} */
export function getAttributes(ctx) {
  return { status: 200, body: { attributes: [...ctx.store.attributes.values()].map(attributeView) } };
}

/**
 * Checks a create body for its category; returns the attribute or a 400.
 * @param {string} category @param {string} name @param {Record<string, unknown>} body
 * @returns {{ attribute: Attribute } | { reply: Reply }}
 */
export function checkAttribute(category, name, body) {
  if (category === 'calculated' || category === 'global') {
    if (body.value === undefined) return { reply: ERR.missing(`value is required for a ${category} attribute`) };
    if (typeof body.value !== 'string' || body.value === '')
      return { reply: ERR.invalid('value must be a non-empty string') };
    if (body.isRecurring !== undefined && typeof body.isRecurring !== 'boolean')
      return { reply: ERR.invalid('isRecurring must be a boolean') };
    return {
      attribute: /** @type {Attribute} */ ({
        name,
        category,
        value: body.value,
        ...(body.isRecurring === undefined ? {} : { isRecurring: body.isRecurring }),
      }),
    };
  }
  const types = /** @type {Record<string, readonly string[]>} */ (TYPES_BY_CATEGORY)[category] ?? [];
  if (body.type === undefined) return { reply: ERR.missing(`type is required for a ${category} attribute`) };
  if (typeof body.type !== 'string' || !types.includes(body.type))
    return { reply: ERR.invalid(`type of a ${category} attribute must be one of ${types.join(', ')}`) };
  /** @type {Attribute} */
  const attribute = { name, category: /** @type {Attribute['category']} */ (category), type: body.type };
  if (category === 'category') {
    const e = body.enumeration;
    if (e === undefined) return { reply: ERR.missing('enumeration is required for a category attribute') };
    const fits =
      Array.isArray(e) &&
      e.length > 0 &&
      e.every((x) => isObject(x) && Number.isInteger(x.value) && typeof x.label === 'string' && x.label !== '') &&
      new Set(e.map((x) => x.value)).size === e.length;
    if (!fits)
      return { reply: ERR.invalid('enumeration must be a non-empty list of {value, label} with distinct values') };
    attribute.enumeration = e.map((x) => ({ value: x.value, label: x.label }));
  }
  if (body.type === 'multiple-choice') {
    const o = body.multiCategoryOptions;
    if (o === undefined)
      return { reply: ERR.missing('multiCategoryOptions is required for a multiple-choice attribute') };
    if (!Array.isArray(o) || o.length === 0 || !o.every((x) => typeof x === 'string' && x !== ''))
      return { reply: ERR.invalid('multiCategoryOptions must be a non-empty list of strings') };
    attribute.multiCategoryOptions = [...new Set(o)];
  }
  return { attribute };
}

/**
 * `POST /contacts/attributes/{category}/{name}`: 201, no body. The name is stored in capitals
 * ("Names go in capitals"); it must start with a letter and hold only letters, digits and `_`.
 * @param {Ctx} ctx @returns {Reply}
 */
export function createAttribute(ctx) {
  const category = String(ctx.params.category);
  if (!CATEGORIES.includes(category)) return ERR.invalid(`attribute category must be one of ${CATEGORIES.join(', ')}`);
  const name = String(ctx.params.name).toUpperCase();
  if (!ATTRIBUTE_NAME.test(name))
    return ERR.invalid('Invalid attribute name: letters, digits and _, starting with a letter');
  if (ctx.bodyError) return ERR.badJson();
  if (ctx.body === undefined || (isObject(ctx.body) && Object.keys(ctx.body).length === 0)) return ERR.noInputs();
  if (!isObject(ctx.body)) return ERR.badJson();
  const checked = checkAttribute(category, name, ctx.body);
  if ('reply' in checked) return checked.reply;
  if (ctx.store.attributes.has(name)) {
    if (ctx.settings.attributeExists === 201) return { status: 201 };
    return fail(400, 'duplicate_parameter', `Attribute name ${name} already exists`);
  }
  ctx.store.attributes.set(name, checked.attribute);
  return { status: 201 };
}
