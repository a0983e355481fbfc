/**
 * A Hrana-over-HTTP server (the protocol `@libsql/client` speaks to sqld and
 * Turso) on top of the embedded engine of the `libsql` package, backed by a
 * file. It exists because neither sqld nor Docker is available on the machines
 * this project runs on, and code inside workerd can only reach a database over
 * HTTP. It speaks what `@libsql/client` 0.18 sends (libSQL's Hrana 3 specification).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import Database from 'libsql';
import { ProtocolError } from './errors.mjs';
import { decodeCursorBody, decodePipelineBody } from './protocol.mjs';
import { Streams } from './streams.mjs';
import { WriteLock } from './write-lock.mjs';

const MAX_BODY_BYTES = 32 * 1024 * 1024;

/**
 * @typedef {object} LibsqlServerOptions
 * @property {string} file database file (parent directories are created), or ':memory:' for a
 *   throw-away database; it still lives in a temporary file, because every stream needs its own
 *   connection to the same data
 * @property {number} [port] 0 picks a free port
 * @property {string} [host]
 * @property {number} [idleStreamMs] an unused stream is closed (its transaction rolled back) after this
 * @property {number} [busyTimeoutMs] how long a writer waits for the write lock before SQLITE_BUSY
 * @property {'sqld' | 'extended'} [errorCodes] 'sqld' (default) sends primary codes such as
 *   SQLITE_CONSTRAINT like sqld and Turso; 'extended' sends SQLITE_CONSTRAINT_UNIQUE and the like
 * @property {(message: string) => void} [log]
 */

/**
 * @param {LibsqlServerOptions} options
 * @returns {Promise<{ url: string, port: number, close: () => Promise<void> }>}
 */
