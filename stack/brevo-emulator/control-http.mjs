// @ts-check
/**
 * The control interface over HTTP, under the reserved prefix `/_emulator/` (no api key).
 * Plain JSON in and out (not Brevo's API); errors are `{"error": "…"}` with 400, 404, 405 or
 * 409. `GET /_emulator/` lists the routes.
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
  ['GET', /^\/_emulator\/log$/, 'call log {entries, counters}', (c) => ({ entries: c.log(), counters: c.counters() })],
  ['DELETE', /^\/_emulator\/log$/, 'clear the call log and counters', thenOk((c) => c.clearLog())],
  [
    'GET',
    /^\/_emulator\/counters$/,
    'calls by route, status and fault; rate-limited calls; list entries',
    (c) => c.counters(),
  ],
  ['GET', /^\/_emulator\/faults$/, 'random fault settings', (c) => c.getFaults()],
  [
    'PUT',
    /^\/_emulator\/faults$/,
    'set random faults {rate, seed, kinds: [429, 500, 503, timeout, 500_after_write], delayMs, delayThen: "normal" | "503", body: "json" | "html" | "empty"}',
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
    'add a rule {kind, times?, method?, pathPrefix?, pathRegex?, email?, delayMs?, delayThen?, status?, body?}',
    (c, _p, b) => c.addRule(b),
  ],
  ['DELETE', /^\/_emulator\/rules$/, 'remove every rule', thenOk((c) => c.clearRules())],
  ['DELETE', /^\/_emulator\/rules\/(\d+)$/, 'remove one rule', (c, p) => ({ removed: c.removeRule(Number(p[0])) })],
  ['GET', /^\/_emulator\/rejected-emails$/, 'addresses the provider refuses', (c) => ({ emails: c.rejectedEmails() })],
  [
    'POST',
    /^\/_emulator\/rejected-emails$/,
    'add refused addresses {emails: [...]}: writes naming one answer 400 "Invalid email address"',
    (c, _p, b) => ({ emails: c.rejectEmails(b?.emails) }),
  ],
  ['DELETE', /^\/_emulator\/rejected-emails$/, 'forget refused addresses', thenOk((c) => c.clearRejectedEmails())],
  [
    'POST',
    /^\/_emulator\/clock\/advance$/,
    'move the clock forward {seconds}: rate-limit windows, createdAt, modifiedAt',
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
  ['GET', /^\/_emulator\/rate-limits$/, 'the limits on /v3/contacts/*', (c) => c.getRateLimits()],
  [
    'PUT',
    /^\/_emulator\/rate-limits$/,
    'set {perSecond?, perHour?} (whole numbers, null = off); windows start afresh; reset restores them',
    (c, _p, b) => c.setRateLimits(b),
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
  if (v === null) throw new ControlError(404, 'no such contact');
  return v;
}

/** @param {RegExp} re */
function routeText(re) {
  return re.source
    .replace(/^\^|\$$/g, '')
    .replace(/\\\//g, '/')
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
