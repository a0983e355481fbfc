// @ts-check
/**
 * The contact routes: `POST /contacts` (create, or upsert with `updateEnabled`),
 * `GET`/`PUT`/`DELETE /contacts/{identifier}` and `GET /contacts`, and the rules every
 * contact write follows (shared with lists.mjs and the control interface):
 *
 * - e-mails are unique per account and matched case-insensitively; stored lower-cased or as
 *   sent (`storedEmailCase`);
 * - ext_id is an identifier like the e-mail: a create whose e-mail and ext_id belong to two
 *   different contacts is a 400, whatever `updateEnabled` says;
 * - changing a contact's e-mail lifts its blocklisting (unless the same write sets
 *   `emailBlacklisted: true`);
 * - an attribute must exist before it is written (unknown names: `unknownAttribute`); values
 *   that do not fit the attribute's type are ignored.
 */
import { ERR, fail } from './errors.mjs';
import { isObject } from './http-io.mjs';
import { byCreation, readPaging } from './paging.mjs';
import { isValidEmail } from './store.mjs';

/**
 * @typedef {import('./store.mjs').Store} Store
 * @typedef {import('./store.mjs').Contact} Contact
 * @typedef {import('./settings.mjs').Settings} Settings
 * @typedef {import('./errors.mjs').Reply} Reply
 * @typedef {{ store: Store, faults: import('./faults.mjs').Faults, settings: Settings, url: URL,
 *   params: Record<string, string>, body: unknown, bodyError: boolean, accountEmail: string }} Ctx
 */

export const IDENTIFIER_TYPES = Object.freeze([
  'email_id',
  'contact_id',
  'ext_id',
  'phone_id',
  'whatsapp_id',
  'landline_number_id',
]);
/** The attribute each phone-like identifierType reads. */
const PHONE_ATTRIBUTES = /** @type {Record<string, string>} */ ({
  phone_id: 'SMS',
  whatsapp_id: 'WHATSAPP',
  landline_number_id: 'LANDLINE_NUMBER',
});

/**
 * The contact a path names. Without identifierType only an e-mail (it has an at sign) or a contact
 * id (digits) works (spec); anything else finds nothing. `error` is a 400 for an unknown
 * identifierType or a contact_id that is no number.
 * @param {Store} store @param {string} identifier @param {string | null} identifierType
 * @returns {{ contact?: Contact, error?: Reply }}
 */
export function lookup(store, identifier, identifierType) {
  if (identifierType === null) {
    if (/^\d+$/.test(identifier)) return { contact: store.contacts.get(Number(identifier)) };
    if (identifier.includes('@')) return { contact: store.findByEmail(identifier) };
    return {};
  }
  if (!IDENTIFIER_TYPES.includes(identifierType))
    return { error: ERR.invalid(`identifierType must be one of ${IDENTIFIER_TYPES.join(', ')}`) };
  if (identifierType === 'email_id') return { contact: store.findByEmail(identifier) };
  if (identifierType === 'contact_id') {
    if (!/^\d+$/.test(identifier)) return { error: ERR.invalid('A contact_id identifier is a whole number') };
    return { contact: store.contacts.get(Number(identifier)) };
  }
  if (identifierType === 'ext_id') return { contact: store.findByExtId(identifier) };
  return { contact: store.findByAttribute(String(PHONE_ATTRIBUTES[identifierType]), identifier) };
}

/** @param {Ctx} ctx @returns {{ contact: Contact } | { reply: Reply }} */
function resolve(ctx) {
  const { contact, error } = lookup(
    ctx.store,
    String(ctx.params.identifier),
    ctx.url.searchParams.get('identifierType'),
  );
  if (error) return { reply: error };
  if (!contact) return { reply: ERR.contactNotFound() };
  return { contact };
}

/**
 * A contact as GET shows it. ext_id as `attributes.EXT_ID`, top-level `ext_id` or both
 * (`extIdField`); `listUnsubscribed` when non-empty, or always (`listUnsubscribedField`);
 * `statistics` only on `GET /contacts/{identifier}` (always `{}`: the emulator sends no campaigns).
 * @param {Store} store @param {Settings} settings @param {Contact} c @param {boolean} [statistics]
 */
export function contactView(store, settings, c, statistics = false) {
  const attributes = store.attributesView(c);
  if (c.extId !== null && settings.extIdField !== 'top-level') attributes.EXT_ID = c.extId;
  /** @type {Record<string, unknown>} */
  const v = {};
  if (c.email !== null) v.email = c.email;
  v.id = c.id;
  if (c.extId !== null && settings.extIdField !== 'attribute') v.ext_id = c.extId;
  v.emailBlacklisted = c.emailBlacklisted;
  v.smsBlacklisted = c.smsBlacklisted;
  v.createdAt = new Date(c.createdAt).toISOString();
  v.modifiedAt = new Date(c.modifiedAt).toISOString();
  v.listIds = [...c.listIds];
  if (c.listUnsubscribed.length > 0 || settings.listUnsubscribedField === 'always')
    v.listUnsubscribed = [...c.listUnsubscribed];
  v.attributes = attributes;
  if (statistics) v.statistics = {};
  return v;
}

