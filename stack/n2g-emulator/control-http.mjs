// @ts-check
/**
 * The control interface over HTTP, under the reserved prefix `/_emulator/`.
 * Plain JSON in and out (not Newsletter2Go's envelope: this is not the provider's API);
 * errors are `{"error": "…"}` with 400, 404 or 409. `GET /_emulator/` lists the routes.
 */
import { ControlError } from './control.mjs';
import { SETTING_VALUES } from './settings.mjs';

/** @typedef {{ status: number, body: unknown }} ControlReply */

/**
 * [method, path pattern, description, handler(control, params, body, url)]
 * @type {[string, RegExp, string, (c: import('./control.mjs').Control, p: string[], b: any, u: URL) => unknown][]}
 */
const ROUTES = [
  [
    'GET',
    /^\/_emulator\/?$/,
    'this index',
    () => ({ routes: ROUTES.map(([m, re, d]) => `${m} ${routeText(re)} — ${d}`) }),
  ],
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
  ['GET', /^\/_emulator\/log$/, 'call log {entries, counters}', (c) => ({ entries: c.log(), counters: c.counters() })],
  ['DELETE', /^\/_emulator\/log$/, 'clear the call log and counters', thenOk((c) => c.clearLog())],
  ['GET', /^\/_emulator\/counters$/, 'calls by route, status and fault', (c) => c.counters()],
  ['GET', /^\/_emulator\/faults$/, 'random fault settings', (c) => c.getFaults()],
  [
    'PUT',
    /^\/_emulator\/faults$/,
    'set random faults {rate, seed, kinds, retryAfterSeconds, retryAfterStyle: "seconds" | "http-date", delayMs, delayThen, includeOAuth, body}',
    (c, _p, b) => c.setFaults(b),
  ],
  [
    'DELETE',
    /^\/_emulator\/faults$/,
    'all faults off: random, rules, rejected e-mails',
    thenOk((c) => c.clearFaults()),
  ],
  ['GET', /^\/_emulator\/rules$/, 'targeted fault rules', (c) => c.rules()],
  [
    'POST',
    /^\/_emulator\/rules$/,
    'add a rule {kind, times?, method?, pathPrefix?, pathRegex?, email?, retryAfterSeconds?, retryAfterStyle?, delayMs?, delayThen?, status?, body?}',
    (c, _p, b) => c.addRule(b),
  ],
  ['DELETE', /^\/_emulator\/rules$/, 'remove every rule', thenOk((c) => c.clearRules())],
  ['DELETE', /^\/_emulator\/rules\/(\d+)$/, 'remove one rule', (c, p) => ({ removed: c.removeRule(Number(p[0])) })],
  ['GET', /^\/_emulator\/rejected-emails$/, 'addresses the provider refuses', (c) => ({ emails: c.rejectedEmails() })],
  [
    'POST',
    /^\/_emulator\/rejected-emails$/,
    'add refused addresses {emails: [...]}',
    (c, _p, b) => ({ emails: c.rejectEmails(b?.emails) }),
  ],
  ['DELETE', /^\/_emulator\/rejected-emails$/, 'refuse none', thenOk((c) => c.clearRejectedEmails())],
  [
    'POST',
    /^\/_emulator\/tokens\/expire$/,
    'expire tokens now {access?: true, refresh?: true}',
    (c, _p, b) => ({ expired: c.expireTokens(b ?? {}) }),
  ],
  [
    'POST',
    /^\/_emulator\/clock\/advance$/,
    'move the clock forward {seconds}',
    (c, _p, b) => ({ offsetSeconds: c.advanceClock(b?.seconds) }),
  ],
  ['GET', /^\/_emulator\/settings$/, 'the switches for unconfirmed readings', (c) => c.getSettings()],
  [
    'PUT',
    /^\/_emulator\/settings$/,
    `switch readings (any subset) {${Object.entries(SETTING_VALUES)
      .map(([k, vs]) => `${k}: ${vs.map((x) => JSON.stringify(x)).join(' | ')}`)
      .join(', ')}}; reset restores them`,
    (c, _p, b) => c.setSettings(b),
  ],
];

/**
 * A route that only acts answers `{ok: true}`.
 * @param {(c: import('./control.mjs').Control) => void} act
 * @returns {(c: import('./control.mjs').Control) => { ok: true }}
 */
function thenOk(act) {
  return (c) => {
    act(c);
    return { ok: true };
  };
}

/** @param {unknown} v */
function found(v) {
  if (v === null) throw new ControlError(404, 'no such recipient');
  return v;
}

/** @param {RegExp} re */
function routeText(re) {
  return re.source
    .replace(/^\^|\$$/g, '')
    .replace(/\\\//g, '/')
    .replace('([^/]+)', '{id}')
    .replace('(\\d+)', '{id}')
    .replace('/?', '/');
}

/**
 * @param {import('./control.mjs').Control} control
 * @param {string} method @param {URL} url @param {string} rawBody
 * @returns {ControlReply}
 */
export function handleControl(control, method, url, rawBody) {
  let body;
  if (rawBody.trim() !== '') {
    try {
      body = JSON.parse(rawBody);
    } catch {
      return { status: 400, body: { error: 'body is not JSON' } };
    }
  }
  const path = url.pathname;
  const candidates = ROUTES.filter(([, re]) => re.test(path));
  const route = candidates.find(([m]) => m === method);
  if (!route)
    return {
      status: candidates.length ? 405 : 404,
      body: { error: `no control route ${method} ${path}; GET /_emulator/ lists them` },
    };
  const params = /** @type {RegExpExecArray} */ (route[1].exec(path)).slice(1);
  try {
    return { status: 200, body: route[3](control, params, body, url) ?? { ok: true } };
  } catch (e) {
    if (e instanceof ControlError) return { status: e.status, body: { error: e.message } };
    throw e;
  }
}
