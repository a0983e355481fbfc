// @ts-check
/**
 * Brevo API v3 emulator (contacts, lists, attributes): an HTTP server that behaves as Brevo's
 * published material, as the spec (shared/spec/brevo-api.md) sums it up, describes the
 * provider, for tests and the local stack. Shaped after the provider, not after any client.
 *
 *   const emu = await startEmulator({ apiKey, lists: [{ id: 2, name: 'Weekly' }] });
 *   emu.url        // http://127.0.0.1:<port>; the API is under /v3
 *   emu.control    // state, reset, edits inside Brevo, call log, faults, clock, rate limits (control.mjs)
 *   await emu.close();
 *
 * One request: control routes under /_emulator/ are served directly; every other call may
 * draw a fault (faults.mjs), is authenticated (auth.mjs), counted against the rate limits if
 * it is under /v3/contacts (ratelimit.mjs), routed, handled (contacts.mjs, lists.mjs,
 * attributes.mjs) and written to the call log (calllog.mjs).
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { listen, sleeper } from '../emulator-kit/server.mjs';
import * as attributes from './attributes.mjs';
import { Auth } from './auth.mjs';
import { CallLog } from './calllog.mjs';
import * as contacts from './contacts.mjs';
import { createControl } from './control.mjs';
import { handleControl } from './control-http.mjs';
import { casedCode, ERR, FAULT_BODIES, fail } from './errors.mjs';
import { Faults, faultReply } from './faults.mjs';
import { isObject, parseBody, readBody, stripUndefined } from './http-io.mjs';
import * as lists from './lists.mjs';
import { checkLimits, DEFAULT_LIMITS, RateLimiter } from './ratelimit.mjs';
import { checkSettings, defaultSettings, SETTING_VALUES } from './settings.mjs';
import { Store } from './store.mjs';

/**
 * @typedef {import('./errors.mjs').Reply} Reply
 * @typedef {import('./settings.mjs').Settings} Settings
 * @typedef {Partial<Settings> & {
 *   port?: number, host?: string,
 *   apiKey?: string, extraApiKeys?: string[],
 *   accountEmail?: string,
 *   lists?: { id?: number, name: string }[],
 *   attributes?: import('./store.mjs').AttributeSpec[],
 *   rateLimits?: Partial<import('./ratelimit.mjs').Limits>,
 *   logLimit?: number,
 *   log?: (entry: import('./calllog.mjs').LogEntry) => void,
 * }} EmulatorOptions
 * apiKey: the account's key; extraApiKeys: more valid keys of the same account (rate limits per
 * key: `rateLimitScope`). attributes: beyond FIRSTNAME and LASTNAME; a name is a normal text attribute.
 */

/** Defaults, so the emulator starts with no configuration at all (the CLI shares them). */
export const DEFAULTS = Object.freeze({
  apiKey: `xkeysib-${'0'.repeat(64)}-emulator0000001`,
  accountEmail: 'account-owner@example.com',
  lists: [
    { id: 2, name: 'Weekly digest' },
    { id: 3, name: 'Special offers' },
  ],
  attributes: [],
  rateLimits: DEFAULT_LIMITS,
});

/**
 * [method, path pattern, route name, handler, parameter names, generic]. A generic route
 * (`/contacts/{identifier}`) yields to a specific one whose path matches (`/contacts/lists`),
 * so `PUT /contacts/lists` is a 405, not a contact called "lists".
 * @type {[string, RegExp, string, (c: contacts.Ctx) => Reply, string[], boolean][]}
 */
