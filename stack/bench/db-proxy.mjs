#!/usr/bin/env node
// A delaying, counting HTTP proxy in front of the libSQL server. In production every libSQL
// request is a network round trip to Turso's primary (10 to 100 ms); locally it is a fraction
// of a millisecond, which hides how many round trips a request makes. This proxy holds each
// HTTP request for `delayMs` before passing it on, and counts what passes: HTTP requests (one
// network round trip each), and the Hrana pipeline's sub-requests by type (execute, batch,
// store_sql, close, …). Used by `npm run bench` (stack/bench/bench.mjs).
//
//   node stack/bench/db-proxy.mjs --target http://127.0.0.1:8080 [--delay-ms 20] [--port 0]
//
// prints its URL on stdout; `GET /_proxy/stats` shows the counts, `POST /_proxy/reset` zeroes them.
import { Agent, createServer, request as httpRequest } from 'node:http';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

/**
 * @typedef {{
 *   requests: number,
 *   byPath: Record<string, number>,
 *   subRequests: Record<string, number>,
 *   errors: number,
 * }} ProxyCounts
 */

/**
 * @param {{ target: string, delayMs?: number, port?: number, host?: string }} options
 */
export async function startDbProxy({ target, delayMs = 20, port = 0, host = '127.0.0.1' }) {
  const upstream = new URL(target);
  // workerd keeps connections to the proxy alive; the proxy does the same towards the server.
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  /** @type {ProxyCounts} */ let counts = emptyCounts();
  /**
   * Each request since the last reset: when it arrived (performance.now()) and its pipeline's
   * sub-request types, so a window of time can be attributed to one benchmark request.
   * @type {{ at: number, types: string[] }[]}
   */
  let arrivals = [];
  let inFlight = 0;
  let lastActivity = performance.now();

  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://proxy').pathname;
    if (path.startsWith('/_proxy/')) return control(req, res, path);
    const arrivedAt = performance.now();
    /** @type {{ at: number, types: string[] }} */ const arrival = { at: arrivedAt, types: [] };
    arrivals.push(arrival);
    counts.requests++;
    counts.byPath[path] = (counts.byPath[path] ?? 0) + 1;
    inFlight++;
    lastActivity = arrivedAt;
    let finished = false;
    const done = () => {
      if (finished) return;
      finished = true;
      inFlight--;
      lastActivity = performance.now();
    };
    res.once('close', done);

    /** @type {Buffer[]} */ const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.once('end', () => {
      const body = Buffer.concat(chunks);
      arrival.types = subRequestTypes(path, body);
      for (const type of arrival.types) counts.subRequests[type] = (counts.subRequests[type] ?? 0) + 1;
      const forward = () => {
        const out = httpRequest(
          {
            agent,
            protocol: upstream.protocol,
            hostname: upstream.hostname,
            port: upstream.port,
            method: req.method,
            path: req.url,
            headers: forwardedHeaders(req.headers, upstream.host, body.length),
          },
          (answer) => {
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
          },
        );
        out.once('error', (error) => {
          counts.errors++;
          if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
          res.end(`db-proxy: ${error.message}`);
        });
        out.end(body);
      };
      if (delayMs > 0) setTimeout(forward, delayMs);
      else forward();
    });
  });
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 125_000;

  /** @param {import('node:http').IncomingMessage} req @param {import('node:http').ServerResponse} res @param {string} path */
  function control(req, res, path) {
    if (path === '/_proxy/reset' && req.method === 'POST') proxy.reset();
    else if (path !== '/_proxy/stats') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ delayMs, target, ...proxy.counts() }));
  }

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(undefined));
  });
  const address = server.address();
  const boundPort = typeof address === 'object' && address ? address.port : port;

  const proxy = {
    url: `http://${host}:${boundPort}`,
    delayMs,
    /** A copy of the counts since the last reset. */
    counts: () => structuredClone(counts),
    /** Zeroes the counts and forgets the arrival times (between phases). */
    reset() {
      counts = emptyCounts();
      arrivals = [];
    },
    /**
     * The requests that arrived in [from, to] (performance.now() times) since the last reset,
     * and their sub-requests by type.
     */
    arrivedBetween(/** @type {number} */ from, /** @type {number} */ to) {
      let requests = 0;
      /** @type {Record<string, number>} */ const subRequests = {};
      for (const a of arrivals)
        if (a.at >= from && a.at <= to) {
          requests++;
          for (const type of a.types) subRequests[type] = (subRequests[type] ?? 0) + 1;
        }
      return { requests, subRequests };
    },
    /**
     * Resolves once nothing has passed the proxy for `quietMs` (no request in flight, none
     * arrived): the queue consumers are done with what earlier phases left. Resolves false
     * when `timeoutMs` passes first.
     */
    async quiet(quietMs = 1500, timeoutMs = 120_000) {
      const deadline = performance.now() + timeoutMs;
      for (;;) {
        const now = performance.now();
        if (inFlight === 0 && now - lastActivity >= quietMs) return true;
        if (now > deadline) return false;
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve(undefined));
        server.closeAllConnections();
        agent.destroy();
      }),
  };
  return proxy;
}

/** The client's headers minus the hop-by-hop ones; the body goes on whole, with its length. */
function forwardedHeaders(/** @type {import('node:http').IncomingHttpHeaders} */ headers, host, length) {
  const { connection: _c, 'transfer-encoding': _t, 'keep-alive': _k, ...rest } = headers;
  return { ...rest, host, 'content-length': String(length) };
}

/** @returns {ProxyCounts} */
function emptyCounts() {
  return { requests: 0, byPath: {}, subRequests: {}, errors: 0 };
}

/**
 * The sub-requests of a Hrana pipeline body (`{baton, requests: [{type, …}]}`) by type; a batch
 * request adds one `batch-step` per statement. Anything unparsable has none.
 * @param {string} path @param {Buffer} body @returns {string[]}
 */
function subRequestTypes(path, body) {
  if (!path.endsWith('/pipeline') || body.length === 0) return [];
  try {
    const parsed = JSON.parse(body.toString('utf8'));
    /** @type {string[]} */ const types = [];
    for (const r of Array.isArray(parsed?.requests) ? parsed.requests : []) {
      const type = typeof r?.type === 'string' ? r.type : 'unknown';
      types.push(type);
      const steps = r?.batch?.steps;
      if (type === 'batch' && Array.isArray(steps)) for (const _ of steps) types.push('batch-step');
    }
    return types;
  } catch {
    return []; // not JSON: the server answers it; nothing to count
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      target: { type: 'string' },
      'delay-ms': { type: 'string', default: '20' },
      port: { type: 'string', default: '0' },
    },
  });
  if (!values.target) {
    console.error('usage: node stack/bench/db-proxy.mjs --target <libSQL URL> [--delay-ms 20] [--port 0]');
    process.exit(2);
  }
  const proxy = await startDbProxy({
    target: values.target,
    delayMs: Number(values['delay-ms']),
    port: Number(values.port),
  });
  console.log(proxy.url);
  const stop = async () => {
    console.error(`db-proxy: ${JSON.stringify(proxy.counts())}`);
    await proxy.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
