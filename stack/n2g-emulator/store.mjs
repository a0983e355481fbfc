// @ts-check
/**
 * The account's data: lists (address books), custom attributes and recipients.
 *
 * Custom attributes are defined per list (the Postman collection's "Attributes" folder):
 * an attribute belongs to the lists in its `list_ids`, a global one (`is_global`) to every
 * list, those created later included. Names are unique across the account. A recipient
 * may only be read or written through the attributes of its own list.
 *
 * A recipient belongs to exactly one list (the same e-mail in two lists is two
 * recipients with two ids). Recipients live in one Map by id, plus per list a Map by id
 * (insertion order = creation order, which gives stable paging) and a Map by lowercased
 * e-mail, so an upsert is O(1) even with 100,000 recipients in a list.
 */
import { isValidId, newId } from './envelope.mjs';

/**
 * @typedef {{ id: string, name: string, created_at: string }} List
 * @typedef {{
 *   id: string, name: string, type: string, is_global: boolean, list_ids: string[],
 *   display: string, sub_type: string, is_enum: boolean, is_public: boolean, is_multiselect: boolean,
 *   html_element_type: string, default_value: unknown, created_at: string
 * }} Attribute `list_ids` is kept empty for a global attribute: it belongs to every list
 * @typedef {{ name: string, type?: string, list_ids?: string[], is_global?: boolean } & Record<string, unknown>} AttributeSpec
 *   what a configuration or a `POST /attributes` gives; absent fields take ATTRIBUTE_DEFAULTS
 * @typedef {{
 *   id: string, list_id: string, email: string,
 *   first_name: string | null, last_name: string | null, gender: string | null, phone: string | null,
 *   is_unsubscribed: boolean, is_blacklisted: boolean, is_bounced: boolean,
 *   created_at: string, updated_at: string, group_ids: string[],
 *   attributes: Record<string, unknown>
 * }} Recipient
 */

/** Fields a client may write through the API (besides configured custom attributes). */
export const WRITABLE = Object.freeze([
  'email',
  'first_name',
  'last_name',
  'gender',
  'phone',
  'is_unsubscribed',
  'is_blacklisted',
]);
/** Fields only a user of the provider's UI can set (the emulator's control interface). */
export const UI_ONLY = Object.freeze(['is_bounced', 'created_at', 'group_ids']);
/** Fields `_expand=true` returns; custom attributes only come back when named in `_fields`. */
export const RECIPIENT_DEFAULTS = Object.freeze([
  'id',
  'email',
  'first_name',
  'last_name',
  'gender',
  'phone',
  'created_at',
  'is_unsubscribed',
  'is_blacklisted',
  'is_bounced',
]);
/**
 * Every built-in field a `_fields` or `_filter` may name: exactly the spec's list. The
 * record also keeps `list_id` and `updated_at` for the emulator's own use (control API,
 * state); the spec does not list them as recipient fields, so clients cannot ask for them.
 */
export const RECIPIENT_FIELDS = RECIPIENT_DEFAULTS;
/** Built-in names of the stored record, exposed or not: never custom attribute names. */
/** The array fields a `_filter` may name (docs' table: `group_ids=contains=…`); `list_ids` is `[list_id]`. */
export const RECIPIENT_ARRAY_FIELDS = Object.freeze(['list_ids', 'group_ids']);
export const BUILT_IN_FIELDS = Object.freeze([...RECIPIENT_FIELDS, 'list_id', 'updated_at', ...RECIPIENT_ARRAY_FIELDS]);
export const LIST_FIELDS = Object.freeze(['id', 'name', 'created_at']);
/** An attribute's fields besides id, name, is_global and list_ids, as the Postman body gives them. */
export const ATTRIBUTE_DEFAULTS = Object.freeze({
  type: 'text',
  display: 'all',
  sub_type: 'text',
  is_enum: false,
  is_public: false,
  is_multiselect: false,
  html_element_type: 'input',
  default_value: '',
});
/** What `_fields` may name on an attribute, and what `_expand=true` gives. */
export const ATTRIBUTE_FIELDS = Object.freeze([
  'id',
  'name',
  'type',
  'is_global',
  'list_ids',
  ...Object.keys(ATTRIBUTE_DEFAULTS).filter((k) => k !== 'type'),
  'created_at',
]);
/** Attribute names, as the Postman collection gives them. */
export const ATTRIBUTE_NAME = /^[0-9a-zA-Z_]+$/;
const BOOLEAN_FIELDS = new Set(['is_unsubscribed', 'is_blacklisted', 'is_bounced']);
const TEXT_FIELDS = new Set(['first_name', 'last_name', 'phone']);