const ROUTES = [
  ['GET', /^\/v3\/contacts$/, 'GET /contacts', contacts.getContacts, [], false],
  ['POST', /^\/v3\/contacts$/, 'POST /contacts', contacts.createContact, [], false],
  ['GET', /^\/v3\/contacts\/attributes$/, 'GET /contacts/attributes', attributes.getAttributes, [], false],
  [
    'POST',
    /^\/v3\/contacts\/attributes\/([^/]+)\/([^/]+)$/,
    'POST /contacts/attributes/{category}/{name}',
    attributes.createAttribute,
    ['category', 'name'],
    false,
  ],
  ['GET', /^\/v3\/contacts\/lists$/, 'GET /contacts/lists', lists.getLists, [], false],
  ['GET', /^\/v3\/contacts\/lists\/([^/]+)$/, 'GET /contacts/lists/{listId}', lists.getList, ['listId'], false],
  [
    'GET',
    /^\/v3\/contacts\/lists\/([^/]+)\/contacts$/,
    'GET /contacts/lists/{listId}/contacts',
    lists.getListContacts,
    ['listId'],
    false,
  ],
  [
    'POST',
    /^\/v3\/contacts\/lists\/([^/]+)\/contacts\/add$/,
    'POST /contacts/lists/{listId}/contacts/add',
    lists.addToList,
    ['listId'],
    false,
  ],
  [
    'POST',
    /^\/v3\/contacts\/lists\/([^/]+)\/contacts\/remove$/,
    'POST /contacts/lists/{listId}/contacts/remove',
    lists.removeFromList,
    ['listId'],
    false,
  ],
  ['GET', /^\/v3\/contacts\/([^/]+)$/, 'GET /contacts/{identifier}', contacts.getContact, ['identifier'], true],
  ['PUT', /^\/v3\/contacts\/([^/]+)$/, 'PUT /contacts/{identifier}', contacts.updateContact, ['identifier'], true],
  [
    'DELETE',
    /^\/v3\/contacts\/([^/]+)$/,
    'DELETE /contacts/{identifier}',
    contacts.deleteContact,
    ['identifier'],
    true,
  ],
];

/** Codes for a status rule without a body: the OpenAPI's where one fits. */
const STATUS_CODES = /** @type {Record<number, string>} */ ({
  400: 'bad_request',
  401: 'unauthorized',
  402: 'not_enough_credits',
  403: 'permission_denied',
  404: 'document_not_found',
  405: 'method_not_allowed',
  406: 'not_acceptable',
  422: 'unprocessable_entity',
  425: 'account_in_process',
});

/** @param {string} path */
const isRateLimited = (path) => path === '/v3/contacts' || path.startsWith('/v3/contacts/');

/**
 * @param {EmulatorOptions} [options]
 * @returns {Promise<{ url: string, port: number, close: () => Promise<void>,
 *   control: import('./control.mjs').Control }>}
 */
