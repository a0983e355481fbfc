// @ts-check
/**
 * The account's data: lists (address books), custom attributes and recipients.
 *
 * A recipient belongs to exactly one list (the same e-mail in two lists is two
 * recipients with two ids). Recipients live in one Map by id, plus per list a Map by id
 * (insertion order = creation order, which gives stable paging) and a Map by lowercased
 * e-mail, so an upsert is O(1) even with 100,000 recipients in a list.
 */
import { isValidId, newId } from './envelope.mjs';

/**
 * @typedef {{ id: string, name: string, created_at: string }} List
 * @typedef {{ id: string, name: string, type: string, created_at: string }} Attribute
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
   * @param {{ lists: { id?: string, name: string }[], attributes: string[], now: () => Date,
   *   reservedIds?: string[] }} init reservedIds: ids taken elsewhere (the account id)
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
    for (const l of this.init.lists) this.createList(l);
    for (const a of this.init.attributes) this.createAttribute(a);
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

  /** @param {string} name @param {string} [type] @returns {Attribute | null} null when the name exists */
  createAttribute(name, type = 'text') {
    if (this.attributes.has(name)) return null;
    const attr = { id: newId(this.usedIds), name, type, created_at: this.stamp() };
    this.attributes.set(name, attr);
    return attr;
  }

  /** @param {string} name */
  isRecipientField(name) {
    return RECIPIENT_FIELDS.includes(name) || this.attributes.has(name);
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
   * Validates and normalises a write. `mode` 'api' allows what a client may send,
   * 'ui' also the fields only the provider's UI sets (is_bounced, created_at).
   * Returns normalised fields or validation errors (field name + message).
   * @param {Record<string, unknown>} body
   * @param {'api' | 'ui'} mode
   * @returns {{ fields: Record<string, unknown>, errors: { fieldName: string, message: string }[] }}
   */
  checkWrite(body, mode) {
    /** @type {Record<string, unknown>} */
    const fields = {};
    /** @type {{ fieldName: string, message: string }[]} */
    const errors = [];
    for (const [k, v] of Object.entries(body)) {
      if (k === 'list_id') continue; // the callers check the list themselves
      const allowed = WRITABLE.includes(k) || this.attributes.has(k) || (mode === 'ui' && UI_ONLY.includes(k));
      if (!allowed) {
        // Unknown custom attribute: the spec says "writing an unknown one is an error";
        // status and wording are unconfirmed, the emulator answers 422 naming the field.
        errors.push({
          fieldName: k,
          message: BUILT_IN_FIELDS.includes(k) ? `Field "${k}" is read-only` : `Attribute "${k}" does not exist`,
        });
        continue;
      }
      const problem = checkValue(k, v, this.attributes.has(k));
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
