// @ts-check
/**
 * Switches for the points the spec leaves unconfirmed ("handle both readings"): each switch
 * presents one reading, so a client can be tested against every one of them. Set at start
 * (`startEmulator` options of the same names) or at run time (`PUT /_emulator/settings`);
 * `POST /_emulator/reset` puts back the values the instance started with.
 *
 * A switch changes what happens from then on: state already written stays as it was (an
 * address stored in its own case stays so; a contact already removed from a list it left
 * stays removed).
 */

import { switchboard } from '../emulator-kit/settings.mjs';

/**
 * @typedef {{
 *   extIdField: 'attribute' | 'top-level' | 'both',
 *   duplicateCreateCode: 'duplicate_parameter' | 'invalid_parameter',
 *   duplicateCreateMessage: 'current' | 'legacy',
 *   duplicateUpdateCode: 'duplicate_parameter' | 'invalid_parameter',
 *   upsertListIds: 'add' | 'replace',
 *   unsubscribedMembership: 'removed' | 'kept',
 *   apiAddClearsUnsubscribed: boolean,
 *   storedEmailCase: 'lowercase' | 'as-sent',
 *   unknownAttribute: 'drop' | 'refuse',
 *   attributeExists: 400 | 201,
 *   removeNotMember: 400 | 201,
 *   rateLimitScope: 'account' | 'key',
 *   codeCase: 'lower' | 'upper',
 *   listUnsubscribedField: 'non-empty' | 'always',
 *   deletedBlocklist: 'kept' | 'dropped',
 *   unsubscribeLink: 'blocklist' | 'list',
 *   modifiedSinceCount: 'list-total' | 'matching',
 * }} Settings
 */

/** Allowed values per switch; the first is the default. */
export const SETTING_VALUES = Object.freeze({
  // "whether GET shows it as attributes.EXT_ID or at the top level is unconfirmed; read both".
  extIdField: ['attribute', 'top-level', 'both'],
  // Create with a taken e-mail: the table's duplicate_parameter, or invalid_parameter ("seen as
  // invalid_parameter and as duplicate_parameter"; "changed … to invalid_parameter in 2026").
  duplicateCreateCode: ['duplicate_parameter', 'invalid_parameter'],
  // The table's message with metadata, or the older "Contact already exist" without metadata.
  duplicateCreateMessage: ['current', 'legacy'],
  // Update to a taken e-mail: "code duplicate_parameter or invalid_parameter".
  duplicateUpdateCode: ['duplicate_parameter', 'invalid_parameter'],
  // "listIds adds lists on create and update; it does not replace them (a 2018 report saw an
  // upsert replace them: unconfirmed today)".
  upsertListIds: ['add', 'replace'],
  // "whether the contact stays in listIds or in the list's contacts … unconfirmed"; Brevo's
  // examples never show a listUnsubscribed id in listIds, hence 'removed' first.
  unsubscribedMembership: ['removed', 'kept'],
  // "and whether an API add clears the entry, are unconfirmed".
  apiAddClearsUnsubscribed: [false, true],
  // "whether Brevo lower-cases a stored address is unconfirmed".
  storedEmailCase: ['lowercase', 'as-sent'],
  // "what Brevo does with an attribute name that does not exist (dropped silently, or a 400)".
  unknownAttribute: ['drop', 'refuse'],
  // "the answer to a name that already exists is unconfirmed (expect a 400 …)".
  attributeExists: [400, 201],
  // "the remove counterpart is unconfirmed: a 400 for a contact not in the list means nothing to do".
  removeNotMember: [400, 201],
  // "Whether the limits count per account or per key is unconfirmed (assume account)".
  rateLimitScope: ['account', 'key'],
  // "compare codes case-insensitively": 'upper' sends INVALID_PARAMETER and the like.
  codeCase: ['lower', 'upper'],
  // "listUnsubscribed?" is optional in the answers: shown when non-empty, or always ([]).
  listUnsubscribedField: ['non-empty', 'always'],
  // "Whether deleting a contact also drops Brevo's suppression of the address is unconfirmed".
  deletedBlocklist: ['kept', 'dropped'],
  // "Which of the two a click on Brevo's default unsubscribe link sets is unconfirmed (usually
  // the account-wide blocklist)": what POST /_emulator/contacts/{id}/unsubscribe-link does.
  unsubscribeLink: ['blocklist', 'list'],
  // A list's contacts: `"count": <total in the list>`; with modifiedSince that total, or the
  // number of contacts the filter keeps (the spec does not say which).
  modifiedSinceCount: ['list-total', 'matching'],
});

const board = switchboard(SETTING_VALUES);

/** @returns {Settings} */
export const defaultSettings = () => /** @type {Settings} */ (board.defaultSettings());

/**
 * Checks a (partial) patch as a whole: one bad key or value and nothing is applied.
 * @param {unknown} patch
 * @returns {{ ok: Partial<Settings> } | { error: string }}
 */
export const checkSettings = (patch) =>
  /** @type {{ ok: Partial<Settings> } | { error: string }} */ (board.checkSettings(patch));