/** @param {Settings} settings @param {string} email */
export const storedForm = (settings, email) => (settings.storedEmailCase === 'lowercase' ? email.toLowerCase() : email);

/**
 * Sets a contact's e-mail; a different address (not only another case) lifts the blocklisting
 * ("a blocklisted contact whose address is changed loses the blocklisting and is resubscribed").
 * @param {Store} store @param {Settings} settings @param {Contact} c @param {string} email
 * @returns {boolean} whether anything changed
 */
export function changeEmail(store, settings, c, email) {
  const stored = storedForm(settings, email);
  if (c.email === stored) return false;
  const other = (c.email ?? '').toLowerCase() !== email.toLowerCase();
  store.setEmail(c, stored);
  if (other && c.emailBlacklisted) c.emailBlacklisted = false;
  return true;
}

/**
 * An API add to list L (`listIds`, `/contacts/add`): joins L; clears L from `listUnsubscribed`
 * only with `apiAddClearsUnsubscribed`.
 * @param {Store} store @param {Settings} settings @param {Contact} c @param {number} listId
 * @returns {boolean} whether anything changed
 */
export function apiAdd(store, settings, c, listId) {
  let changed = store.join(c, listId);
  if (settings.apiAddClearsUnsubscribed && c.listUnsubscribed.includes(listId)) {
    c.listUnsubscribed = c.listUnsubscribed.filter((l) => l !== listId);
    changed = true;
  }
  return changed;
}

/**
 * The reader leaves list L inside Brevo (unsubscribe or preference page): L goes into
 * `listUnsubscribed`, and the contact leaves L or stays in it (`unsubscribedMembership`).
 * @param {Store} store @param {Settings} settings @param {Contact} c @param {number} listId
 */
export function unsubscribeFromList(store, settings, c, listId) {
  let changed = false;
  if (!c.listUnsubscribed.includes(listId)) {
    c.listUnsubscribed.push(listId);
    changed = true;
  }
  if (settings.unsubscribedMembership === 'removed' && store.leave(c, listId)) changed = true;
  return changed;
}

/**
 * `listIds` / `unlinkListIds`: whole numbers naming existing lists.
 * @param {Store} store @param {unknown} v @param {string} field
 * @returns {{ ids: number[] } | { reply: Reply }}
 */
export function checkListIds(store, v, field) {
  if (v === undefined || v === null) return { ids: [] };
  if (!Array.isArray(v) || !v.every((x) => Number.isInteger(x) && x > 0))
    return { reply: ERR.invalid(`${field} must be a list of list ids (whole numbers)`) };
  const unknown = v.find((id) => !store.lists.has(id));
  if (unknown !== undefined) return { reply: ERR.invalid(`${field}: list ${unknown} does not exist`) };
  return { ids: [...new Set(/** @type {number[]} */ (v))] };
}

/** @param {unknown} v @param {string} field @returns {Reply | null} */
const notBoolean = (v, field) =>
  v === undefined || typeof v === 'boolean' ? null : ERR.invalid(`${field} must be a boolean`);

/** @param {string[]} names */
const unknownAttributes = (names) =>
  ERR.invalid(
    `Attribute${names.length > 1 ? 's' : ''} ${names.join(', ')} do${names.length > 1 ? '' : 'es'} not exist`,
  );

/** @param {Settings} settings @param {string[]} identifiers */
function duplicateOnCreate(settings, identifiers) {
  if (settings.duplicateCreateMessage === 'legacy')
    return fail(400, settings.duplicateCreateCode, 'Contact already exist');
  const what = identifiers.join(' and ');
  const message =
    identifiers.length > 1
      ? `Unable to create contact, ${what} are associated with two different Contacts`
      : `Unable to create contact, ${what} is already associated with another Contact`;
  return fail(400, settings.duplicateCreateCode, message, { duplicate_identifiers: identifiers });
}

/** @param {Settings} settings @param {'email' | 'ext_id'} identifier */
const duplicateOnUpdate = (settings, identifier) =>
  fail(
    400,
    settings.duplicateUpdateCode,
    `Unable to update contact, ${identifier} is already associated with another Contact`,
    { duplicate_identifiers: [identifier] },
  );

/**
 * `ext_id`: absent or null (none), else a non-empty string.
 * @param {unknown} v @returns {{ extId: string | null } | { reply: Reply }}
 */
