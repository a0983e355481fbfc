// Where the local stack listens. Fixed ports by default (the README's URLs), each changeable
// by an environment variable; 0 (and every port of an ephemeral stack) picks a free one.
import { createServer } from 'node:net';

export const DEFAULT_PORTS = Object.freeze({ worker: 8787, emulator: 8788, receiver: 8790, libsql: 0 });
/** The variable that moves each one; `PORT` is the contract's name for the worker's. */
export const PORT_VARIABLES = Object.freeze({
  worker: 'PORT',
  emulator: 'N2G_EMULATOR_PORT',
  receiver: 'PORTAL_RECEIVER_PORT',
  libsql: 'LIBSQL_PORT',
});
/** The setting that, when given, means the server is not started (so its port is not needed). */
const REPLACED_BY = Object.freeze({
  worker: null,
  emulator: 'N2G_BASE_URL',
  receiver: 'PORTAL_WEBHOOK_URL',
  libsql: 'TURSO_DATABASE_URL',
});

/**
 * Resolves each port (option > environment > default) and checks that the fixed ones are free,
 * so a second `npm start` fails at once with a message naming the variable to change.
 * @param {Partial<Record<keyof DEFAULT_PORTS, number>> | undefined} given
 * @param {Record<string, string | undefined>} env
 * @param {boolean} ephemeral
 * @param {Record<string, string>} settings
 */
export async function checkPorts(given = {}, env, ephemeral, settings) {
  /** @type {Record<keyof DEFAULT_PORTS, number>} */
  const ports = { ...DEFAULT_PORTS };
  for (const key of /** @type {(keyof DEFAULT_PORTS)[]} */ (Object.keys(DEFAULT_PORTS))) {
    const variable = PORT_VARIABLES[key];
    const raw = given[key] ?? (ephemeral ? 0 : env[variable] || DEFAULT_PORTS[key]);
    const port = Number(raw);
    if (!Number.isInteger(port) || port < 0 || port > 65_535)
      throw new Error(`${variable} must be a port number (0 picks a free one), got ${JSON.stringify(raw)}`);
    ports[key] = port;
    const replacedBy = REPLACED_BY[key];
    if (port !== 0 && !(replacedBy && replacedBy in settings) && !(await isFree(port))) {
      throw new Error(
        `port ${port} (${key}) is already in use: is another local stack running? Set ${variable} to another port, or 0 for a free one.`,
      );
    }
  }
  return ports;
}

/** @param {number} port */
function isFree(port, host = '127.0.0.1') {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, host, () => probe.close(() => resolve(true)));
  });
}
