// @ts-check
/**
 * Test control: what a Newsletter2Go user could do in the provider's UI (create a list,
 * edit, unsubscribe, blacklist, bounce or delete a recipient) plus what tests need
 * (state, reset, call log, faults, token expiry, clock). Offered as a JS object and over
 * HTTP under `/_emulator/` without a bearer token, so tests running inside workerd can
 * drive it with plain fetch. Control calls are not logged and draw no faults.
 */

import { ControlError, copy, testControls } from '../emulator-kit/control.mjs';
import { checkSettings } from './settings.mjs';
import { ATTRIBUTE_NAME, BUILT_IN_FIELDS, isValidEmail } from './store.mjs';

export { ControlError };

/**
 * @param {{ store: import('./store.mjs').Store, auth: import('./auth.mjs').Auth,
 *   faults: import('./faults.mjs').Faults, log: import('./calllog.mjs').CallLog,
 *   clock: { offsetMs: number }, accountId: string,
 *   settings: import('./settings.mjs').Settings, initialSettings: Readonly<import('./settings.mjs').Settings> }} deps
 *   settings: the live switches for unconfirmed readings; initialSettings: what reset restores
 */
export function createControl({ store, auth, faults, log, clock, accountId, settings, initialSettings }) {
  /** @param {string} id */
  const mustGet = (id) => {
    const rec = store.recipients.get(id);
    if (!rec) throw new ControlError(404, `no recipient ${id}`);
    return rec;
  };
  /**
   * A UI user can only fill in the attributes of the recipient's list (always refused otherwise).
   * @param {string} listId @param {Record<string, unknown>} patch
   */
  const checked = (listId, patch) => {
    const { fields, errors } = store.checkWrite(listId, patch, 'ui');
    if (errors.length) throw new ControlError(400, errors.map((e) => `${e.fieldName}: ${e.message}`).join('; '));
    return fields;
  };

  const control = {
    /**
     * The whole state; attributes with their `list_ids` (every list for a global one);
     * recipients with every field, flag and attribute value.
     * @param {{ listId?: string }} [opts]
     */
    state({ listId } = {}) {
      const recipients =
        listId === undefined ? [...store.recipients.values()] : [...(store.members.get(listId)?.values() ?? [])];
      return {
        accountId,
        lists: copy([...store.lists.values()]),
        attributes: copy([...store.attributes.values()].map((a) => store.attributeView(a))),
        recipients: copy(recipients),
        tokens: auth.counts(),
        faults: copy(faults.config),
        rules: copy(faults.rules),
        rejectedEmails: [...faults.rejected],
        clockOffsetSeconds: clock.offsetMs / 1000,
        settings: { ...settings },
      };
    },

    /** Initial lists, attributes and settings; recipients, tokens, faults, rules, log and clock offset gone. */
    reset() {
      clock.offsetMs = 0;
      store.reset();
      auth.reset();
      faults.reset();
      log.clear();
      Object.assign(settings, initialSettings);
    },

    /**
     * A new list; `attributes` names existing attributes to put on it (global ones are on it
     * anyway). An unknown name is a 400 and creates nothing.
     * @param {{ id?: string, name: string, attributes?: string[] }} spec
     */
    createList(spec) {
      if (!spec || typeof spec.name !== 'string' || spec.name === '') throw new ControlError(400, 'name is required');
      const names = spec.attributes ?? [];
      if (!Array.isArray(names)) throw new ControlError(400, 'attributes must be a list of attribute names');
      const attrs = names.map((n) => {
        const attr = store.attributes.get(String(n));
        if (!attr) throw new ControlError(400, `no attribute ${String(n)}`);
        return attr;
      });
      try {
        const { attributes: _names, ...listSpec } = spec;
        const list = store.createList(listSpec);
        for (const a of attrs) if (!store.onList(a, list.id)) a.list_ids.push(list.id);
        return copy(list);
      } catch (e) {
        throw new ControlError(400, /** @type {Error} */ (e).message);
      }
    },

    /**
     * A custom attribute of the lists in `list_ids` (none when absent), or of every list
     * with `is_global`. Bad name 400, unknown list 404, a name in use 409.
     * @param {{ name: string, type?: string, list_ids?: string[], is_global?: boolean }} spec
     */
    createAttribute(spec) {
      if (!spec || typeof spec.name !== 'string' || !ATTRIBUTE_NAME.test(spec.name))
        throw new ControlError(400, 'name must match [0-9a-zA-Z_]+');
      if (spec.type !== undefined && typeof spec.type !== 'string')
        throw new ControlError(400, 'type must be a string');
      if (spec.is_global !== undefined && typeof spec.is_global !== 'boolean')
        throw new ControlError(400, 'is_global must be a boolean');
      const listIds = spec.list_ids ?? [];
      if (!Array.isArray(listIds) || !listIds.every((id) => typeof id === 'string'))
        throw new ControlError(400, 'list_ids must be a list of list ids');
      const unknown = listIds.find((id) => !store.lists.has(id));
      if (unknown !== undefined) throw new ControlError(404, `no list ${unknown}`);
      const attr = BUILT_IN_FIELDS.includes(spec.name)
        ? null
        : store.createAttribute({ name: spec.name, type: spec.type, list_ids: listIds, is_global: spec.is_global });
      if (!attr) throw new ControlError(409, `attribute ${spec.name} exists`);
      return copy(store.attributeView(attr));
    },

    /**
     * Puts an attribute on exactly the lists in `list_ids`, as a UI user may (the list that lost
     * it refuses or drops the field from then on). Unknown attribute or list 404; global 400.
     * @param {string} id @param {{ list_ids?: unknown }} patch
     */
    editAttribute(id, patch) {
      const attr = store.attributeById(id);
      if (!attr) throw new ControlError(404, `no attribute ${id}`);
      if (attr.is_global) throw new ControlError(400, 'a global attribute belongs to every list');
      const listIds = patch?.list_ids;
      if (!Array.isArray(listIds) || !listIds.every((l) => typeof l === 'string'))
        throw new ControlError(400, 'list_ids must be a list of list ids');
      const unknown = listIds.find((l) => !store.lists.has(l));
      if (unknown !== undefined) throw new ControlError(404, `no list ${unknown}`);
      attr.list_ids = [...new Set(listIds)];
      return copy(store.attributeView(attr));
    },

    /**
     * Inserts a recipient as the UI would (is_bounced and created_at allowed).
     * @param {Record<string, unknown>} input
     */
    insertRecipient(input) {
      const { list_id: listId, ...rest } = input ?? {};
      if (typeof listId !== 'string' || !store.lists.has(listId))
        throw new ControlError(404, `no list ${String(listId)}`);
      if (!isValidEmail(rest.email)) throw new ControlError(400, 'a valid email is required');
      if (store.findByEmail(listId, String(rest.email))) throw new ControlError(409, 'email already in this list');
      return copy(store.insert(listId, checked(listId, rest)));
    },

    /** @param {string} id */
    getRecipient(id) {
      const rec = store.recipients.get(id);
      return rec ? copy(rec) : null;
    },

    /** @param {string} listId @param {string} email */
    findRecipient(listId, email) {
      const rec = store.findByEmail(listId, email);
      return rec ? copy(rec) : null;
    },

    /**
     * Edits any field or flag (is_unsubscribed, is_blacklisted, is_bounced, …).
     * @param {string} id @param {Record<string, unknown>} patch
     */
    editRecipient(id, patch) {
      const rec = mustGet(id);
      const { list_id: _ignored, ...rest } = patch ?? {};
      const res = store.update(rec, checked(rec.list_id, rest));
      if ('duplicate' in res) throw new ControlError(409, 'email already in this list');
      return copy(rec);
    },

    /** @param {string} id */
    deleteRecipient(id) {
      store.remove(mustGet(id));
      return true;
    },

    ...testControls({ faults, log, clock, settings, checkSettings }),

    /** @param {{ access?: boolean, refresh?: boolean }} [which] default: both kinds */
    expireTokens(which) {
      return auth.expire(which ?? {});
    },

    /**
     * Which key error bodies use for the message (the spec: clients read both).
     * @param {'errorMessage' | 'error_message'} key
     */
    setErrorMessageKey(key) {
      control.setSettings({ errorMessageKey: key });
    },
  };
  return control;
}

/** @typedef {ReturnType<typeof createControl>} Control */