function readExtId(v) {
  if (v === undefined || v === null) return { extId: null };
  if (typeof v !== 'string' || v === '') return { reply: ERR.invalid('ext_id must be a non-empty string') };
  return { extId: v };
}

/** @param {Ctx} ctx @returns {Reply} `POST /contacts` */
export function createContact(ctx) {
  const { store, settings, faults } = ctx;
  const body = ctx.body ?? {};
  if (ctx.bodyError || !isObject(body)) return ERR.badJson();
  const attrs = body.attributes ?? {};
  if (!isObject(attrs)) return ERR.invalid('attributes must be an object');
  // The address goes in `email`; `attributes.EMAIL` is read only when `email` is absent.
  const rawEmail = body.email ?? attrs.EMAIL ?? null;
  const email = rawEmail === '' ? null : rawEmail;
  const ext = readExtId(body.ext_id);
  if ('reply' in ext) return ext.reply;
  const sms = typeof attrs.SMS === 'string' && attrs.SMS !== '' ? attrs.SMS : null;
  if (email === null && sms === null && ext.extId === null) return ERR.noIdentifier();
  if (email !== null && (!isValidEmail(email) || faults.isRejected(email))) return ERR.invalidEmail();
  const bad =
    notBoolean(body.updateEnabled, 'updateEnabled') ??
    notBoolean(body.emailBlacklisted, 'emailBlacklisted') ??
    notBoolean(body.smsBlacklisted, 'smsBlacklisted');
  if (bad) return bad;
  const lists = checkListIds(store, body.listIds, 'listIds');
  if ('reply' in lists) return lists.reply;
  const plan = store.planAttributes(attrs, settings.unknownAttribute === 'refuse');
  if (plan.unknown.length) return unknownAttributes(plan.unknown);

  const byEmail = email === null ? undefined : store.findByEmail(email);
  const byExt = store.findByExtId(ext.extId);
  if (byEmail && byExt && byEmail !== byExt) return duplicateOnCreate(settings, ['email', 'ext_id']);
  const existing = byEmail ?? byExt;
  if (existing && body.updateEnabled !== true)
    return duplicateOnCreate(settings, [...(byEmail ? ['email'] : []), ...(byExt ? ['ext_id'] : [])]);

  if (existing) {
    // updateEnabled: the contact the e-mail or the ext_id names is updated; 204, no body.
    let changed = false;
    if (email !== null && !byEmail) changed = changeEmail(store, settings, existing, /** @type {string} */ (email));
    if (ext.extId !== null && existing.extId !== ext.extId) {
      store.setExtId(existing, ext.extId);
      changed = true;
    }
    if (store.applyAttributes(existing, plan.set)) changed = true;
    if (body.listIds !== undefined && settings.upsertListIds === 'replace')
      for (const l of [...existing.listIds]) if (!lists.ids.includes(l) && store.leave(existing, l)) changed = true;
    for (const l of lists.ids) if (apiAdd(store, settings, existing, l)) changed = true;
    if (typeof body.emailBlacklisted === 'boolean' && existing.emailBlacklisted !== body.emailBlacklisted) {
      existing.emailBlacklisted = body.emailBlacklisted;
      changed = true;
    }
    if (typeof body.smsBlacklisted === 'boolean' && existing.smsBlacklisted !== body.smsBlacklisted) {
      existing.smsBlacklisted = body.smsBlacklisted;
      changed = true;
    }
    if (changed) store.touch(existing);
    return { status: 204 };
  }

  const c = store.insert({
    email: email === null ? null : storedForm(settings, /** @type {string} */ (email)),
    extId: ext.extId,
  });
  store.applyAttributes(c, plan.set);
  for (const l of lists.ids) apiAdd(store, settings, c, l);
  const key = email === null ? null : /** @type {string} */ (email).toLowerCase();
  const suppressed = key !== null && store.suppressed.has(key);
  if (key !== null) store.suppressed.delete(key);
  c.emailBlacklisted = typeof body.emailBlacklisted === 'boolean' ? body.emailBlacklisted : suppressed;
  c.smsBlacklisted = body.smsBlacklisted === true;
  return { status: 201, body: { id: c.id } };
}

