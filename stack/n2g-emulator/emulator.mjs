// @ts-check
/**
 * Newsletter2Go REST API v1 emulator: an HTTP server that behaves as Newsletter2Go's
 * published material (API docs, Postman collection, official clients) describes the
 * provider, for tests and the local stack. It is shaped after the provider's published behaviour, not after any client.
 *
 *   const emu = await startEmulator({ authKey, username, password, lists: [{ id, name }] });
 *   emu.url        // http://127.0.0.1:<port>
 *   emu.control    // state, reset, UI-like edits, call log, faults (see control.mjs)
 *   await emu.close();
 *
 * One request: control routes under /_emulator/ are served directly; every other call
 * is matched to a route, may draw a fault (faults.mjs), is authenticated (auth.mjs),
 * handled (recipients.mjs, attributes.mjs) and written to the call log (calllog.mjs).
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { listen, sleeper } from '../emulator-kit/server.mjs';
import * as attributes from './attributes.mjs';
import { Auth } from './auth.mjs';
import { CallLog } from './calllog.mjs';
import { createControl } from './control.mjs';
import { handleControl } from './control-http.mjs';
import { CODES, fail, newId } from './envelope.mjs';
import { Faults, faultReply, retryAfter } from './faults.mjs';
import { parseBody, readBody, renameErrorMessage, stripUndefined } from './http-io.mjs';
import * as api from './recipients.mjs';
import { checkSettings, defaultSettings } from './settings.mjs';
import { Store } from './store.mjs';

/**
 * @typedef {import('./envelope.mjs').Reply & { raw?: string }} Reply
 * @typedef {{
 *   port?: number, host?: string,
 *   authKey?: string, username?: string, password?: string,
 *   lists?: { id?: string, name: string }[],
 *   attributes?: (string | import('./store.mjs').AttributeSpec)[],
 *   globalAttributes?: string[],
 *   accessTokenTtlSeconds?: number, refreshTokenTtlSeconds?: number,
 *   accountId?: string,
 *   errorMessageKey?: 'errorMessage' | 'error_message',
 *   expiredToken?: '401-invalid_grant' | '401-empty' | '400-invalid_grant',
 *   invalidRecipientsShape?: 'strings' | 'objects' | 'indexed',
 *   refreshTokenReuse?: boolean,
 *   singleCreateStatus?: 200 | 201,
 *   unquotedValue?: 'field' | 'field-or-literal',
 *   maxUrlBytes?: null | 4096,
 *   unknownAttribute?: 'refuse' | 'drop',
 *   logLimit?: number,
 *   log?: (entry: import('./calllog.mjs').LogEntry) => void,
 * }} EmulatorOptions
 * attributes: a name is a (non-global) attribute of every configured list; an object
 * `{name, type?, list_ids?, is_global?}` names its own lists (default: the configured ones).
 * globalAttributes: names of global attributes, on every list, those created later too.
 */

/** Defaults, so the emulator starts with no configuration at all (the CLI shares them). */
export const DEFAULTS = Object.freeze({
  authKey: 'emulator_authkey:emulator_secret',
  username: 'api@newsletter.example',
  password: 'emulator-password',
  lists: [
    { id: 'weekly01', name: 'Weekly digest' },
    { id: 'offers01', name: 'Special offers' },
  ],
  attributes: ['unsubscribe_url'],
  globalAttributes: [],
});

