#!/usr/bin/env node
/**
 * Runs the local libSQL (Hrana over HTTP) server until SIGINT or SIGTERM.
 *
 *   node stack/libsql-server/cli.mjs --file .stack/local.db --port 8080 [--host 127.0.0.1]
 *     [--idle-stream-ms 30000] [--busy-timeout-ms 5000] [--error-codes sqld|extended] [--verbose]
 *
 * Prints the server URL as the only line on stdout, so a parent process can read it;
 * logs go to stderr.
 */
import { parseArgs } from 'node:util';
import { startLibsqlServer } from './server.mjs';

const usage =
  'usage: node stack/libsql-server/cli.mjs --file <path|:memory:> [--port 8080] [--host 127.0.0.1]\n' +
  '       [--idle-stream-ms 30000] [--busy-timeout-ms 5000] [--error-codes sqld|extended] [--verbose]';

/** @param {string | undefined} value @param {string} name @param {number} fallback */
function nonNegativeInt(value, name, fallback) {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new Error(`--${name} must be a non-negative integer, got ${JSON.stringify(value)}`);
  return n;
}

async function main() {
  const { values } = parseArgs({
    options: {
      file: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      'idle-stream-ms': { type: 'string' },
      'busy-timeout-ms': { type: 'string' },
      'error-codes': { type: 'string' },
      verbose: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(usage);
    return;
  }
  if (!values.file) throw new Error('--file is required');
  const errorCodes = values['error-codes'] ?? 'sqld';
  if (errorCodes !== 'sqld' && errorCodes !== 'extended') throw new Error('--error-codes must be "sqld" or "extended"');

  const server = await startLibsqlServer({
    file: values.file,
    port: nonNegativeInt(values.port, 'port', 8080),
    host: values.host ?? '127.0.0.1',
    idleStreamMs: nonNegativeInt(values['idle-stream-ms'], 'idle-stream-ms', 30_000),
    busyTimeoutMs: nonNegativeInt(values['busy-timeout-ms'], 'busy-timeout-ms', 5_000),
    errorCodes,
    log: values.verbose ? (message) => console.error(`[libsql-server] ${message}`) : () => {},
  });
  console.log(server.url);

  const stop = async (/** @type {NodeJS.Signals} */ signal) => {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    console.error(`[libsql-server] ${signal}: shutting down`);
    await server.close();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error) => {
  console.error(`[libsql-server] ${error instanceof Error ? error.message : error}`);
  console.error(usage);
  process.exit(1);
});