/** @param {Ctx} ctx @returns {Reply} `PUT /contacts/{identifier}` */
export function updateContact(ctx) {
  const { store, settings, faults } = ctx;
  const found = resolve(ctx);
  if ('reply' in found) return found.reply;
  const c = found.contact;
  if (ctx.bodyError) return ERR.badJson();
  if (ctx.body === undefined || (isObject(ctx.body) && Object.keys(ctx.body).length === 0)) return ERR.noInputs();
  const body = ctx.body;
  if (!isObject(body)) return ERR.badJson();
  const attrs = body.attributes ?? {};
  if (!isObject(attrs)) return ERR.invalid('attributes must be an object');

  const newEmail = attrs.EMAIL;
  if (newEmail !== undefined) {
    if (typeof newEmail !== 'string' || !isValidEmail(newEmail) || faults.isRejected(newEmail))
      return ERR.invalidEmail();
    const other = store.findByEmail(newEmail);
    if (other && other !== c) return duplicateOnUpdate(settings, 'email');
  }
  let extId = c.extId;
  if ('ext_id' in body) {
    const ext = readExtId(body.ext_id);
    if ('reply' in ext) return ext.reply;
    const other = store.findByExtId(ext.extId);
    if (other && other !== c) return duplicateOnUpdate(settings, 'ext_id');
    extId = ext.extId;
  }
  const add = checkListIds(store, body.listIds, 'listIds');
  if ('reply' in add) return add.reply;
  const unlink = checkListIds(store, body.unlinkListIds, 'unlinkListIds');
  if ('reply' in unlink) return unlink.reply;
  const bad =
    notBoolean(body.emailBlacklisted, 'emailBlacklisted') ?? notBoolean(body.smsBlacklisted, 'smsBlacklisted');
  if (bad) return bad;
  const plan = store.planAttributes(attrs, settings.unknownAttribute === 'refuse');
  if (plan.unknown.length) return unknownAttributes(plan.unknown);

  let changed = false;
  if (typeof newEmail === 'string' && changeEmail(store, settings, c, newEmail)) changed = true;
  if (extId !== c.extId) {
    store.setExtId(c, extId);
    changed = true;
  }
  if (store.applyAttributes(c, plan.set)) changed = true;
  for (const l of add.ids) if (apiAdd(store, settings, c, l)) changed = true;
  for (const l of unlink.ids) if (store.leave(c, l)) changed = true;
  if (typeof body.emailBlacklisted === 'boolean' && c.emailBlacklisted !== body.emailBlacklisted) {
    c.emailBlacklisted = body.emailBlacklisted;
    changed = true;
  }
  if (typeof body.smsBlacklisted === 'boolean' && c.smsBlacklisted !== body.smsBlacklisted) {
    c.smsBlacklisted = body.smsBlacklisted;
    changed = true;
  }
  if (changed) store.touch(c);
  return { status: 204 };
}

/** @param {Ctx} ctx @returns {Reply} `GET /contacts/{identifier}` */
export function getContact(ctx) {
  const found = resolve(ctx);
  if ('reply' in found) return found.reply;
  return { status: 200, body: contactView(ctx.store, ctx.settings, found.contact, true) };
}

/**
 * Deletes a contact; the account's own registered e-mail is a 405. A blocklisted address stays
 * suppressed for a later create, or not (`deletedBlocklist`).
 * @param {Store} store @param {Settings} settings @param {Contact} c
 */
export function deleteWithSuppression(store, settings, c) {
  if (c.emailBlacklisted && c.email !== null && settings.deletedBlocklist === 'kept')
    store.suppressed.add(c.email.toLowerCase());
  store.remove(c);
}

/** @param {Ctx} ctx @returns {Reply} `DELETE /contacts/{identifier}` */
export function deleteContact(ctx) {
  const found = resolve(ctx);
  if ('reply' in found) return found.reply;
  const c = found.contact;
  if (c.email !== null && c.email.toLowerCase() === ctx.accountEmail.toLowerCase()) return ERR.accountEmail();
  deleteWithSuppression(ctx.store, ctx.settings, c);
  return { status: 204 };
}

/**
 * A page of contacts `{contacts, count}`; `count` is every contact of the collection, or with
 * `modifiedSinceCount: 'matching'` those `modifiedSince` keeps.
 * @param {Ctx} ctx @param {Contact[]} all @param {number} maxLimit
 * @returns {Reply}
 */
export function contactPage(ctx, all, maxLimit) {
  const paging = readPaging(ctx.url, { defaultLimit: 50, maxLimit, modifiedSince: true });
  if ('reply' in paging) return paging.reply;
  const { limit, offset, sort, modifiedSince } = paging.ok;
  const kept = modifiedSince === null ? all : all.filter((c) => c.modifiedAt > modifiedSince);
  const page = byCreation(kept, sort).slice(offset, offset + limit);
  return {
    status: 200,
    body: {
      contacts: page.map((c) => contactView(ctx.store, ctx.settings, c)),
      count: ctx.settings.modifiedSinceCount === 'matching' ? kept.length : all.length,
    },
  };
}

/** @param {Ctx} ctx @returns {Reply} `GET /contacts` (limit at most 1000) */
export function getContacts(ctx) {
  return contactPage(ctx, [...ctx.store.contacts.values()], 1000);
}
