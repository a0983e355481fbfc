// @ts-check
/**
 * Test control: what a Brevo user could do inside Brevo (create a list, add, edit, blocklist
 * or delete a contact, and what a reader does on Brevo's pages: leave a list, click the
 * unsubscribe link) plus what tests need (state, reset, call log, faults, clock, rate limits,
 * settings). Offered as a JS object and over HTTP under `/_emulator/` without an api key, so
 * tests running inside workerd can drive it with plain fetch. Control calls are not logged,
 * draw no faults and count against no rate limit.
 */

import { ControlError, copy, testControls } from '../emulator-kit/control.mjs';
import { attributeView } from './attributes.mjs';
import { changeEmail, contactView, deleteWithSuppression, storedForm, unsubscribeFromList } from './contacts.mjs';
import { isObject } from './http-io.mjs';
import { checkLimits } from './ratelimit.mjs';
import { checkSettings } from './settings.mjs';
import { fitValue, isValidEmail } from './store.mjs';

export { ControlError };

/**
 * @typedef {import('./store.mjs').Contact} Contact
 * @typedef {{ store: import('./store.mjs').Store, faults: import('./faults.mjs').Faults,
 *   log: import('./calllog.mjs').CallLog, limiter: import('./ratelimit.mjs').RateLimiter,
 *   clock: { offsetMs: number }, accountEmail: string,
 *   settings: import('./settings.mjs').Settings, initialSettings: Readonly<import('./settings.mjs').Settings>,
 *   initialLimits: Readonly<import('./ratelimit.mjs').Limits> }} Deps
 */

