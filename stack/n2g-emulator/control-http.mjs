// @ts-check
/**
 * The control interface over HTTP, under the reserved prefix `/_emulator/`.
 * Plain JSON in and out (not Newsletter2Go's envelope: this is not the provider's API);
 * errors are `{"error": "…"}` with 400, 404 or 409. `GET /_emulator/` lists the routes.
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
  [
    'GET',
    /^\/_emulator\/state$/,
    'whole state; ?list_id= narrows recipients to one list',
    (c, _p, _b, u) => c.state(u.searchParams.has('list_id') ? { listId: String(u.searchParams.get('list_id')) } : {}),
  ],
  [
    'POST',
    /^\/_emulator\/reset$/,
    'back to the initial lists/attributes; recipients, tokens, faults, log gone',
    thenOk((c) => c.reset()),
  ],
  [
    'POST',
    /^\/_emulator\/lists$/,
    'create a list {id?, name, attributes?: [names of existing attributes to put on it]}',
    (c, _p, b) => c.createList(b),
  ],
  [
    'POST',
    /^\/_emulator\/attributes$/,
    'create a custom attribute {name, type?, list_ids?: [] (default none), is_global?: false}',
    (c, _p, b) => c.createAttribute(b),
  ],
  [
    'PATCH',
    /^\/_emulator\/attributes\/([^/]+)$/,
    'put an attribute on exactly these lists {list_ids}, as a UI user may',
    (c, p, b) => c.editAttribute(String(p[0]), b),
  ],
  [
    'POST',
    /^\/_emulator\/recipients$/,
    'insert a recipient {list_id, email, …fields, is_unsubscribed?, is_blacklisted?, is_bounced?, created_at?}',
    (c, _p, b) => c.insertRecipient(b),
  ],
  [
    'GET',
    /^\/_emulator\/recipients$/,
    'find one: ?list_id=&email= (404 when absent)',
    (c, _p, _b, u) =>
      found(c.findRecipient(String(u.searchParams.get('list_id')), String(u.searchParams.get('email')))),
  ],
  [
    'GET',
    /^\/_emulator\/recipients\/([^/]+)$/,
    'one recipient with every field',
    (c, p) => found(c.getRecipient(String(p[0]))),
  ],
  [
    'PATCH',
    /^\/_emulator\/recipients\/([^/]+)$/,
    'edit any field or flag as a UI user would',
    (c, p, b) => c.editRecipient(String(p[0]), b),
  ],
  [
    'DELETE',
    /^\/_emulator\/recipients\/([^/]+)$/,
    'delete a recipient',
    (c, p) => ({ deleted: c.deleteRecipient(String(p[0])) }),
  ],
  ...faultRoutes({
    faultFields:
      'rate, seed, kinds, retryAfterSeconds, retryAfterStyle: "seconds" | "http-date", delayMs, delayThen, includeOAuth, body',
    ruleFields:
      'kind, times?, method?, pathPrefix?, pathRegex?, email?, retryAfterSeconds?, retryAfterStyle?, delayMs?, delayThen?, status?, body?',
    rejectText: 'add refused addresses {emails: [...]}',
    unrejectText: 'refuse none',
  }),
  [
    'POST',
    /^\/_emulator\/tokens\/expire$/,
    'expire tokens now {access?: true, refresh?: true}',
    (c, _p, b) => ({ expired: c.expireTokens(b ?? {}) }),
  ],
  ...clockAndSettingsRoutes({ clockText: 'move the clock forward {seconds}', settingValues: SETTING_VALUES }),
];

/** @param {unknown} v */
function found(v) {
  if (v === null) throw new ControlError(404, 'no such recipient');
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
