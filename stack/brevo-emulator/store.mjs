// @ts-check
/**
 * The account's data: lists, attributes and contacts.
 *
 * A contact exists once per account, whatever lists it is in. Contacts live in one Map by id,
 * with indexes by lowercased e-mail and by ext_id (e-mails are unique per account and matched
 * case-insensitively; ext_id is an identifier like the e-mail), and each list keeps the set
 * of its members' ids, so a list's page and an upsert stay cheap with many contacts.
 *
 * Attributes belong to the account: one value per attribute per contact, for every list.
 * EMAIL and SMS are built in, FIRSTNAME and LASTNAME exist by default; every other attribute
 * must be created before it is written.
 */

/**
 * @typedef {{ id: number, name: string, folderId: number, createdAt: number }} List
 * @typedef {{ value: number, label: string }} EnumValue
 * @typedef {{
 *   name: string, category: 'normal' | 'transactional' | 'category' | 'calculated' | 'global',
 *   type?: string, enumeration?: EnumValue[], multiCategoryOptions?: string[],
 *   value?: string, isRecurring?: boolean,
 * }} Attribute
 * @typedef {string | Partial<Attribute> & { name: string }} AttributeSpec a name is a normal text attribute
 * @typedef {{
 *   id: number, email: string | null, extId: string | null,
 *   attributes: Record<string, unknown>, listIds: number[], listUnsubscribed: number[],
 *   emailBlacklisted: boolean, smsBlacklisted: boolean, createdAt: number, modifiedAt: number,
 * }} Contact `attributes` holds the stored values (a category attribute's enumeration value)
 */

export const CATEGORIES = Object.freeze(['normal', 'transactional', 'category', 'calculated', 'global']);
/** The types each category takes (spec, "Attributes"); calculated and global take a `value`. */
export const TYPES_BY_CATEGORY = Object.freeze({
  normal: ['text', 'date', 'float', 'boolean', 'multiple-choice', 'user'],
  transactional: ['text', 'date', 'float', 'boolean', 'id'],
  category: ['text', 'date', 'float', 'boolean', 'category'],
});
/** Built into every account; an attribute of these names cannot be created. */
const BUILT_IN = Object.freeze([
  { name: 'EMAIL', category: 'normal', type: 'text' },
  { name: 'SMS', category: 'normal', type: 'text' },
]);
/** The attributes a new account has. */
export const DEFAULT_ATTRIBUTES = Object.freeze([
  { name: 'FIRSTNAME', category: 'normal', type: 'text' },
  { name: 'LASTNAME', category: 'normal', type: 'text' },
]);
/** Attribute names: capitals, digits and underscores, starting with a letter (the emulator's rule). */
export const ATTRIBUTE_NAME = /^[A-Z][A-Z0-9_]*$/;
/** Categories whose values a contact write sets ("transactional attributes can be updated the same way as normal attributes"). */
const WRITABLE_CATEGORIES = Object.freeze(['normal', 'transactional', 'category']);

/**
 * A syntactically plausible address: one at sign, no spaces, a dot in the domain, at most 254
 * characters. Stricter checks are Brevo's business; an address a test wants refused is
 * configured as rejected (faults.mjs).
 * @param {unknown} v
 */