/** [method, path pattern, route name, handler, parameter names]; 'oauth' is the token endpoint. */
const RECIPIENT = /^\/lists\/([^/]+)\/recipients\/([^/]+)$/;
/** @type {[string, RegExp, string, ((c: any) => Reply) | 'oauth', string[]][]} */
const ROUTES = [
  ['POST', /^\/oauth\/v2\/token$/, 'POST /oauth/v2/token', 'oauth', []],
  ['GET', /^\/lists$/, 'GET /lists', api.getLists, []],
  ['GET', /^\/lists\/([^/]+)$/, 'GET /lists/{list_id}', api.getList, ['list_id']],
  ['GET', /^\/lists\/([^/]+)\/recipients$/, 'GET /lists/{list_id}/recipients', api.getRecipients, ['list_id']],
  ['GET', RECIPIENT, 'GET /lists/{list_id}/recipients/{id}', api.getRecipient, ['list_id', 'id']],
  ['PATCH', RECIPIENT, 'PATCH /lists/{list_id}/recipients/{id}', api.patchRecipient, ['list_id', 'id']],
  ['POST', RECIPIENT, 'POST /lists/{list_id}/recipients/{id}', api.patchRecipient, ['list_id', 'id']],
  ['DELETE', RECIPIENT, 'DELETE /lists/{list_id}/recipients/{id}', api.deleteRecipient, ['list_id', 'id']],
  ['POST', /^\/recipients$/, 'POST /recipients', api.postRecipients, []],
  ['GET', /^\/attributes$/, 'GET /attributes', attributes.getAttributes, []],
  ['POST', /^\/attributes$/, 'POST /attributes', attributes.postAttribute, []],
  ['GET', /^\/attributes\/([^/]+)$/, 'GET /attributes/{id}', attributes.getAttribute, ['id']],
  ['PATCH', /^\/attributes\/([^/]+)$/, 'PATCH /attributes/{id}', attributes.patchAttribute, ['id']],
  [
    'GET',
    /^\/lists\/([^/]+)\/attributes$/,
    'GET /lists/{list_id}/attributes',
    attributes.getListAttributes,
    ['list_id'],
  ],
  [
    'DELETE',
    /^\/lists\/([^/]+)\/attributes\/([^/]+)$/,
    'DELETE /lists/{list_id}/attributes/{id}',
    attributes.deleteListAttribute,
    ['list_id', 'id'],
  ],
];

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
    accessTokenTtlSeconds: 7200,
    refreshTokenTtlSeconds: 2592000,
    logLimit: 100000,
    log: () => {},
    ...stripUndefined(options),
  };
  const clock = { offsetMs: 0 };
  const now = () => new Date(Date.now() + clock.offsetMs);
  // The unconfirmed readings (settings.mjs): checked here so a bad option fails at start.
  const chosen = checkSettings(
    stripUndefined({
      errorMessageKey: o.errorMessageKey,
      expiredToken: o.expiredToken,
      invalidRecipientsShape: o.invalidRecipientsShape,
      refreshTokenReuse: o.refreshTokenReuse,
      singleCreateStatus: o.singleCreateStatus,
      unquotedValue: o.unquotedValue,
      maxUrlBytes: o.maxUrlBytes,
      unknownAttribute: o.unknownAttribute,
    }),
  );
  if ('error' in chosen) throw new Error(chosen.error);
  const initialSettings = Object.freeze({ ...defaultSettings(), ...chosen.ok });
  const settings = { ...initialSettings };
  const accountId = o.accountId ?? newId(new Set());
  const store = new Store({
    lists: o.lists,
    attributes: o.attributes,
    globalAttributes: o.globalAttributes,
    now,
    reservedIds: [accountId],
  });
  const auth = new Auth({
    authKey: o.authKey,
    username: o.username,
    password: o.password,
    accountId,
    accessTokenTtlSeconds: o.accessTokenTtlSeconds,
    refreshTokenTtlSeconds: o.refreshTokenTtlSeconds,
    now,
    settings,
  });
  const faults = new Faults();
  const log = new CallLog({ limit: o.logLimit });
  const control = createControl({ store, auth, faults, log, clock, accountId, settings, initialSettings });

  /** Pending fault delays, cut short on close so tests do not hang. */
  const sleeps = sleeper();
  const sleep = sleeps.sleep;
  /** The port listened on, once listening (a request names its host in the URL it builds). */
  let port = o.port;

  /** @param {http.IncomingMessage} req @param {http.ServerResponse} res */
  async function handle(req, res) {
    const started = performance.now();
    res.on('error', () => {}); // the client may have given up (timeout faults)
    const raw = await readBody(req);
    const method = String(req.method).toUpperCase();
    const url = new URL(String(req.url), `http://${req.headers.host ?? `${o.host}:${port}`}`);
    if (url.pathname === '/_emulator' || url.pathname.startsWith('/_emulator/')) {
      const r = handleControl(control, method, url, raw);
      return send(res, { status: r.status, body: r.body });
    }

    // maxUrlBytes (settings.mjs): a request-target longer than the limit, as sent, is a 414.
    const tooLong = settings.maxUrlBytes !== null && Buffer.byteLength(String(req.url)) > settings.maxUrlBytes;
    const route = tooLong ? null : matchRoute(method, url.pathname);
    const { body, bodyError } = parseBody(raw, req.headers['content-type'], route?.handler === 'oauth');
    const decision = tooLong
      ? null
      : faults.decide({
          method,
          pathWithQuery: url.pathname + url.search,
          emails: emailsOf(body, route?.params),
          isOAuth: route?.handler === 'oauth',
        });

    /** @type {Reply | null} */
    let reply = null;
    if (decision) {
      const k = decision.kind;
      if (k === '429_retry_after' || k === '503_retry_after')
        reply = faultReply(Number(k.slice(0, 3)), decision.bodyStyle, { 'retry-after': retryAfter(decision) });
      else if (k === '429' || k === '500' || k === '503') reply = faultReply(Number(k), decision.bodyStyle);
      else if (k === 'status')
        reply = {
          status: Number(decision.status),
          body:
            decision.body ?? fail(Number(decision.status), Number(decision.status), 'Injected by the emulator').body,
        };
      else if (k === 'timeout') {
        // Past the client's timeout: the client gives up, the provider may still act.
        await sleep(decision.delayMs);
        if (sleeps.closed) return;
        if (decision.delayThen === '503') reply = faultReply(503, decision.bodyStyle);
      }
    }
    if (!reply && tooLong) reply = fail(414, 414, `Request-URI too long (over ${settings.maxUrlBytes} bytes)`);
    if (!reply) reply = serve(route, url, req.headers.authorization, body, bodyError);
    if (decision?.kind === '500_after_write') reply = faultReply(500, decision.bodyStyle);
    send(res, reply);

    const entry = log.add({
      time: new Date().toISOString(),
      method,
      path: url.pathname + url.search,
      route: route?.name ?? 'unknown',
      status: reply.status,
      durationMs: Math.round((performance.now() - started) * 10) / 10,
      fault: decision?.kind ?? null,
      ruleId: decision?.ruleId ?? null,
      // How many recipients an upsert carried (never who): a drill counts upserts per creation.
      items:
        route?.name !== 'POST /recipients'
          ? null
          : Array.isArray(body)
            ? body.length
            : Number(typeof body === 'object' && body !== null),
    });
    o.log(entry);
  }

  /**
   * @param {{ name: string, handler: ((c: any) => Reply) | 'oauth', params: Record<string, string> } | null} route
   * @param {URL} url @param {string | undefined} authorization @param {unknown} body @param {string | null} bodyError
   * @returns {Reply}
   */
  function serve(route, url, authorization, body, bodyError) {
    // The spec: 404 is "call not available or no record found".
    if (!route) return fail(404, CODES.NO_ROUTE, `Call not available: ${url.pathname}`);
    if (route.handler === 'oauth') {
      const fields =
        body !== null && typeof body === 'object' && !Array.isArray(body)
          ? /** @type {Record<string, unknown>} */ (body)
          : {};
      return auth.token(authorization, fields);
    }
    const denied = auth.check(authorization);
    if (denied) return denied;
    return route.handler({ store, faults, settings, url, params: route.params, body, bodyError });
  }

  /**
   * Matches a path; a known path with another method is "call not available" too.
   * @param {string} method @param {string} path
   */
  function matchRoute(method, path) {
    for (const [m, re, name, handler, names] of ROUTES) {
      if (m !== method) continue;
      const hit = re.exec(path);
      if (!hit) continue;
      /** @type {Record<string, string>} */
      const params = {};
      for (const [i, n] of names.entries()) params[n] = decodeURIComponent(String(hit[i + 1]));
      return { name, handler, params };
    }
    return null;
  }

  /**
   * E-mails a targeted rule can match: those in the body, and the stored e-mail of the
   * recipient a `/lists/{list_id}/recipients/{id}` path names (a PATCH that unsubscribes
   * carries no e-mail, yet a test may want to fail calls about one person).
   * @param {unknown} body @param {Record<string, string> | undefined} params
   */
  function emailsOf(body, params) {
    const items = Array.isArray(body) ? body : [body];
    const emails = items.flatMap((i) => (i && typeof i === 'object' && typeof i.email === 'string' ? [i.email] : []));
    if (params?.list_id && params.id) {
      const rec = store.inList(params.list_id, params.id);
      if (rec) emails.push(rec.email);
    }
    return emails;
  }

  /** @param {http.ServerResponse} res @param {Reply} reply */
  function send(res, reply) {
    if (res.destroyed || res.writableEnded) return;
    const headers = { 'content-type': 'application/json', ...(reply.headers ?? {}) };
    let text = reply.raw;
    if (text === undefined) {
      let body = reply.body;
      if (settings.errorMessageKey === 'error_message') body = renameErrorMessage(body);
      text = JSON.stringify(body);
    }
    res.writeHead(reply.status, headers);
    res.end(text);
  }

  // Node's own 16 KiB header limit (a 431) would be a URL limit Newsletter2Go does not publish;
  // maxUrlBytes is the emulator's switch for one, so the server itself takes up to 1 MiB.
  const listening = await listen({
    port: o.port,
    host: o.host,
    label: 'n2g-emulator',
    serverOptions: { maxHeaderSize: 1024 * 1024 },
    handle,
    onError: (res) => send(res, fail(500, 500, 'Emulator internal error')),
    sleeps,
  });
  port = listening.port;
  return { url: listening.url, port, control, close: listening.close };
}