export async function startEmulator(options = {}) {
  const o = {
    port: 0,
    host: '127.0.0.1',
    ...DEFAULTS,
    extraApiKeys: /** @type {string[]} */ ([]),
    logLimit: 100000,
    log: /** @type {(entry: import('./calllog.mjs').LogEntry) => void} */ (() => {}),
    ...stripUndefined(options),
  };
  const clock = { offsetMs: 0 };
  const now = () => new Date(Date.now() + clock.offsetMs);
  // The unconfirmed readings (settings.mjs): checked here so a bad option fails at start.
  const chosen = checkSettings(
    Object.fromEntries(Object.keys(SETTING_VALUES).flatMap((k) => (k in o ? [[k, /** @type {any} */ (o)[k]]] : []))),
  );
  if ('error' in chosen) throw new Error(chosen.error);
  const initialSettings = Object.freeze({ ...defaultSettings(), ...chosen.ok });
  const settings = { ...initialSettings };
  const limits = checkLimits(o.rateLimits, DEFAULT_LIMITS);
  if ('error' in limits) throw new Error(limits.error);
  const initialLimits = Object.freeze(limits.ok);

  const store = new Store({ lists: o.lists, attributes: o.attributes, now });
  const auth = new Auth({ apiKeys: [o.apiKey, ...o.extraApiKeys] });
  const faults = new Faults();
  const log = new CallLog({ limit: o.logLimit });
  const limiter = new RateLimiter({ limits: initialLimits, now });
  const accountEmail = o.accountEmail;
  const control = createControl({
    store,
    faults,
    log,
    limiter,
    clock,
    accountEmail,
    settings,
    initialSettings,
    initialLimits,
  });

  /** Pending fault delays, cut short on close so tests do not hang. */
  const sleeps = sleeper();
  const sleep = sleeps.sleep;
  /** The port listened on, once listening (a request names its host in the URL it builds). */
  let port = o.port;

  /** The rate-limit bucket of a call: the account's, its key's, or the one of calls without a valid key. */
  const bucketOf = (/** @type {string | string[] | undefined} */ header) => {
    const checked = auth.check(header);
    if ('reply' in checked) return 'unauthenticated';
    return settings.rateLimitScope === 'key' ? `key ${checked.keyIndex + 1}` : 'account';
  };

  /** @param {http.IncomingMessage} req @param {http.ServerResponse} res */
  async function handle(req, res) {
    const started = performance.now();
    res.on('error', () => {}); // the client may have given up (timeout faults)
    const raw = await readBody(req);
    const method = String(req.method).toUpperCase();
    const url = new URL(String(req.url), `http://${req.headers.host ?? `${o.host}:${port}`}`);
    if (url.pathname === '/_emulator' || url.pathname.startsWith('/_emulator/')) {
      const r = handleControl(control, method, url, raw);
      return sendJson(res, r.status, r.body);
    }

    const route = matchRoute(method, url.pathname);
    const { body, bodyError } = parseBody(raw);
    const limited = isRateLimited(url.pathname);
    const decision = faults.decide({
      method,
      pathWithQuery: url.pathname + url.search,
      emails: emailsOf(body, route && 'params' in route ? route.params : undefined),
    });

    /** @type {Reply | null} */
    let reply = null;
    let rateLimited = false;
    if (decision) {
      const k = decision.kind;
      if (k === '429' || k === '500' || k === '503') reply = faultReply(Number(k), decision.bodyStyle);
      else if (k === 'status') {
        const status = Number(decision.status);
        reply =
          decision.body === undefined
            ? fail(status, STATUS_CODES[status] ?? FAULT_BODIES[status]?.code ?? 'error', 'Injected by the emulator')
            : { status, body: decision.body };
      } else if (k === 'timeout') {
        // Past the client's timeout: the client gives up, the provider may still act.
        await sleep(decision.delayMs);
        if (sleeps.closed) return;
        if (decision.delayThen === '503') reply = faultReply(503, decision.bodyStyle);
      }
      if (reply && limited) {
        const h = limiter.peek(bucketOf(req.headers['api-key']), reply.status === 429);
        if (h) reply.headers = { ...h, ...reply.headers };
      }
    }
    if (!reply) {
      const served = serve(route, url, req.headers['api-key'], body, bodyError, limited);
      reply = served.reply;
      rateLimited = served.rateLimited;
    }
    if (decision?.kind === '500_after_write') {
      const after = faultReply(500, decision.bodyStyle);
      const limitHeaders = Object.fromEntries(
        Object.entries(reply.headers ?? {}).filter(([h]) => h.startsWith('x-sib-ratelimit-')),
      );
      reply = { ...after, headers: { ...limitHeaders, ...after.headers } };
    }
    send(res, reply);

    const entry = log.add({
      time: now().toISOString(),
      method,
      path: url.pathname + url.search,
      route: route && 'name' in route ? route.name : 'unknown',
      status: reply.status,
      durationMs: Math.round((performance.now() - started) * 10) / 10,
      fault: decision?.kind ?? null,
      ruleId: decision?.ruleId ?? null,
      rateLimited,
      items: itemsOf(route && 'name' in route ? route.name : '', body),
    });
    o.log(entry);
  }

  /**
   * Authentication, then the rate limit (paths under /v3/contacts), then the route.
   * @param {ReturnType<typeof matchRoute>} route @param {URL} url @param {string | string[] | undefined} apiKey
   * @param {unknown} body @param {boolean} bodyError @param {boolean} limited
   * @returns {{ reply: Reply, rateLimited: boolean }}
   */
  function serve(route, url, apiKey, body, bodyError, limited) {
    if (!url.pathname.startsWith('/v3/') && url.pathname !== '/v3') return { reply: ERR.noRoute(), rateLimited: false };
    const checked = auth.check(apiKey);
    const bucket = 'reply' in checked ? 'unauthenticated' : bucketOf(apiKey);
    /** @type {Record<string, string> | null} */
    let limitHeaders = null;
    if (limited) {
      const taken = limiter.take(bucket);
      limitHeaders = taken.headers;
      if (!taken.allowed) {
        const r = faultReply(429, 'json');
        return { reply: { ...r, headers: { ...limitHeaders } }, rateLimited: true };
      }
    }
    const withHeaders = (/** @type {Reply} */ r) => ({
      reply: limitHeaders ? { ...r, headers: { ...limitHeaders, ...r.headers } } : r,
      rateLimited: false,
    });
    if ('reply' in checked) return withHeaders(checked.reply);
    if (route === null) return withHeaders(ERR.noRoute());
    if ('notAllowed' in route) return withHeaders(ERR.methodNotAllowed(route.notAllowed));
    if ('badPath' in route) return withHeaders(ERR.invalid('Malformed path: bad URL encoding'));
    return withHeaders(
      route.handler({ store, faults, settings, url, params: route.params, body, bodyError, accountEmail }),
    );
  }

  /**
   * @param {string} method @param {string} path
   * @returns {{ name: string, handler: (c: contacts.Ctx) => Reply, params: Record<string, string> }
   *   | { notAllowed: string } | { badPath: true, name: string } | null}
   */
  function matchRoute(method, path) {
    const hits = ROUTES.filter(([, re]) => re.test(path));
    const specific = hits.filter((r) => !r[5]);
    const pool = specific.length ? specific : hits;
    const hit = pool.find(([m]) => m === method);
    if (!hit) return pool.length ? { notAllowed: method } : null;
    const [, re, name, handler, names] = hit;
    const groups = /** @type {RegExpExecArray} */ (re.exec(path));
    /** @type {Record<string, string>} */
    const params = {};
    try {
      for (const [i, n] of names.entries()) params[n] = decodeURIComponent(String(groups[i + 1]));
    } catch {
      return { badPath: true, name };
    }
    return { name, handler, params };
  }

  /**
   * E-mails a targeted rule can match: those in the body (`email`, `attributes.EMAIL`, an add or
   * remove's `emails`) and the stored e-mail of the contact a `/contacts/{identifier}` path
   * names (a PUT by contact id carries no e-mail, yet a test may want to fail calls about one person).
   * @param {unknown} body @param {Record<string, string> | undefined} params
   */
  function emailsOf(body, params) {
    /** @type {string[]} */
    const emails = [];
    if (isObject(body)) {
      if (typeof body.email === 'string') emails.push(body.email);
      if (isObject(body.attributes) && typeof body.attributes.EMAIL === 'string') emails.push(body.attributes.EMAIL);
      if (Array.isArray(body.emails)) for (const e of body.emails) if (typeof e === 'string') emails.push(e);
    }
    if (params?.identifier !== undefined) {
      const { contact } = contacts.lookup(store, params.identifier, null);
      if (contact?.email) emails.push(contact.email);
    }
    return emails;
  }

  /** @param {http.ServerResponse} res @param {Reply} reply */
  function send(res, reply) {
    if (res.destroyed || res.writableEnded) return;
    /** @type {Record<string, string>} */
    const headers = { ...(reply.headers ?? {}) };
    let text = reply.raw ?? '';
    if (reply.raw === undefined && reply.body !== undefined) {
      const body = reply.apiError ? casedCode(reply.body, settings.codeCase) : reply.body;
      text = JSON.stringify(body);
      headers['content-type'] = 'application/json; charset=utf-8';
    }
    res.writeHead(reply.status, headers);
    res.end(text);
  }

  /** @param {http.ServerResponse} res @param {number} status @param {unknown} body */
  function sendJson(res, status, body) {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify(body));
  }

  const listening = await listen({
    port: o.port,
    host: o.host,
    label: 'brevo-emulator',
    handle,
    onError: (res) => send(res, fail(500, 'internal_error', 'Emulator internal error')),
    sleeps,
  });
  port = listening.port;
  return { url: listening.url, port, control, close: listening.close };
}

/**
 * How many entries an add or remove carried (never which): null on other routes and for `all`.
 * @param {string} routeName @param {unknown} body
 */
function itemsOf(routeName, body) {
  if (!routeName.endsWith('/contacts/add') && !routeName.endsWith('/contacts/remove')) return null;
  if (!isObject(body)) return null;
  for (const k of ['emails', 'ids', 'extIds']) {
    const v = body[k];
    if (Array.isArray(v)) return v.length;
  }
  return null;
}