export function isValidEmail(v) {
  return (
    typeof v === 'string' &&
    v.length <= 254 &&
    /^[^\s@"(),:;<>[\]\\]+@[^\s@"(),:;<>[\]\\.]+(\.[^\s@"(),:;<>[\]\\.]+)+$/.test(v)
  );
}

/** @param {unknown} v */
const isDate = (v) => {
  if (typeof v !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(v)) return false;
  const d = new Date(`${v}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === v;
};

/**
 * The value to store when `v` fits the attribute's type, else `undefined` (ignored, as Brevo
 * ignores "values that don't match the attribute type"). `null` clears a value.
 * @param {Attribute} a @param {unknown} v
 * @returns {unknown}
 */
export function fitValue(a, v) {
  if (v === null) return null;
  switch (a.type) {
    case 'text':
    case 'user':
      return typeof v === 'string' ? v : undefined;
    case 'float':
      return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
    case 'boolean':
      return typeof v === 'boolean' ? v : undefined;
    case 'date':
      return isDate(v) ? v : undefined;
    case 'id':
      return Number.isInteger(v) ? v : undefined;
    case 'multiple-choice':
      return Array.isArray(v) && v.every((x) => typeof x === 'string' && a.multiCategoryOptions?.includes(x))
        ? [...v]
        : undefined;
    case 'category': {
      const e = a.enumeration?.find((x) => x.value === v || x.label === v);
      return e ? e.value : undefined;
    }
    default:
      return undefined;
  }
}

/** @template T @param {T} v @returns {T} */
const copy = (v) => structuredClone(v);

export class Store {
  /** @type {Map<number, List>} */ lists = new Map();
  /** @type {Map<number, Set<number>>} */ members = new Map();
  /** @type {Map<number, Contact>} */ contacts = new Map();
  /** @type {Map<string, number>} lowercased e-mail → id */ byEmail = new Map();
  /** @type {Map<string, number>} */ byExtId = new Map();
  /** @type {Map<string, Attribute>} */ attributes = new Map();
  /** @type {Set<string>} lowercased addresses of contacts deleted while blocklisted (deletedBlocklist 'kept') */
  suppressed = new Set();
  nextContactId = 1;
  nextListId = 1;
  nextProcessId = 1;

  /**
   * @param {{ lists: { id?: number, name: string }[], attributes: AttributeSpec[], now: () => Date }} opts
   */
  constructor({ lists, attributes, now }) {
    this.initialLists = lists;
    this.initialAttributes = attributes;
    this.now = now;
    this.reset();
  }

  /** Back to the configured lists and attributes; no contacts. */
  reset() {
    this.lists = new Map();
    this.members = new Map();
    this.contacts = new Map();
    this.byEmail = new Map();
    this.byExtId = new Map();
    this.attributes = new Map();
    this.suppressed = new Set();
    this.nextContactId = 1;
    this.nextListId = 1;
    this.nextProcessId = 1;
    for (const a of [...BUILT_IN, ...DEFAULT_ATTRIBUTES])
      this.attributes.set(a.name, /** @type {Attribute} */ ({ ...a }));
    for (const spec of this.initialAttributes) {
      const a = typeof spec === 'string' ? { name: spec } : spec;
      const name = String(a.name).toUpperCase();
      if (!ATTRIBUTE_NAME.test(name)) throw new Error(`bad attribute name ${JSON.stringify(a.name)}`);
      if (this.attributes.has(name)) throw new Error(`attribute ${name} exists`);
      this.attributes.set(name, /** @type {Attribute} */ ({ category: 'normal', type: 'text', ...a, name }));
    }
    for (const l of this.initialLists) this.createList(l);
  }

  /** @param {{ id?: number, name: string }} spec */
  createList({ id, name }) {
    if (typeof name !== 'string' || name === '') throw new Error('a list needs a name');
    const listId = id ?? this.nextListId;
    if (!Number.isInteger(listId) || listId < 1) throw new Error('a list id is a whole number >= 1');
    if (this.lists.has(listId)) throw new Error(`list ${listId} exists`);
    /** @type {List} */
    const list = { id: listId, name, folderId: 1, createdAt: this.now().getTime() };
    this.lists.set(listId, list);
    this.members.set(listId, new Set());
    this.nextListId = Math.max(this.nextListId, listId + 1);
    return list;
  }

  /** @param {unknown} email */
  findByEmail(email) {
    if (typeof email !== 'string') return undefined;
    const id = this.byEmail.get(email.toLowerCase());
    return id === undefined ? undefined : this.contacts.get(id);
  }

  /** @param {unknown} extId */
  findByExtId(extId) {
    if (typeof extId !== 'string') return undefined;
    const id = this.byExtId.get(extId);
    return id === undefined ? undefined : this.contacts.get(id);
  }

  /**
   * A contact whose attribute `name` holds `value` (phone_id, whatsapp_id, landline_number_id).
   * @param {string} name @param {string} value
   */
  findByAttribute(name, value) {
    for (const c of this.contacts.values()) if (c.attributes[name] === value) return c;
    return undefined;
  }

  /**
   * A new contact; the caller has checked that its e-mail and ext_id are free.
   * @param {{ email: string | null, extId: string | null, createdAt?: number }} init
   */
  insert({ email, extId, createdAt }) {
    const t = createdAt ?? this.now().getTime();
    /** @type {Contact} */
    const c = {
      id: this.nextContactId++,
      email: null,
      extId: null,
      attributes: {},
      listIds: [],
      listUnsubscribed: [],
      emailBlacklisted: false,
      smsBlacklisted: false,
      createdAt: t,
      modifiedAt: t,
    };
    this.contacts.set(c.id, c);
    if (email !== null) this.setEmail(c, email);
    if (extId !== null) this.setExtId(c, extId);
    return c;
  }

  /** Stores the address as given (the caller applies `storedEmailCase`). @param {Contact} c @param {string | null} email */
  setEmail(c, email) {
    if (c.email !== null) this.byEmail.delete(c.email.toLowerCase());
    c.email = email;
    if (email !== null) this.byEmail.set(email.toLowerCase(), c.id);
  }

  /** @param {Contact} c @param {string | null} extId */
  setExtId(c, extId) {
    if (c.extId !== null) this.byExtId.delete(c.extId);
    c.extId = extId;
    if (extId !== null) this.byExtId.set(extId, c.id);
  }

  /** @param {Contact} c @param {number} listId @returns {boolean} whether it joined */
  join(c, listId) {
    if (c.listIds.includes(listId)) return false;
    c.listIds.push(listId);
    this.members.get(listId)?.add(c.id);
    return true;
  }

  /** @param {Contact} c @param {number} listId @returns {boolean} whether it left */
  leave(c, listId) {
    if (!c.listIds.includes(listId)) return false;
    c.listIds = c.listIds.filter((l) => l !== listId);
    this.members.get(listId)?.delete(c.id);
    return true;
  }

  /** @param {Contact} c */
  remove(c) {
    for (const l of c.listIds) this.members.get(l)?.delete(c.id);
    this.setEmail(c, null);
    this.setExtId(c, null);
    this.contacts.delete(c.id);
  }

  /** @param {Contact} c */
  touch(c) {
    c.modifiedAt = Math.max(this.now().getTime(), c.modifiedAt);
  }

  /** @param {number} listId @returns {Contact[]} */
  membersOf(listId) {
    return [...(this.members.get(listId) ?? [])].map((id) => /** @type {Contact} */ (this.contacts.get(id)));
  }

  /**
   * A list as `GET /contacts/lists` shows it. The OpenAPI examples add up as
   * uniqueSubscribers = totalSubscribers + totalBlacklisted, which the emulator follows:
   * every member, the members not blocklisted, the blocklisted members.
   * @param {List} list @param {boolean} extended `GET /contacts/lists/{id}` adds createdAt and dynamicList
   */
  listView(list, extended) {
    const members = this.membersOf(list.id);
    const blocked = members.filter((c) => c.emailBlacklisted).length;
    const view = {
      id: list.id,
      name: list.name,
      totalBlacklisted: blocked,
      totalSubscribers: members.length - blocked,
      uniqueSubscribers: members.length,
      folderId: list.folderId,
    };
    return extended ? { ...view, createdAt: new Date(list.createdAt).toISOString(), dynamicList: false } : view;
  }

  /**
   * Checks a contact write's `attributes` (EMAIL aside, which the callers handle): which values
   * to store, which to clear; unfit values and attributes that take no contact value are left
   * out. Unknown names are dropped or, with `refuse`, returned as `unknown`.
   * @param {Record<string, unknown>} attrs @param {boolean} refuse
   * @returns {{ set: [string, unknown][], unknown: string[] }}
   */
  planAttributes(attrs, refuse) {
    /** @type {[string, unknown][]} */
    const set = [];
    /** @type {string[]} */
    const unknown = [];
    for (const [name, v] of Object.entries(attrs)) {
      if (name === 'EMAIL') continue;
      const a = this.attributes.get(name);
      if (!a) {
        if (refuse) unknown.push(name);
        continue;
      }
      if (!WRITABLE_CATEGORIES.includes(a.category)) continue;
      const fit = fitValue(a, v);
      if (fit !== undefined) set.push([name, fit]);
    }
    return { set, unknown };
  }

  /**
   * @param {Contact} c @param {[string, unknown][]} set
   * @returns {boolean} whether a value changed
   */
  applyAttributes(c, set) {
    let changed = false;
    for (const [name, v] of set) {
      const before = JSON.stringify(c.attributes[name]);
      if (v === null) delete c.attributes[name];
      else c.attributes[name] = copy(v);
      if (JSON.stringify(c.attributes[name]) !== before) changed = true;
    }
    return changed;
  }

  /**
   * The stored values as a reader sees them: a category attribute by its label (Brevo's list
   * examples show `"GENDER": "Kid"`).
   * @param {Contact} c
   */
  attributesView(c) {
    /** @type {Record<string, unknown>} */
    const out = {};
    for (const [name, v] of Object.entries(c.attributes)) {
      const a = this.attributes.get(name);
      out[name] = a?.type === 'category' ? (a.enumeration?.find((e) => e.value === v)?.label ?? v) : copy(v);
    }
    return out;
  }
}