export async function startLibsqlServer({
  file,
  port = 0,
  host = '127.0.0.1',
  idleStreamMs = 30_000,
  busyTimeoutMs = 5_000,
  errorCodes = 'sqld',
  log = () => {},
}) {
  const scratchDir = file === ':memory:' ? mkdtempSync(join(tmpdir(), 'libsql-server-')) : null;
  const path = scratchDir ? join(scratchDir, 'memory.db') : resolve(file);
  mkdirSync(dirname(path), { recursive: true });

  // WAL lets readers run beside the one writer. The mode is stored in the file, and this
  // handle stays open so the WAL index is not rebuilt each time the last stream closes.
  const keeper = new Database(path);
  keeper.exec('PRAGMA journal_mode = WAL');

  const lock = new WriteLock();
  const engineBusyMs = Math.min(busyTimeoutMs, 250);
  const streams = new Streams({ path, lock, busyTimeoutMs, engineBusyMs, errorCodes, log }, idleStreamMs);

  const server = createServer((req, res) => {
    route(req, res, streams).catch((error) => {
      log(`request failed: ${error instanceof Error ? error.stack : String(error)}`);
      if (!res.headersSent) send(res, 500, { message: 'Internal server error', code: 'INTERNAL_ERROR' });
      else res.destroy();
    });
  });
  // workerd keeps connections alive and reuses them; Node closes idle ones after 5 s by
  // default, and a request sent just as the socket closes fails as "Network connection lost".
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 125_000;
  await new Promise((resolveListen, rejectListen) => {
    server.once('error', rejectListen);
    server.listen(port, host, () => resolveListen(undefined));
  });
  const address = server.address();
  const boundPort = typeof address === 'object' && address ? address.port : port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${boundPort}`;
  log(`libsql server on ${url}, database ${file === ':memory:' ? ':memory:' : path}`);

  let closing = null;
  const close = () => {
    closing ??= (async () => {
      lock.abortWaiters(new ProtocolError('The server is shutting down', 'SERVER_CLOSED', 503));
      streams.closeAll();
      await new Promise((done) => {
        server.close(() => done(undefined));
        server.closeAllConnections();
      });
      keeper.close();
      if (scratchDir) rmSync(scratchDir, { recursive: true, force: true });
    })();
    return closing;
  };
  return { url, port: boundPort, close };
}

/**
 * @param {import('node:http').IncomingMessage} req
 * @param {import('node:http').ServerResponse} res
 * @param {Streams} streams
 */
async function route(req, res, streams) {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname.replace(/\/+$/, '') || '/';
  const method = req.method ?? 'GET';
  const isGet = method === 'GET' || method === 'HEAD';

  if (path === '/' || path === '/health' || path === '/v2' || path === '/v3') {
    if (!isGet) return sendText(res, 405, 'Method not allowed');
    return sendText(res, 200, path === '/health' ? 'OK' : 'Hello, this is HTTP API v2/v3 (Hrana over HTTP)');
  }
  if (path === '/v2/pipeline' || path === '/v3/pipeline' || path === '/v3/cursor') {
    if (method !== 'POST') return sendText(res, 405, 'Method not allowed');
    try {
      const body = await readJson(req);
      if (path === '/v3/cursor') return await cursor(res, streams, decodeCursorBody(body));
      return await pipeline(res, streams, decodePipelineBody(body));
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      return send(res, error.status, { message: error.message, code: error.code });
    }
  }
  // Anything else, /v3-protobuf included: the client then falls back to JSON over /v2.
  return sendText(res, 404, 'Not found');
}

/**
 * @param {import('node:http').ServerResponse} res
 * @param {Streams} streams
 * @param {ReturnType<typeof decodePipelineBody>} body
 */
async function pipeline(res, streams, { baton, requests }) {
  const stream = streams.checkOut(baton);
  const results = [];
  let next = null;
  try {
    for (const request of requests) results.push(await stream.handle(request));
  } finally {
    next = streams.checkIn(stream);
  }
  send(res, 200, { baton: next, base_url: null, results });
}

/**
 * The cursor endpoint answers newline-delimited JSON: the baton first, then the batch's entries.
 * The batch runs to completion before anything is sent; results here are small.
 * @param {import('node:http').ServerResponse} res
 * @param {Streams} streams
 * @param {ReturnType<typeof decodeCursorBody>} body
 */
async function cursor(res, streams, { baton, batch }) {
  const stream = streams.checkOut(baton);
  /** @type {unknown[]} */
  const entries = [];
  let next = null;
  try {
    const { step_results: results, step_errors: errors } = await stream.executeBatch(batch);
    results.forEach((result, step) => {
      const error = errors[step];
      if (error) entries.push({ type: 'step_error', step, error });
      if (!result) return;
      entries.push({ type: 'step_begin', step, cols: result.cols });
      for (const row of result.rows) entries.push({ type: 'row', row });
      entries.push({
        type: 'step_end',
        affected_row_count: result.affected_row_count,
        last_insert_rowid: result.last_insert_rowid,
      });
    });
  } finally {
    next = streams.checkIn(stream);
  }
  const lines = [{ baton: next, base_url: null }, ...entries].map((entry) => `${JSON.stringify(entry)}\n`);
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.end(lines.join(''));
}

/** @param {import('node:http').IncomingMessage} req */
async function readJson(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES)
      throw new ProtocolError(`Request body exceeds ${MAX_BODY_BYTES} bytes`, 'PROTOCOL_ERROR', 413);
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (error) {
    throw new ProtocolError(
      `Cannot deserialize client message from JSON: ${error instanceof Error ? error.message : error}`,
    );
  }
}

/**
 * `@libsql/hrana-client` reads an error body only when the content type is exactly
 * "application/json", so no charset parameter.
 * @param {import('node:http').ServerResponse} res @param {number} status @param {unknown} body
 */
function send(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** @param {import('node:http').ServerResponse} res @param {number} status @param {string} text */
function sendText(res, status, text) {
  res.writeHead(status, { 'content-type': 'text/plain' });
  res.end(text);
}
