// @ts-check
/**
 * The control interface over HTTP both emulators serve under `/_emulator/`: the routes every
 * emulator has (call log, faults, rules, refused addresses, clock, switches), the dispatcher, and
 * the index text. Plain JSON in and out; errors are `{"error": "…"}`.
 */
import { ControlError } from './control.mjs';

/** @typedef {{ status: number, body: unknown }} ControlReply */
/**
 * [method, path pattern, description, handler(control, params, body, url)]
 * @typedef {[string, RegExp, string, (c: any, p: string[], b: any, u: URL) => unknown]} Route
 */

/**
 * A route that only acts answers `{ok: true}`.
 * @param {(c: any) => void} act
 */
export function thenOk(act) {
  return (/** @type {any} */ c) => {
    act(c);
    return { ok: true };
  };
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

/** `GET /_emulator/`: every route, as text. @param {() => Route[]} routes @returns {Route} */
export const indexRoute = (routes) => [
  'GET',
  /^\/_emulator\/?$/,
  'this index',
  () => ({ routes: routes().map(([m, re, d]) => `${m} ${routeText(re)} — ${d}`) }),
];

/**
 * The call log, random faults, rules and refused addresses. The texts name what this emulator's
 * faults and rules take, and what a refused address does.
 * @param {{ faultFields: string, ruleFields: string, rejectText: string, unrejectText: string }} texts
 * @returns {Route[]}
 */
export function faultRoutes({ faultFields, ruleFields, rejectText, unrejectText }) {
  return [
    [
      'GET',
      /^\/_emulator\/log$/,
      'call log {entries, counters}',
      (c) => ({ entries: c.log(), counters: c.counters() }),
    ],
    ['DELETE', /^\/_emulator\/log$/, 'clear the call log and counters', thenOk((c) => c.clearLog())],
    ['GET', /^\/_emulator\/counters$/, 'calls by route, status and fault', (c) => c.counters()],
    ['GET', /^\/_emulator\/faults$/, 'random fault settings', (c) => c.getFaults()],
    ['PUT', /^\/_emulator\/faults$/, `set random faults {${faultFields}}`, (c, _p, b) => c.setFaults(b)],
    [
      'DELETE',
      /^\/_emulator\/faults$/,
      'all faults off: random, rules, rejected e-mails',
      thenOk((c) => c.clearFaults()),
    ],
    ['GET', /^\/_emulator\/rules$/, 'targeted fault rules', (c) => c.rules()],
    ['POST', /^\/_emulator\/rules$/, `add a rule {${ruleFields}}`, (c, _p, b) => c.addRule(b)],
    ['DELETE', /^\/_emulator\/rules$/, 'remove every rule', thenOk((c) => c.clearRules())],
    ['DELETE', /^\/_emulator\/rules\/(\d+)$/, 'remove one rule', (c, p) => ({ removed: c.removeRule(Number(p[0])) })],
    [
      'GET',
      /^\/_emulator\/rejected-emails$/,
      'addresses the provider refuses',
      (c) => ({ emails: c.rejectedEmails() }),
    ],
    ['POST', /^\/_emulator\/rejected-emails$/, rejectText, (c, _p, b) => ({ emails: c.rejectEmails(b?.emails) })],
    ['DELETE', /^\/_emulator\/rejected-emails$/, unrejectText, thenOk((c) => c.clearRejectedEmails())],
  ];
}

/**
 * The clock and the switches for unconfirmed readings.
 * @param {{ clockText: string, settingValues: Record<string, readonly unknown[]> }} opts
 * @returns {Route[]}
 */
export function clockAndSettingsRoutes({ clockText, settingValues }) {
  return [
    ['POST', /^\/_emulator\/clock\/advance$/, clockText, (c, _p, b) => ({ offsetSeconds: c.advanceClock(b?.seconds) })],
    ['GET', /^\/_emulator\/settings$/, 'the switches for unconfirmed readings', (c) => c.getSettings()],
    [
      'PUT',
      /^\/_emulator\/settings$/,
      `switch readings (any subset) {${Object.entries(settingValues)
        .map(([k, vs]) => `${k}: ${vs.map((x) => JSON.stringify(x)).join(' | ')}`)
        .join(', ')}}; reset restores them`,
      (c, _p, b) => c.setSettings(b),
    ],
  ];
}

/**
 * Answers one control request from `routes`: 404 for an unknown path, 405 for a known path with
 * another method, 400 for a body that is not JSON, a ControlError's status for what it refuses.
 * @param {Route[]} routes @param {unknown} control
 * @param {string} method @param {URL} url @param {string} rawBody
 * @returns {ControlReply}
 */
export function dispatchControl(routes, control, method, url, rawBody) {
  let body;
  if (rawBody.trim() !== '') {
    try {
      body = JSON.parse(rawBody);
    } catch {
      return { status: 400, body: { error: 'body is not JSON' } };
    }
  }
  const path = url.pathname;
  const candidates = routes.filter(([, re]) => re.test(path));
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