/**
 * Syntax check for e-mail addresses: one at-sign, a dot in the domain, no spaces, at most
 * 254 characters. Deliberately simple; the real provider's rules are not published.
 * @param {unknown} email
 */
export function isValidEmail(email) {
  return (
    typeof email === 'string' &&
    email.length <= 254 &&
    /^[^\s@"(),:;<>[\]\\]+@[^\s@"(),:;<>[\]\\]+\.[^\s@"(),:;<>[\]\\]{2,}$/.test(email)
  );
}

export class Store {
  /** @type {Set<string>} */ usedIds = new Set();
  /** @type {Map<string, List>} */ lists = new Map();
  /** @type {Map<string, Attribute>} */ attributes = new Map();
  /** @type {Map<string, Recipient>} */ recipients = new Map();
  /** @type {Map<string, Map<string, Recipient>>} */ members = new Map();
  /** @type {Map<string, Map<string, string>>} lowercased e-mail → id, per list */ emailIndex = new Map();

  /**
   * @param {{ lists: { id?: string, name: string }[], attributes: (string | AttributeSpec)[],
   *   globalAttributes?: string[], now: () => Date, reservedIds?: string[] }} init
   *   attributes: a name is an attribute of every configured list, an object names its own
   *   `list_ids` (default: the configured lists) or `is_global`; globalAttributes: names of
   *   global ones; reservedIds: ids taken elsewhere (the account id)
   */
  constructor(init) {
    this.init = init;
    this.now = init.now;
    this.reset();
  }

  /** Back to the configured lists and attributes; every recipient gone. */
  reset() {
    this.usedIds = new Set(this.init.reservedIds ?? []);
    this.lists = new Map();
    this.attributes = new Map();
    this.recipients = new Map();
    this.members = new Map();
    this.emailIndex = new Map();
    const configured = this.init.lists.map((l) => this.createList(l).id);
    /** @type {AttributeSpec[]} */
    const specs = [
      ...this.init.attributes.map((a) => (typeof a === 'string' ? { name: a } : a)),
      ...(this.init.globalAttributes ?? []).map((name) => ({ name, is_global: true })),
    ];
    for (const spec of specs) {
      const name = String(spec.name);
      if (!ATTRIBUTE_NAME.test(name) || BUILT_IN_FIELDS.includes(name))
        throw new Error(`attribute name must match [0-9a-zA-Z_]+ and not be a built-in field: ${JSON.stringify(name)}`);
      const listIds = spec.is_global ? [] : (spec.list_ids ?? configured);
      const unknown = listIds.find((id) => !this.lists.has(id));
      if (unknown !== undefined) throw new Error(`attribute ${name}: no list ${unknown}`);
      if (!this.createAttribute({ ...spec, name, list_ids: listIds }))
        throw new Error(`attribute ${name} is configured twice`);
    }
  }

  stamp() {
    return this.now().toISOString();
  }

  /**
   * Configured ids keep their value (so CLI/test setups are stable); others are generated.
   * @param {{ id?: string, name: string }} spec
   * @returns {List}
   */
  createList(spec) {
    let id = spec.id;
    if (id !== undefined) {
      if (!isValidId(id)) throw new Error(`list id must be 8 lowercase letters or digits: ${JSON.stringify(id)}`);
      if (this.usedIds.has(id)) throw new Error(`id already in use: ${id}`);
      this.usedIds.add(id);
    } else {
      id = newId(this.usedIds);
    }
    const list = { id, name: String(spec.name ?? id), created_at: this.stamp() };
    this.lists.set(id, list);
    this.members.set(id, new Map());
    this.emailIndex.set(id, new Map());
    return list;
  }

  /**
   * Creates an attribute; the caller has checked the spec (name, fields, that the lists exist).
   * @param {AttributeSpec} spec @returns {Attribute | null} null when the name exists
   */
  createAttribute(spec) {
    if (this.attributes.has(spec.name)) return null;
    const isGlobal = spec.is_global === true;
    /** @type {Attribute} */
    const attr = {
      id: newId(this.usedIds),
      name: spec.name,
      type: String(spec.type ?? ATTRIBUTE_DEFAULTS.type),
      is_global: isGlobal,
      list_ids: isGlobal ? [] : [...new Set(spec.list_ids ?? [])],
      display: ATTRIBUTE_DEFAULTS.display,
      sub_type: ATTRIBUTE_DEFAULTS.sub_type,
      is_enum: ATTRIBUTE_DEFAULTS.is_enum,
      is_public: ATTRIBUTE_DEFAULTS.is_public,
      is_multiselect: ATTRIBUTE_DEFAULTS.is_multiselect,
      html_element_type: ATTRIBUTE_DEFAULTS.html_element_type,
      default_value: ATTRIBUTE_DEFAULTS.default_value,
      created_at: this.stamp(),
    };
    const r = /** @type {Record<string, unknown>} */ (/** @type {unknown} */ (attr));
    for (const k of Object.keys(ATTRIBUTE_DEFAULTS)) if (k !== 'type' && spec[k] !== undefined) r[k] = spec[k];
    this.attributes.set(attr.name, attr);
    return attr;
  }

  /** @param {string} id @returns {Attribute | undefined} */
  attributeById(id) {
    for (const a of this.attributes.values()) if (a.id === id) return a;
    return undefined;
  }

  /** Whether the attribute belongs to the list (a global one belongs to every list). @param {Attribute} attr @param {string} listId */
  onList(attr, listId) {
    return attr.is_global ? this.lists.has(listId) : attr.list_ids.includes(listId);
  }

  /** The list's attribute of that name, if the list has one. @param {string} listId @param {string} name */
  listAttribute(listId, name) {
    const attr = this.attributes.get(name);
    return attr && this.onList(attr, listId) ? attr : undefined;
  }

  /** The list's attributes, in creation order. @param {string} listId */
  attributesOf(listId) {
    return [...this.attributes.values()].filter((a) => this.onList(a, listId));
  }

  /** The lists an attribute belongs to: every list for a global one. @param {Attribute} attr */
  listIdsOf(attr) {
    return attr.is_global ? [...this.lists.keys()] : [...attr.list_ids];
  }

  /** One field of an attribute for output. @param {Attribute} attr @param {string} name */
  readAttribute(attr, name) {
    if (name === 'list_ids') return this.listIdsOf(attr);
    return /** @type {Record<string, unknown>} */ (/** @type {unknown} */ (attr))[name];
  }

  /** An attribute as the control interface shows it (list_ids filled in for a global one). @param {Attribute} attr */
  attributeView(attr) {
    return { ...attr, list_ids: this.listIdsOf(attr) };
  }

  /**
   * Whether `_fields` or `_filter` may name the field on the list's recipients: a built-in
   * field, or an attribute of that list.
   * @param {string} listId @param {string} name
   */
  isRecipientField(listId, name) {
    return RECIPIENT_FIELDS.includes(name) || this.listAttribute(listId, name) !== undefined;
  }

  /** @param {string} listId @param {string} email @returns {Recipient | undefined} */
  findByEmail(listId, email) {
    const id = this.emailIndex.get(listId)?.get(email.toLowerCase());
    return id === undefined ? undefined : this.recipients.get(id);
  }

  /** @param {string} listId @param {string} id */
  inList(listId, id) {
    return this.members.get(listId)?.get(id);
  }

  /**
   * Creates a recipient. A new recipient without `is_unsubscribed` is subscribed.
   * Fields must already be validated and normalised (see `checkWrite`).
   * @param {string} listId @param {Record<string, unknown>} fields @returns {Recipient}
   */
  insert(listId, fields) {
    const stamp = this.stamp();
    /** @type {Recipient} */
    const rec = {
      id: newId(this.usedIds),
      list_id: listId,
      email: String(fields.email),
      first_name: null,
      last_name: null,
      gender: null,
      phone: null,
      is_unsubscribed: false,
      is_blacklisted: false,
      is_bounced: false,
      created_at: stamp,
      updated_at: stamp,
      group_ids: [],
      attributes: {},
    };
    this.assign(rec, fields);
    this.recipients.set(rec.id, rec);
    this.members.get(listId)?.set(rec.id, rec);
    this.emailIndex.get(listId)?.set(rec.email.toLowerCase(), rec.id);
    return rec;
  }

  /**
   * Changes only the fields given. An e-mail already used by another recipient of the
   * list is refused (the provider answers 400 with code 1062).
   * @param {Recipient} rec @param {Record<string, unknown>} fields
   * @returns {{ ok: true } | { duplicate: string }}
   */
  update(rec, fields) {
    const index = /** @type {Map<string, string>} */ (this.emailIndex.get(rec.list_id));
    if (typeof fields.email === 'string') {
      const other = index.get(fields.email.toLowerCase());
      if (other !== undefined && other !== rec.id) return { duplicate: fields.email };
      index.delete(rec.email.toLowerCase());
      index.set(fields.email.toLowerCase(), rec.id);
    }
    this.assign(rec, fields);
    rec.updated_at = this.stamp();
    return { ok: true };
  }

  /** @param {Recipient} rec @param {Record<string, unknown>} fields */
  assign(rec, fields) {
    const r = /** @type {Record<string, unknown>} */ (/** @type {unknown} */ (rec));
    for (const [k, v] of Object.entries(fields)) {
      if (k === 'list_id' || k === 'id') continue;
      if (BUILT_IN_FIELDS.includes(k)) r[k] = v;
      else rec.attributes[k] = v;
    }
  }

  /** @param {Recipient} rec */
  remove(rec) {
    this.recipients.delete(rec.id);
    this.members.get(rec.list_id)?.delete(rec.id);
    this.emailIndex.get(rec.list_id)?.delete(rec.email.toLowerCase());
  }

  /**
   * Reads one field for output or filtering: built-in fields from the record, custom
   * attributes from its attribute map (null when never written).
   * @param {Recipient} rec @param {string} name
   */
  read(rec, name) {
    if (name === 'list_ids') return [rec.list_id];
    if (name === 'group_ids') return rec.group_ids;
    if (RECIPIENT_FIELDS.includes(name))
      return /** @type {Record<string, unknown>} */ (/** @type {unknown} */ (rec))[name];
    return rec.attributes[name] ?? null;
  }

  /**
   * Validates and normalises a write to a recipient of `listId`. `mode` 'api' allows what a
   * client may send, 'ui' also the fields only the provider's UI sets (is_bounced,
   * created_at). A field that is no attribute of the list is refused, or with
   * `unknownAttribute` 'drop' left out without a word (settings.mjs); built-in read-only
   * fields are refused either way. Returns normalised fields or validation errors.
   * @param {string} listId
   * @param {Record<string, unknown>} body
   * @param {'api' | 'ui'} mode
   * @param {'refuse' | 'drop'} [unknownAttribute]
   * @returns {{ fields: Record<string, unknown>, errors: { fieldName: string, message: string }[] }}
   */
  checkWrite(listId, body, mode, unknownAttribute = 'refuse') {
    /** @type {Record<string, unknown>} */
    const fields = {};
    /** @type {{ fieldName: string, message: string }[]} */
    const errors = [];
    for (const [k, v] of Object.entries(body)) {
      if (k === 'list_id') continue; // the callers check the list themselves
      const isAttribute = this.listAttribute(listId, k) !== undefined;
      const allowed = WRITABLE.includes(k) || isAttribute || (mode === 'ui' && UI_ONLY.includes(k));
      if (!allowed) {
        // No attribute of this list: "refused, or dropped without a word" is unconfirmed
        // (the spec); refused, the emulator answers 422 naming the field.
        if (unknownAttribute === 'drop' && !BUILT_IN_FIELDS.includes(k)) continue;
        errors.push({
          fieldName: k,
          message: BUILT_IN_FIELDS.includes(k) ? `Field "${k}" is read-only` : `Attribute "${k}" does not exist`,
        });
        continue;
      }
      const problem = checkValue(k, v, isAttribute);
      if (problem) errors.push({ fieldName: k, message: problem });
      else fields[k] = BOOLEAN_FIELDS.has(k) ? v === true || v === 1 : v;
    }
    return { fields, errors };
  }
}

/**
 * @param {string} k @param {unknown} v @param {boolean} isAttribute
 * @returns {string | null} a message when the value does not fit the field
 */
function checkValue(k, v, isAttribute) {
  if (k === 'email') return isValidEmail(v) ? null : 'Invalid email address';
  if (k === 'gender') return v === null || v === 'm' || v === 'f' || v === '' ? null : 'Gender must be "m", "f" or ""';
  if (BOOLEAN_FIELDS.has(k)) return typeof v === 'boolean' || v === 0 || v === 1 ? null : `${k} must be a boolean`;
  if (TEXT_FIELDS.has(k)) return v === null || typeof v === 'string' ? null : `${k} must be a string`;
  if (k === 'group_ids')
    return Array.isArray(v) && v.every((g) => typeof g === 'string') ? null : 'group_ids must be strings';
  if (k === 'created_at')
    return typeof v === 'string' && !Number.isNaN(Date.parse(v)) ? null : 'created_at must be a date';
  if (isAttribute)
    return v === null || ['string', 'number', 'boolean'].includes(typeof v) ? null : `${k} must be a scalar`;
  return null;
}
