// A stand-in for the portal's webhook endpoint: it records the worker's notices
// (subscription.cancelled from unsubscribe links, subscription.conflict from reconciliation)
// so the local stack shows them, and it can be told to fail a few times so retries are seen.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';

/**
 * @param {{ port?: number, host?: string, secret?: string, log?: (line: string) => void }} options
 *   `secret`: the worker's NOTIFY_SIGNING_SECRET (whsec_…); when given, each notice's
 *   Standard Webhooks signature is checked and the result recorded.
 */
export async function startPortalReceiver({ port = 0, host = '127.0.0.1', secret, log = () => {} } = {}) {
  /** @type {{ at: string, id: string | undefined, verified: boolean | null, status: number, body: unknown }[]} */
  let received = [];
  /** Failures to answer: `match`, when set, limits a rule to notices whose body contains it. */
  /** @type {{ left: number, status: number, match: string | null }[]} */
  let failRules = [];

  const server = createServer(async (req, res) => {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://receiver');
    const reply = (/** @type {number} */ status, /** @type {unknown} */ body) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };

    if (url.pathname === '/_receiver/received' && req.method === 'GET') return reply(200, { received });
    if (url.pathname === '/_receiver/reset' && req.method === 'POST') {
      received = [];
      failRules = [];
      return reply(200, { ok: true });
    }
    if (url.pathname === '/_receiver/fail' && req.method === 'POST') {
      const body = safeJson(raw);
      const rule = {
        left: Number(body?.count ?? 1),
        status: Number(body?.status ?? 503),
        match: typeof body?.match === 'string' ? body.match : null,
      };
      failRules.push(rule);
      return reply(200, rule);
    }
    if (url.pathname === '/portal/webhooks' && req.method === 'POST') {
      const id = header(req.headers['webhook-id']);
      const verified = secret
        ? verify(secret, id, header(req.headers['webhook-timestamp']), header(req.headers['webhook-signature']), raw)
        : null;
      const rule = failRules.find((r) => r.left > 0 && (r.match === null || raw.includes(r.match)));
      const status = rule ? rule.status : 204;
      if (rule) rule.left--;
      received.push({ at: new Date().toISOString(), id, verified, status, body: safeJson(raw) });
      const body = safeJson(raw);
      log(
        `portal notice ${body?.type ?? '?'} ${id ?? ''} → ${status}${verified === false ? ' (signature INVALID)' : ''}`,
      );
      res.writeHead(status);
      return res.end();
    }
    reply(404, { error: 'not found' });
  });
  // workerd keeps connections alive and reuses them; Node closes idle ones after 5 s by
  // default, and a request sent just as the socket closes fails as "Network connection lost".
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 125_000;
  await new Promise((resolve) => server.listen(port, host, () => resolve(undefined)));
  const address = server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  return {
    url: `http://${host}:${actualPort}`,
    port: actualPort,
    close: () => new Promise((resolve) => server.close(() => resolve(undefined))),
  };
}

/** @param {string | string[] | undefined} v */
const header = (v) => (Array.isArray(v) ? v[0] : v);

/** @param {string} raw */
function safeJson(raw) {
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}

/** Standard Webhooks check, as the real portal would do it. */
function verify(
  /** @type {string} */ secret,
  /** @type {string|undefined} */ id,
  /** @type {string|undefined} */ ts,
  /** @type {string|undefined} */ sig,
  /** @type {string} */ raw,
) {
  if (!id || !ts || !sig) return false;
  const expected = createHmac('sha256', Buffer.from(secret.replace(/^whsec_/, ''), 'base64'))
    .update(`${id}.${ts}.${raw}`)
    .digest();
  return sig.split(' ').some((entry) => {
    const [version, value] = entry.split(',');
    if (version !== 'v1' || !value) return false;
    const given = Buffer.from(value, 'base64');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}
