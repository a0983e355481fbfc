// @ts-check
/**
 * The control interface over HTTP, under the reserved prefix `/_emulator/` (no api key).
 * Plain JSON in and out (not Brevo's API); errors are `{"error": "…"}` with 400, 404, 405 or
 * 409. `GET /_emulator/` lists the routes.
 */
import {
  clockAndSettingsRoutes,
  dispatchControl,
  faultRoutes,
  indexRoute,
  thenOk,
} from '../emulator-kit/control-http.mjs';
import { ControlError } from './control.mjs';
import { SETTING_VALUES } from './settings.mjs';

/**
 * [method, path pattern, description, handler(control, params, body, url)]
 * @type {[string, RegExp, string, (c: import('./control.mjs').Control, p: string[], b: any, u: URL) => unknown][]}
 */
const ROUTES = [
  indexRoute(() => ROUTES),
  ['GET', /^\/_emulator\/state$/, 'whole state', (c) => c.state()],
  [
    'POST',
    /^\/_emulator\/reset$/,
    'back to the initial lists, attributes, settings and rate limits; contacts, faults, log, clock gone',
    thenOk((c) => c.reset()),
  ],
  ['POST', /^\/_emulator\/lists$/, 'create a list {id?, name}', (c, _p, b) => c.createList(b)],
  [
    'POST',
    /^\/_emulator\/contacts$/,
    'add a contact inside Brevo {email?, ext_id?, attributes?, listIds?, listUnsubscribed?, emailBlacklisted?, smsBlacklisted?, createdAt?}',
    (c, _p, b) => c.createContact(b),
  ],
  [
    'GET',
    /^\/_emulator\/contacts$/,
    'find one: ?email= or ?ext_id= (404 when absent)',
    (c, _p, _b, u) => found(c.findContact({ email: u.searchParams.get('email'), extId: u.searchParams.get('ext_id') })),
  ],
  [
    'GET',
    /^\/_emulator\/contacts\/(\d+)$/,
    'one contact with every field',
    (c, p) => found(c.getContact(Number(p[0]))),
  ],
  [
    'PATCH',
    /^\/_emulator\/contacts\/(\d+)$/,
    'edit as a Brevo user {email?, ext_id?, attributes?, listIds?, listUnsubscribed?, emailBlacklisted?, smsBlacklisted?}',
    (c, p, b) => c.editContact(Number(p[0]), b),
  ],
  [
    'DELETE',
    /^\/_emulator\/contacts\/(\d+)$/,
    'delete a contact inside Brevo',
    (c, p) => ({ deleted: c.deleteContact(Number(p[0])) }),
  ],
  [
    'POST',
    /^\/_emulator\/contacts\/(\d+)\/unsubscribe-link$/,
    'the reader clicks the unsubscribe link of a campaign to a list {listId} (what it does: setting unsubscribeLink)',
    (c, p, b) => c.clickUnsubscribeLink(Number(p[0]), b ?? {}),
  ],
  ...faultRoutes({
    faultFields:
      'rate, seed, kinds: [429, 500, 503, timeout, 500_after_write], delayMs, delayThen: "normal" | "503", body: "json" | "html" | "empty"',
    ruleFields: 'kind, times?, method?, pathPrefix?, pathRegex?, email?, delayMs?, delayThen?, status?, body?',
    rejectText: 'add refused addresses {emails: [...]}: writes naming one answer 400 "Invalid email address"',
    unrejectText: 'forget refused addresses',
  }),
  ...clockAndSettingsRoutes({
    clockText: 'move the clock forward {seconds}: rate-limit windows, createdAt, modifiedAt',
    settingValues: SETTING_VALUES,
  }),
  ['GET', /^\/_emulator\/rate-limits$/, 'the limits on /v3/contacts/*', (c) => c.getRateLimits()],
  [
    'PUT',
    /^\/_emulator\/rate-limits$/,
    'set {perSecond?, perHour?} (whole numbers, null = off); windows start afresh; reset restores them',
    (c, _p, b) => c.setRateLimits(b),
  ],
];

/** @param {unknown} v */
function found(v) {
  if (v === null) throw new ControlError(404, 'no such contact');
  return v;
}

/**
 * @param {import('./control.mjs').Control} control
 * @param {string} method @param {URL} url @param {string} rawBody
 * @returns {import('../emulator-kit/control-http.mjs').ControlReply}
 */
export function handleControl(control, method, url, rawBody) {
  return dispatchControl(ROUTES, control, method, url, rawBody);
}