/** @param {Deps} deps */
export function createControl({
  store,
  faults,
  log,
  limiter,
  clock,
  accountEmail,
  settings,
  initialSettings,
  initialLimits,
}) {
  /** @param {unknown} id */
  const mustGet = (id) => {
    const c = store.contacts.get(Number(id));
    if (!c) throw new ControlError(404, `no contact ${String(id)}`);
    return c;
  };

  /** Every field of a contact, ext_id included whatever `extIdField` says. @param {Contact} c */
  const full = (c) => ({
    id: c.id,
    email: c.email,
    ext_id: c.extId,
    attributes: store.attributesView(c),
    listIds: [...c.listIds],
    listUnsubscribed: [...c.listUnsubscribed],
    emailBlacklisted: c.emailBlacklisted,
    smsBlacklisted: c.smsBlacklisted,
    createdAt: new Date(c.createdAt).toISOString(),
    modifiedAt: new Date(c.modifiedAt).toISOString(),
  });

  /** @param {unknown} v @param {string} field */
  const listIdsOf = (v, field) => {
    if (!Array.isArray(v) || !v.every((x) => Number.isInteger(x)))
      throw new ControlError(400, `${field} must be a list of list ids`);
    const unknown = v.find((l) => !store.lists.has(l));
    if (unknown !== undefined) throw new ControlError(404, `no list ${unknown}`);
    return [...new Set(/** @type {number[]} */ (v))];
  };

  /**
   * A UI user fills in existing attributes only, with values that fit (else 400); EMAIL goes
   * in `email`. @param {unknown} attrs @returns {[string, unknown][]}
   */
  const attributesOf = (attrs) => {
    if (!isObject(attrs)) throw new ControlError(400, 'attributes must be an object');
    return Object.entries(attrs).map(([name, v]) => {
      const a = store.attributes.get(name);
      if (!a || name === 'EMAIL') throw new ControlError(400, `no attribute ${name} to fill in (EMAIL goes in email)`);
      const fit = fitValue(a, v);
      if (fit === undefined) throw new ControlError(400, `${name}: the value does not fit type ${a.type}`);
      return /** @type {[string, unknown]} */ ([name, fit]);
    });
  };

  /** @param {unknown} v @param {string} field */
  const booleanOf = (v, field) => {
    if (typeof v !== 'boolean') throw new ControlError(400, `${field} must be a boolean`);
    return v;
  };

  /** @param {unknown} email @param {Contact | null} self */
  const freeEmail = (email, self) => {
    if (!isValidEmail(email)) throw new ControlError(400, 'a valid email is required');
    const other = store.findByEmail(email);
    if (other && other !== self) throw new ControlError(409, 'email already belongs to another contact');
    return /** @type {string} */ (email);
  };

  /** @param {unknown} extId @param {Contact | null} self */
  const freeExtId = (extId, self) => {
    if (extId === null) return null;
    if (typeof extId !== 'string' || extId === '') throw new ControlError(400, 'ext_id must be a non-empty string');
    const other = store.findByExtId(extId);
    if (other && other !== self) throw new ControlError(409, 'ext_id already belongs to another contact');
    return extId;
  };

  const control = {
    /** The whole state: lists with their counts, attributes, contacts with every field. */
    state() {
      return {
        account: { email: accountEmail },
        lists: [...store.lists.values()].map((l) => store.listView(l, true)),
        attributes: [...store.attributes.values()].map(attributeView),
        contacts: [...store.contacts.values()].map(full),
        suppressedEmails: [...store.suppressed],
        faults: copy(faults.config),
        rules: copy(faults.rules),
        rejectedEmails: [...faults.rejected],
        clockOffsetSeconds: clock.offsetMs / 1000,
        settings: { ...settings },
        rateLimits: { ...limiter.limits, buckets: limiter.snapshot() },
      };
    },

    /** Initial lists, attributes, settings and rate limits; contacts, faults, rules, log, clock offset and windows gone. */
    reset() {
      clock.offsetMs = 0;
      store.reset();
      faults.reset();
      log.clear();
      limiter.configure(initialLimits);
      Object.assign(settings, initialSettings);
    },

    /** @param {{ id?: number, name: string }} spec */
    createList(spec) {
      if (!isObject(spec)) throw new ControlError(400, 'a list is {id?, name}');
      try {
        return store.listView(store.createList(/** @type {{ id?: number, name: string }} */ (spec)), true);
      } catch (e) {
        throw new ControlError(/already exists|exists/.test(String(e)) ? 409 : 400, /** @type {Error} */ (e).message);
      }
    },

    /**
     * A contact added inside Brevo: `listIds` and `listUnsubscribed` are stored exactly as given.
     * @param {Record<string, unknown>} input
     */
    createContact(input) {
      if (!isObject(input)) throw new ControlError(400, 'a contact is a JSON object');
      const email = input.email === undefined || input.email === null ? null : freeEmail(input.email, null);
      const extId = freeExtId(input.ext_id ?? null, null);
      const attrs = attributesOf(input.attributes ?? {});
      if (email === null && extId === null && !attrs.some(([n]) => n === 'SMS'))
        throw new ControlError(400, 'a contact needs an email, an ext_id or an SMS attribute');
      const listIds = listIdsOf(input.listIds ?? [], 'listIds');
      const unsubscribed = listIdsOf(input.listUnsubscribed ?? [], 'listUnsubscribed');
      let createdAt;
      if (input.createdAt !== undefined) {
        createdAt = Date.parse(String(input.createdAt));
        if (Number.isNaN(createdAt)) throw new ControlError(400, 'createdAt must be a date-time');
      }
      const emailBlacklisted =
        input.emailBlacklisted === undefined ? false : booleanOf(input.emailBlacklisted, 'emailBlacklisted');
      const smsBlacklisted =
        input.smsBlacklisted === undefined ? false : booleanOf(input.smsBlacklisted, 'smsBlacklisted');
      const c = store.insert({ email: email === null ? null : storedForm(settings, email), extId, createdAt });
      store.applyAttributes(c, attrs);
      for (const l of listIds) store.join(c, l);
      c.listUnsubscribed = unsubscribed;
      c.emailBlacklisted = emailBlacklisted;
      c.smsBlacklisted = smsBlacklisted;
      return full(c);
    },

    /** @param {number} id */
    getContact(id) {
      const c = store.contacts.get(Number(id));
      return c ? full(c) : null;
    },

    /** @param {{ email?: string | null, extId?: string | null }} by */
    findContact({ email, extId }) {
      const c = email != null ? store.findByEmail(email) : extId != null ? store.findByExtId(extId) : undefined;
      return c ? full(c) : null;
    },

    /** The contact as the API shows it now (settings applied). @param {number} id */
    apiView(id) {
      return contactView(store, settings, mustGet(id), true);
    },

    /**
     * Edits a contact as a Brevo user would: `email` (a new address lifts the blocklisting,
     * unless the patch sets `emailBlacklisted` too), `ext_id`, `attributes` (null clears one),
     * `emailBlacklisted`, `smsBlacklisted`, `listIds` (stored as given) and `listUnsubscribed`
     * (a list newly in it is left per `unsubscribedMembership`, unless the patch gives `listIds`).
     * Checked whole: an error changes nothing.
     * @param {number} id @param {Record<string, unknown>} patch
     */
    editContact(id, patch) {
      const c = mustGet(id);
      if (!isObject(patch)) throw new ControlError(400, 'a patch is a JSON object');
      const known = [
        'email',
        'ext_id',
        'attributes',
        'listIds',
        'listUnsubscribed',
        'emailBlacklisted',
        'smsBlacklisted',
      ];
      const unknown = Object.keys(patch).find((k) => !known.includes(k));
      if (unknown !== undefined) throw new ControlError(400, `unknown field ${unknown}; known: ${known.join(', ')}`);
      const email = patch.email === undefined ? undefined : freeEmail(patch.email, c);
      const extId = patch.ext_id === undefined ? undefined : freeExtId(patch.ext_id, c);
      const attrs = patch.attributes === undefined ? [] : attributesOf(patch.attributes);
      const listIds = patch.listIds === undefined ? undefined : listIdsOf(patch.listIds, 'listIds');
      const unsubscribed =
        patch.listUnsubscribed === undefined ? undefined : listIdsOf(patch.listUnsubscribed, 'listUnsubscribed');
      const blocked =
        patch.emailBlacklisted === undefined ? undefined : booleanOf(patch.emailBlacklisted, 'emailBlacklisted');
      const smsBlocked =
        patch.smsBlacklisted === undefined ? undefined : booleanOf(patch.smsBlacklisted, 'smsBlacklisted');

      if (email !== undefined) changeEmail(store, settings, c, email);
      if (extId !== undefined) store.setExtId(c, extId);
      store.applyAttributes(c, attrs);
      if (unsubscribed !== undefined) {
        c.listUnsubscribed = c.listUnsubscribed.filter((l) => unsubscribed.includes(l));
        for (const l of unsubscribed) unsubscribeFromList(store, settings, c, l);
      }
      if (listIds !== undefined) {
        for (const l of [...c.listIds]) if (!listIds.includes(l)) store.leave(c, l);
        for (const l of listIds) store.join(c, l);
      }
      if (blocked !== undefined) c.emailBlacklisted = blocked;
      if (smsBlocked !== undefined) c.smsBlacklisted = smsBlocked;
      store.touch(c);
      return full(c);
    },

    /**
     * The reader clicks the unsubscribe link of a campaign sent to `listId`: the account-wide
     * blocklist, or leaving that list (`unsubscribeLink`).
     * @param {number} id @param {{ listId?: unknown }} [input]
     */
    clickUnsubscribeLink(id, input = {}) {
      const c = mustGet(id);
      const listId = input?.listId;
      if (settings.unsubscribeLink === 'list' || listId !== undefined) {
        if (!Number.isInteger(listId)) throw new ControlError(400, 'listId (the campaign’s list) is required');
        if (!store.lists.has(/** @type {number} */ (listId))) throw new ControlError(404, `no list ${String(listId)}`);
      }
      if (settings.unsubscribeLink === 'blocklist') c.emailBlacklisted = true;
      else unsubscribeFromList(store, settings, c, /** @type {number} */ (listId));
      store.touch(c);
      return full(c);
    },

    /** Deleted inside Brevo (the account's own address too). @param {number} id */
    deleteContact(id) {
      deleteWithSuppression(store, settings, mustGet(id));
      return true;
    },

    ...testControls({ faults, log, clock, settings, checkSettings, strictEmails: true }),

    getRateLimits: () => ({ ...limiter.limits }),

    /**
     * `{perSecond?, perHour?}`: whole numbers or null (off); the windows start afresh.
     * @param {Record<string, unknown>} patch
     */
    setRateLimits(patch) {
      const checked = checkLimits(patch, limiter.limits);
      if ('error' in checked) throw new ControlError(400, checked.error);
      limiter.configure(checked.ok);
      return { ...limiter.limits };
    },
  };
  return control;
}

/** @typedef {ReturnType<typeof createControl>} Control */
